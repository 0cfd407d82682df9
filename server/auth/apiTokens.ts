import { CONTROL_CHARACTER_MESSAGE, hasControlCharacters } from '../domain/text';
import { createHash, randomBytes } from 'node:crypto';
import { NotFoundError, ValidationError } from '../errors';
import { nowMs, type Queryable } from '../db/knex';
import { ROLES, type Principal, type Role } from './principal';
import { isRole } from './users';

// API tokens are bearer secrets: `lb_` + 32 random bytes (base64url). Only their SHA-256 is stored, so a
// leaked database does not leak usable tokens; a plain hash is enough because the token has 256 bits of
// entropy (no dictionary to guess from), and it lets us look a token up by its hash in one indexed query.

const TOKEN_PREFIX = 'lb_';
const TOKEN_PATTERN = /^lb_[A-Za-z0-9_-]{43}$/;
/** Shown in lists so a person can tell tokens apart; 8 characters of the random part reveal ~48 bits of 256. */
const VISIBLE_PREFIX_LENGTH = TOKEN_PREFIX.length + 8;
/** last_used_at is a hint for people, not an audit log: write it at most once a minute per token. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiToken {
  id: number;
  orgId: number;
  name: string;
  role: Role;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

interface TokenRow {
  id: number;
  org_id: number;
  name: string;
  role: string;
  token_hash: string;
  token_prefix: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const fromRow = (r: TokenRow): ApiToken => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  role: r.role as Role,
  prefix: r.token_prefix,
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

const sha256 = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The token is returned once, here; it cannot be recovered later. */
export async function createApiToken(
  db: Queryable,
  input: { orgId: number; role: string; name: string },
): Promise<{ token: string; id: number }> {
  const issues = [];
  const name = (input.name ?? '').trim();
  if (!name) issues.push({ path: 'name', message: 'is required: say what the token is for, e.g. "booking system"' });
  if (name.length > 200) issues.push({ path: 'name', message: 'must be at most 200 characters' });
  if (hasControlCharacters(name)) issues.push({ path: 'name', message: CONTROL_CHARACTER_MESSAGE });
  if (!isRole(input.role)) issues.push({ path: 'role', message: `must be one of ${ROLES.join(', ')}` });
  if (issues.length) throw new ValidationError(issues);
  const org = await db('organisations').where({ id: input.orgId }).first('id');
  if (!org) throw new NotFoundError(`Organisation ${input.orgId}`);

  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await db('api_tokens')
    .insert({
      org_id: input.orgId,
      name,
      role: input.role,
      token_hash: sha256(token),
      token_prefix: token.slice(0, VISIBLE_PREFIX_LENGTH),
      created_at: nowMs(),
      last_used_at: null,
      revoked_at: null,
    })
    .returning('id');
  const id = typeof row === 'object' && row !== null ? (row as { id: number }).id : (row as number);
  return { token, id: Number(id) };
}

/** The Principal a bearer token stands for, or null when it is unknown, malformed or revoked. */
export async function authenticateBearer(db: Queryable, token: string, now = nowMs()): Promise<Principal | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const row = (await db('api_tokens').where({ token_hash: sha256(token) }).first()) as TokenRow | undefined;
  if (!row || row.revoked_at !== null) return null;
  if (row.last_used_at === null || now - Number(row.last_used_at) >= LAST_USED_RESOLUTION_MS) {
    await db('api_tokens').where({ id: row.id }).update({ last_used_at: now });
  }
  return { kind: 'token', id: row.id, orgId: row.org_id, role: row.role as Role, name: row.name };
}

export async function listApiTokens(db: Queryable, orgId: number, opts: { includeRevoked?: boolean } = {}): Promise<ApiToken[]> {
  const q = db('api_tokens').where({ org_id: orgId }).orderBy('id');
  if (!opts.includeRevoked) q.whereNull('revoked_at');
  return ((await q) as TokenRow[]).map(fromRow);
}

export async function getApiToken(db: Queryable, id: number): Promise<ApiToken | null> {
  const row = (await db('api_tokens').where({ id }).first()) as TokenRow | undefined;
  return row ? fromRow(row) : null;
}

/** Idempotent. With orgId, only that organisation's token can be revoked (web); without, any (CLI, an operator). */
export async function revokeApiToken(db: Queryable, id: number, orgId?: number): Promise<ApiToken> {
  const q = db('api_tokens').where({ id });
  if (orgId !== undefined) q.andWhere({ org_id: orgId });
  const row = (await q.first()) as TokenRow | undefined;
  if (!row) throw new NotFoundError(`API token ${id}`);
  if (row.revoked_at !== null) return fromRow(row);
  const revokedAt = nowMs();
  await db('api_tokens').where({ id }).update({ revoked_at: revokedAt });
  return { ...fromRow(row), revokedAt };
}
