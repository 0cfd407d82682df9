import { nowMs, type Queryable } from '../db/knex';
import { normaliseEmail } from './users';

// Failed logins are counted in the database (table login_failures) so every web process of an install
// sees the same counts. Two counters:
//  - per (email, IP): `maxAttempts` failures in the window lock that pair; a success resets it.
//  - per IP: a wider limit (IP_LIMIT_FACTOR × maxAttempts) stops one client from trying many emails,
//    without locking out an office whose staff share one public IP after a few honest typos.

export const IP_LIMIT_FACTOR = 4;

export interface ThrottleSettings {
  maxAttempts: number;
  windowMinutes: number;
}

export interface ThrottleVerdict {
  allowed: boolean;
  /** When refused: whole minutes until the oldest counted failure leaves the window (at least 1). */
  retryAfterMinutes: number;
}

const pairKey = (email: string, ip: string): string => `${normaliseEmail(email).slice(0, 320)}|${ip}`;

async function countSince(db: Queryable, scope: string, key: string, since: number): Promise<{ n: number; oldest: number | null }> {
  const row = (await db('login_failures')
    .where({ scope, key })
    .andWhere('failed_at', '>', since)
    .count<{ n: number | string }[]>({ n: '*' })
    .min({ oldest: 'failed_at' })
    .first()) as { n: number | string; oldest: number | string | null } | undefined;
  return { n: Number(row?.n ?? 0), oldest: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest) };
}

export async function checkLoginAllowed(db: Queryable, settings: ThrottleSettings, email: string, ip: string, now = nowMs()): Promise<ThrottleVerdict> {
  const windowMs = settings.windowMinutes * 60_000;
  const since = now - windowMs;
  const checks = [
    { ...(await countSince(db, 'email_ip', pairKey(email, ip), since)), limit: settings.maxAttempts },
    { ...(await countSince(db, 'ip', ip, since)), limit: settings.maxAttempts * IP_LIMIT_FACTOR },
  ];
  let retryAfterMs = 0;
  for (const c of checks) {
    if (c.n >= c.limit && c.oldest !== null) retryAfterMs = Math.max(retryAfterMs, c.oldest + windowMs - now);
  }
  if (retryAfterMs <= 0) return { allowed: true, retryAfterMinutes: 0 };
  return { allowed: false, retryAfterMinutes: Math.max(1, Math.ceil(retryAfterMs / 60_000)) };
}

export async function recordLoginFailure(db: Queryable, settings: ThrottleSettings, email: string, ip: string, now = nowMs()): Promise<void> {
  await db('login_failures').insert([
    { scope: 'email_ip', key: pairKey(email, ip), failed_at: now },
    { scope: 'ip', key: ip, failed_at: now },
  ]);
  // Keep the table small: nothing older than the window is ever counted again.
  await db('login_failures').where('failed_at', '<=', now - settings.windowMinutes * 60_000).del();
}

export async function recordLoginSuccess(db: Queryable, email: string, ip: string): Promise<void> {
  await db('login_failures').where({ scope: 'email_ip', key: pairKey(email, ip) }).del();
}
