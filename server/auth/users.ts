import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { isPostgres, nowMs, type Db, type Queryable } from '../db/knex';
import { ROLES, type Principal, type Role } from './principal';
import { assertPasswordAcceptable, hashPassword } from './passwords';
import { CONTROL_CHARACTER_MESSAGE, hasControlCharacters } from '../domain/text';

export interface User {
  id: number;
  orgId: number;
  email: string;
  name: string;
  role: Role;
  createdAt: number;
  disabledAt: number | null;
}

interface UserRow {
  id: number;
  org_id: number;
  email: string;
  name: string;
  role: string;
  password_hash: string;
  created_at: number;
  disabled_at: number | null;
}

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

const fromRow = (r: UserRow): User => ({
  id: r.id,
  orgId: r.org_id,
  email: r.email,
  name: r.name,
  role: r.role as Role,
  createdAt: Number(r.created_at),
  disabledAt: r.disabled_at === null ? null : Number(r.disabled_at),
});

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

const NewUser = z.object({
  orgId: z.number().int().positive(),
  email: z
    .string({ message: 'is required' })
    .trim()
    .toLowerCase()
    .max(320, 'must be at most 320 characters')
    .pipe(z.email({ message: 'must be an email address such as name@example.com' })),
  name: z.string().trim().max(200, 'must be at most 200 characters').refine((v) => !hasControlCharacters(v), CONTROL_CHARACTER_MESSAGE).optional(),
  role: z.enum(ROLES as [Role, ...Role[]], { message: `must be one of ${ROLES.join(', ')}` }),
  password: z.string({ message: 'is required' }),
});
/** `role` is checked at run time: it comes from forms and the command line. */
export type NewUserInput = Omit<z.input<typeof NewUser>, 'role'> & { role: string };

function issuesOf(error: z.ZodError): ValidationError {
  return new ValidationError(error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
}

/**
 * Emails are unique across the install, so one in use may belong to another organisation: the answer must
 * not tell an admin that a stranger's email has an account here (the same words whoever holds it).
 */
const emailTaken = (): ConflictError =>
  new ConflictError('This email cannot be used for a new user: choose another one. Someone who already has a login signs in with it.', 'EMAIL_TAKEN');

/** Creates a user in an existing organisation. Emails are unique across the whole install (they log in by it). */
export async function createUser(db: Queryable, input: NewUserInput): Promise<User> {
  const parsed = NewUser.safeParse(input);
  if (!parsed.success) throw issuesOf(parsed.error);
  const { orgId, email, role, password } = parsed.data;
  assertPasswordAcceptable(password);
  const org = await db('organisations').where({ id: orgId }).first('id');
  if (!org) throw new NotFoundError(`Organisation ${orgId}`);
  if (await db('users').whereRaw('lower(email) = ?', [email]).first('id')) {
    throw emailTaken();
  }
  const name = parsed.data.name || email.split('@')[0] || email;
  const passwordHash = await hashPassword(password);
  try {
    const [row] = await db('users')
      .insert({ org_id: orgId, email, name, role, password_hash: passwordHash, created_at: nowMs(), disabled_at: null })
      .returning('*');
    return fromRow(row as UserRow);
  } catch (err) {
    // Two concurrent creates of one email: the unique index decides; report it the same way.
    if (/unique|duplicate/i.test(String((err as Error).message))) {
      throw emailTaken();
    }
    throw err;
  }
}

/** The stored row including the password hash: only for login. */
export async function findUserForLogin(db: Queryable, email: string): Promise<(User & { passwordHash: string }) | null> {
  const row = (await db('users').where({ email: normaliseEmail(email) }).first()) as UserRow | undefined;
  return row ? { ...fromRow(row), passwordHash: row.password_hash } : null;
}

export async function findUserByEmail(db: Queryable, email: string): Promise<User | null> {
  const row = (await db('users').where({ email: normaliseEmail(email) }).first()) as UserRow | undefined;
  return row ? fromRow(row) : null;
}

export async function getUser(db: Queryable, id: number): Promise<User | null> {
  const row = (await db('users').where({ id }).first()) as UserRow | undefined;
  return row ? fromRow(row) : null;
}

export async function listUsers(db: Queryable, orgId: number): Promise<User[]> {
  return ((await db('users').where({ org_id: orgId }).orderBy('id')) as UserRow[]).map(fromRow);
}

export async function setPasswordHash(db: Queryable, userId: number, passwordHash: string): Promise<void> {
  await db('users').where({ id: userId }).update({ password_hash: passwordHash });
}

/** Any admin at all, disabled ones included: first-run setup must never reopen because admins were disabled. */
export async function hasAnyAdmin(db: Queryable): Promise<boolean> {
  return Boolean(await db('users').where({ role: 'admin' }).first('id'));
}

async function userInOrg(db: Queryable, orgId: number, userId: number): Promise<User> {
  const row = (await db('users').where({ id: userId, org_id: orgId }).first()) as UserRow | undefined;
  if (!row) throw new NotFoundError(`User ${userId}`);
  return fromRow(row);
}

async function otherActiveAdmins(db: Queryable, orgId: number, userId: number): Promise<number> {
  const row = (await db('users')
    .where({ org_id: orgId, role: 'admin' })
    .whereNull('disabled_at')
    .whereNot({ id: userId })
    .count<{ n: number | string }[]>({ n: '*' })
    .first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

const LAST_ADMIN_HELP = 'Make another user an admin first: an organisation always keeps at least one active admin.';

/**
 * Changes that could leave an organisation without an active admin run one at a time per organisation:
 * the check ("another active admin remains") and the update commit together under the organisation's row
 * lock (PostgreSQL; SQLite's transactions are serial already). Two admins disabling each other at the same
 * moment once left an organisation with none.
 */
async function underAdminLock<T>(db: Queryable, orgId: number, work: (trx: Queryable) => Promise<T>): Promise<T> {
  const locked = async (trx: Queryable) => {
    if (isPostgres(trx)) await trx('organisations').where({ id: orgId }).forUpdate().first('id');
    return work(trx);
  };
  return db.isTransaction ? locked(db) : (db as Db).transaction(locked);
}

/** Disabled users cannot log in and their sessions end at the next request. */
export async function disableUser(db: Queryable, orgId: number, userId: number): Promise<User> {
  return underAdminLock(db, orgId, async (trx) => {
    const user = await userInOrg(trx, orgId, userId);
    if (user.disabledAt !== null) return user;
    if (user.role === 'admin' && (await otherActiveAdmins(trx, orgId, userId)) === 0) {
      throw new ConflictError(`${user.email} is the organisation's last active admin and cannot be disabled. ${LAST_ADMIN_HELP}`, 'LAST_ADMIN');
    }
    const disabledAt = nowMs();
    await trx('users').where({ id: userId }).update({ disabled_at: disabledAt });
    return { ...user, disabledAt };
  });
}

export async function enableUser(db: Queryable, orgId: number, userId: number): Promise<User> {
  const user = await userInOrg(db, orgId, userId);
  await db('users').where({ id: userId }).update({ disabled_at: null });
  return { ...user, disabledAt: null };
}

export async function changeRole(db: Queryable, orgId: number, userId: number, role: string): Promise<User> {
  if (!isRole(role)) throw new ValidationError([{ path: 'role', message: `must be one of ${ROLES.join(', ')}` }]);
  return underAdminLock(db, orgId, async (trx) => {
    const user = await userInOrg(trx, orgId, userId);
    if (user.role === role) return user;
    if (user.role === 'admin' && user.disabledAt === null && (await otherActiveAdmins(trx, orgId, userId)) === 0) {
      throw new ConflictError(`${user.email} is the organisation's last active admin and must stay an admin. ${LAST_ADMIN_HELP}`, 'LAST_ADMIN');
    }
    await trx('users').where({ id: userId }).update({ role });
    return { ...user, role };
  });
}

export const userPrincipal = (user: User): Principal => ({
  kind: 'user',
  id: user.id,
  orgId: user.orgId,
  role: user.role,
  name: user.name,
  email: user.email,
});
