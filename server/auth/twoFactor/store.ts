import type { Db, Queryable } from '../../db/knex';
import type { SecretBox, SealedColumnSpec } from '../../secrets';
import { ConflictError, NotFoundError, ValidationError } from '../../errors';
import type { Role } from '../principal';
import { CODE_FORMAT_MESSAGE, newTotpSecret, normaliseTotpCode, verifyTotpCode } from './totp';
import { generateRecoveryCodes, hashRecoveryCode } from './recoveryCodes';

// A user's second factor in the database: the TOTP secret (sealed), the step last accepted, the recovery
// codes (hashed) and the organisation's "admins must use it" setting. Every check that accepts a code also
// records it in the same statement (compare-and-set), so two requests racing with one code cannot both win.

export interface TwoFactorDeps {
  db: Db;
  secrets: SecretBox;
}

/** Who the second factor belongs to: the organisation's data key seals it. */
export interface TwoFactorUser {
  id: number;
  orgId: number;
  role: Role;
}

export interface TwoFactorState {
  /** Since when a code is asked for at login; null when the second factor is off. */
  enabledAt: number | null;
  /** A set-up was started and waits for its first code. */
  pending: boolean;
  recoveryCodesLeft: number;
}

interface TwoFactorRow {
  id: number;
  org_id: number;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  totp_enabled_at: number | string | null;
  totp_last_step: number | string | null;
}

const secretPurpose = (userId: number): string => `users.totp_secret:${userId}`;
const pendingPurpose = (userId: number): string => `users.totp_pending_secret:${userId}`;

/** The host's sealed columns on `users` (re-sealed by `secrets:rotate-org`). */
export const twoFactorSealedColumns: SealedColumnSpec = {
  table: 'users',
  idColumn: 'id',
  orgColumn: 'org_id',
  columns: [
    { name: 'totp_secret', purpose: (row) => secretPurpose(Number(row.id)) },
    { name: 'totp_pending_secret', purpose: (row) => pendingPurpose(Number(row.id)) },
  ],
};

const asNumber = (v: number | string | null): number | null => (v === null ? null : Number(v));

async function loadRow(db: Queryable, user: Pick<TwoFactorUser, 'id' | 'orgId'>): Promise<TwoFactorRow> {
  const row = (await db('users')
    .where({ id: user.id, org_id: user.orgId })
    .first('id', 'org_id', 'totp_secret', 'totp_pending_secret', 'totp_enabled_at', 'totp_last_step')) as TwoFactorRow | undefined;
  if (!row) throw new NotFoundError(`User ${user.id}`);
  return row;
}

async function unusedRecoveryCodes(db: Queryable, userId: number): Promise<number> {
  const row = (await db('two_factor_recovery_codes').where({ user_id: userId }).whereNull('used_at').count<{ n: number | string }[]>({ n: '*' }).first()) as
    | { n: number | string }
    | undefined;
  return Number(row?.n ?? 0);
}

export async function getTwoFactorState(db: Queryable, user: Pick<TwoFactorUser, 'id' | 'orgId'>): Promise<TwoFactorState> {
  const row = await loadRow(db, user);
  return { enabledAt: asNumber(row.totp_enabled_at), pending: row.totp_pending_secret !== null, recoveryCodesLeft: await unusedRecoveryCodes(db, user.id) };
}

/** Is a code asked for when this user logs in? */
export async function hasSecondFactor(db: Queryable, userId: number): Promise<boolean> {
  const row = (await db('users').where({ id: userId }).first('totp_enabled_at')) as { totp_enabled_at: number | string | null } | undefined;
  return Boolean(row && row.totp_enabled_at !== null);
}

/** Since when each user of the organisation has had a second factor (absent: none), for the users page. */
export async function twoFactorEnabledSince(db: Queryable, orgId: number): Promise<Map<number, number>> {
  const rows = (await db('users').where({ org_id: orgId }).whereNotNull('totp_enabled_at').select('id', 'totp_enabled_at')) as { id: number; totp_enabled_at: number | string }[];
  return new Map(rows.map((r) => [Number(r.id), Number(r.totp_enabled_at)]));
}

// ---- enrolment

/** Starts (or restarts) a set-up: a new secret, sealed, waiting for its first code. Returns the secret. */
export async function startEnrolment(deps: TwoFactorDeps, user: TwoFactorUser): Promise<string> {
  const row = await loadRow(deps.db, user);
  if (row.totp_enabled_at !== null) throw alreadyOn();
  const secret = newTotpSecret();
  const sealed = await deps.secrets.seal(deps.db, user.orgId, pendingPurpose(user.id), secret);
  const updated = await deps.db('users').where({ id: user.id }).whereNull('totp_enabled_at').update({ totp_pending_secret: sealed });
  if (updated !== 1) throw alreadyOn();
  return secret;
}

/** The secret of a set-up in progress (to show its QR code again), or null. */
export async function pendingSecret(deps: TwoFactorDeps, user: TwoFactorUser): Promise<string | null> {
  const row = await loadRow(deps.db, user);
  if (row.totp_enabled_at !== null || row.totp_pending_secret === null) return null;
  return deps.secrets.openString(deps.db, user.orgId, pendingPurpose(user.id), row.totp_pending_secret);
}

/**
 * Finishes the set-up with a code from the new secret: the second factor is on from now, and the new
 * recovery codes are returned (the only time they exist in clear).
 */
export async function confirmEnrolment(deps: TwoFactorDeps, user: TwoFactorUser, code: string, nowMs: number): Promise<string[]> {
  if (normaliseTotpCode(code) === null) throw codeIssue(CODE_FORMAT_MESSAGE);
  const row = await loadRow(deps.db, user);
  if (row.totp_enabled_at !== null) throw alreadyOn();
  if (row.totp_pending_secret === null) throw new ConflictError('No set-up is in progress: start it again.', 'TWO_FACTOR_NOT_STARTED');
  const secret = await deps.secrets.openString(deps.db, user.orgId, pendingPurpose(user.id), row.totp_pending_secret);
  const check = verifyTotpCode({ secret, code, nowMs, lastUsedStep: null });
  if (!check.ok) throw codeIssue('is not the code your app shows for this set-up: scan the new QR code (or type the key) and try the next code');
  return deps.db.transaction(async (trx) => {
    const sealed = await deps.secrets.seal(trx, user.orgId, secretPurpose(user.id), secret);
    // Only the set-up this code was checked against: a restart in another tab meanwhile wins.
    const updated = await trx('users')
      .where({ id: user.id, totp_pending_secret: row.totp_pending_secret })
      .whereNull('totp_enabled_at')
      .update({ totp_secret: sealed, totp_pending_secret: null, totp_enabled_at: nowMs, totp_last_step: check.step });
    if (updated !== 1) throw new ConflictError('The set-up changed in another window: start it again.', 'TWO_FACTOR_NOT_STARTED');
    return replaceRecoveryCodes(trx, user.id, nowMs);
  });
}

// ---- checking a second factor

export type SecondFactorCheck =
  | { ok: true; method: 'code' | 'recovery code'; recoveryCodesLeft: number }
  | { ok: false; reason: 'format' | 'wrong' | 'replayed' | 'not enrolled' };

/**
 * A 6-digit code (each accepted once, ±1 step of clock drift) or a recovery code (each works once).
 * Recording the use is part of the check.
 */
export async function checkSecondFactor(deps: TwoFactorDeps, user: Pick<TwoFactorUser, 'id' | 'orgId'>, input: string, nowMs: number): Promise<SecondFactorCheck> {
  const row = await loadRow(deps.db, user);
  if (row.totp_enabled_at === null || row.totp_secret === null) return { ok: false, reason: 'not enrolled' };
  if (normaliseTotpCode(input) !== null) {
    const secret = await deps.secrets.openString(deps.db, user.orgId, secretPurpose(user.id), row.totp_secret);
    const check = verifyTotpCode({ secret, code: input, nowMs, lastUsedStep: asNumber(row.totp_last_step) });
    if (!check.ok) return { ok: false, reason: check.reason };
    const claimed = await deps.db('users')
      .where({ id: user.id })
      .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', check.step))
      .update({ totp_last_step: check.step });
    // Another request took this step (or a later one) between our read and this write.
    if (claimed !== 1) return { ok: false, reason: 'replayed' };
    return { ok: true, method: 'code', recoveryCodesLeft: await unusedRecoveryCodes(deps.db, user.id) };
  }
  const hash = hashRecoveryCode(user.id, input);
  if (hash === null) return { ok: false, reason: 'format' };
  const used = await deps.db('two_factor_recovery_codes').where({ user_id: user.id, code_hash: hash }).whereNull('used_at').update({ used_at: nowMs });
  if (used === 1) return { ok: true, method: 'recovery code', recoveryCodesLeft: await unusedRecoveryCodes(deps.db, user.id) };
  const known = await deps.db('two_factor_recovery_codes').where({ user_id: user.id, code_hash: hash }).first('id');
  return { ok: false, reason: known ? 'replayed' : 'wrong' };
}

/** What to tell the person about a refused second factor (never which part of a code was right). */
export function secondFactorProblem(reason: Exclude<SecondFactorCheck, { ok: true }>['reason']): string {
  switch (reason) {
    case 'format':
      return `${CODE_FORMAT_MESSAGE}, or one of your recovery codes`;
    case 'replayed':
      return 'has been used already: wait for the next code from your app (each code and each recovery code works once)';
    case 'not enrolled':
      return 'cannot be checked: two-factor login is not on for this account';
    case 'wrong':
      return "is not right: type the code your app shows now (if it keeps failing, check the phone's clock), or use a recovery code";
  }
}

/** Turns the second factor off, proven with a current code or a recovery code. */
export async function disableTwoFactor(deps: TwoFactorDeps, user: TwoFactorUser, code: string, nowMs: number): Promise<void> {
  if (user.role === 'admin' && (await requiresAdminTwoFactor(deps.db, user.orgId))) {
    throw new ConflictError('Your organisation requires two-factor login for admins, so it stays on for you.', 'TWO_FACTOR_REQUIRED');
  }
  const check = await checkSecondFactor(deps, user, code, nowMs);
  if (!check.ok) throw refused(check.reason);
  await deps.db.transaction(async (trx) => {
    await trx('two_factor_recovery_codes').where({ user_id: user.id }).del();
    await trx('users').where({ id: user.id }).update({ totp_secret: null, totp_pending_secret: null, totp_enabled_at: null, totp_last_step: null });
  });
}

/** New recovery codes (the old ones stop working), proven with a current code or a recovery code. */
export async function regenerateRecoveryCodes(deps: TwoFactorDeps, user: TwoFactorUser, code: string, nowMs: number): Promise<string[]> {
  const check = await checkSecondFactor(deps, user, code, nowMs);
  if (!check.ok) throw refused(check.reason);
  return deps.db.transaction((trx) => replaceRecoveryCodes(trx, user.id, nowMs));
}

/** For a locked-out user (CLI): no second factor, no recovery codes, no set-up in progress. */
export async function resetTwoFactor(db: Db, userId: number): Promise<{ wasEnabled: boolean; recoveryCodesRemoved: number }> {
  return db.transaction(async (trx) => {
    const row = (await trx('users').where({ id: userId }).first('id', 'totp_enabled_at')) as { id: number; totp_enabled_at: number | null } | undefined;
    if (!row) throw new NotFoundError(`User ${userId}`);
    const recoveryCodesRemoved = await trx('two_factor_recovery_codes').where({ user_id: userId }).del();
    await trx('users').where({ id: userId }).update({ totp_secret: null, totp_pending_secret: null, totp_enabled_at: null, totp_last_step: null });
    return { wasEnabled: row.totp_enabled_at !== null, recoveryCodesRemoved };
  });
}

async function replaceRecoveryCodes(trx: Queryable, userId: number, nowMs: number): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await trx('two_factor_recovery_codes').where({ user_id: userId }).del();
  await trx('two_factor_recovery_codes').insert(codes.map((code) => ({ user_id: userId, code_hash: hashRecoveryCode(userId, code)!, created_at: nowMs, used_at: null })));
  return codes;
}

// ---- the organisation's rule

export async function requiresAdminTwoFactor(db: Queryable, orgId: number): Promise<boolean> {
  const row = (await db('organisations').where({ id: orgId }).first('require_admin_two_factor')) as { require_admin_two_factor: boolean | number } | undefined;
  if (!row) throw new NotFoundError(`Organisation ${orgId}`);
  return Boolean(row.require_admin_two_factor);
}

export async function setRequiresAdminTwoFactor(db: Queryable, orgId: number, required: boolean): Promise<void> {
  const updated = await db('organisations').where({ id: orgId }).update({ require_admin_two_factor: required });
  if (updated !== 1) throw new NotFoundError(`Organisation ${orgId}`);
}

/** An admin of an organisation that requires a second factor, without one: may do nothing but enrol. */
export async function mustEnrolTwoFactor(db: Queryable, userId: number): Promise<boolean> {
  const row = (await db('users')
    .join('organisations', 'organisations.id', 'users.org_id')
    .where('users.id', userId)
    .first('users.role', 'users.totp_enabled_at', 'organisations.require_admin_two_factor')) as
    | { role: string; totp_enabled_at: number | null; require_admin_two_factor: boolean | number }
    | undefined;
  return Boolean(row && row.role === 'admin' && row.totp_enabled_at === null && row.require_admin_two_factor);
}

const alreadyOn = (): ConflictError => new ConflictError('Two-factor login is already on for this account.', 'TWO_FACTOR_ON');
/** A code that was refused; `guessed` when it was a real try (counted by the login throttle), not a typo in its form. */
export class CodeRefusedError extends ValidationError {
  constructor(message: string, readonly guessed: boolean) {
    super([{ path: 'code', message }], `The code ${message}`);
  }
}

const codeIssue = (message: string, guessed = false): CodeRefusedError => new CodeRefusedError(message, guessed);
const refused = (reason: Exclude<SecondFactorCheck, { ok: true }>['reason']): CodeRefusedError =>
  codeIssue(secondFactorProblem(reason), reason === 'wrong' || reason === 'replayed');
