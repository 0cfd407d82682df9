import type { Request } from 'express';
import 'express-session';

// Between the password and the second factor the session is NOT logged in: it only remembers who gave
// the right password, where they were going, and until when the code may follow. Nothing secret is kept
// (sessions are plain JSON rows). The session id is regenerated when this starts, and again by passport
// when the code is accepted, so no id seen before the login is worth anything after it.

declare module 'express-session' {
  interface SessionData {
    twoFactorPending?: { userId: number; next: string; expiresAt: number };
  }
}

/** Long enough to open the app and type a code; short enough that a walked-away laptop is no risk. */
export const PENDING_LOGIN_MS = 5 * 60_000;

export interface PendingLogin {
  userId: number;
  next: string;
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

export async function startPendingLogin(req: Request, login: PendingLogin, nowMs: number): Promise<void> {
  await regenerate(req);
  req.session.twoFactorPending = { userId: login.userId, next: login.next, expiresAt: nowMs + PENDING_LOGIN_MS };
  await save(req);
}

/** The pending login, or null when there is none or it has expired (an expired one is dropped). */
export function readPendingLogin(req: Request, nowMs: number): PendingLogin | null {
  const pending = req.session?.twoFactorPending;
  if (!pending) return null;
  if (typeof pending.userId !== 'number' || typeof pending.expiresAt !== 'number' || pending.expiresAt <= nowMs) {
    delete req.session.twoFactorPending;
    return null;
  }
  return { userId: pending.userId, next: pending.next };
}

export function clearPendingLogin(req: Request): void {
  if (req.session) delete req.session.twoFactorPending;
}
