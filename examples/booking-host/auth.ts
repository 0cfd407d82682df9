// The booking system's own login: staff sign in with an email and a password (scrypt hashes), the session
// lives in its own table (connect-session-knex), and every form carries a synchronizer CSRF token
// (csrf-sync) — which is also what Ledgerbridge's pages post back as `_csrf`. Its staff roles are its own
// (owner, desk, bookkeeper); Ledgerbridge sees them as the roles its pages know (admin, staff, accountant).
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import session from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import { csrfSync } from 'csrf-sync';
import type { Knex } from 'knex';
import type { Principal, Role } from 'ledgerbridge/contract';
import { renderPage } from './pages';

declare module 'express-session' {
  interface SessionData {
    staffId?: number;
    flash?: { kind: 'success' | 'error'; message: string };
  }
}

export type StaffRole = 'owner' | 'desk' | 'bookkeeper';
export const LEDGERBRIDGE_ROLE: Record<StaffRole, Role> = { owner: 'admin', desk: 'staff', bookkeeper: 'accountant' };

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64url')}$${(await scrypt(password, salt, 32)).toString('base64url')}`;
}

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length);
  return timingSafeEqual(actual, expected);
}

/** Checked when no one has the email, so an unknown address takes as long as a wrong password. */
const NO_ONE = `scrypt$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`;

interface StaffRow { id: number; venue_id: number; email: string; name: string; role: StaffRole; password_hash: string }

const principalOf = (s: StaffRow): Principal => ({ kind: 'user', id: Number(s.id), orgId: Number(s.venue_id), role: LEDGERBRIDGE_ROLE[s.role], name: s.name, email: s.email });

/** Sessions in the booking_sessions table, then who is signed in as req.principal, then CSRF for every form. */
export function sessionAndLogin(db: Knex, opts: { secret: string; secureCookies: boolean }): RequestHandler[] {
  const store = new ConnectSessionKnexStore({ knex: db, tableName: 'booking_sessions', createTable: false, cleanupInterval: 15 * 60_000 });
  const sessions = session({
    name: 'booking.sid', secret: opts.secret, store, resave: false, saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secureCookies, maxAge: 12 * 3_600_000 },
  });
  const signedIn: RequestHandler = (req, _res, next) => {
    const staffId = req.session.staffId;
    if (!staffId) return next();
    db('staff').where({ id: staffId }).first()
      .then((row: StaffRow | undefined) => {
        if (row) req.principal = principalOf(row);
        next();
      })
      .catch(next);
  };
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) => {
      const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
      return typeof fromBody === 'string' ? fromBody : req.get('x-csrf-token');
    },
  });
  const csrf: RequestHandler = (req, res, next) => {
    csrfSynchronisedProtection(req, res, (err?: unknown) => {
      if (err) {
        res.status(403);
        return renderPage(res, 'error', { title: 'This form has expired', detail: 'Go back, reload the page and try again.' });
      }
      // Read lazily: a page without a form never creates a session for a visitor.
      Object.defineProperty(res.locals, 'csrfToken', { enumerable: true, configurable: true, get: () => generateToken(req) });
      next();
    });
  };
  return [sessions, signedIn, csrf];
}

/** Ledgerbridge's `host.auth.authenticate`, and our own pages' guard: signed in, or off to the login page. */
export const authenticate: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  if (req.principal) return next();
  if (req.method === 'GET') return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
  res.status(401);
  renderPage(res, 'error', { title: 'You are not signed in', detail: 'Your session may have ended. Sign in and try again.' });
};

/** Signed in with one of these roles (Ledgerbridge's names for ours). */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, res, next) => {
    if (!req.principal) return authenticate(req, res, next);
    if (roles.includes(req.principal.role)) return next();
    res.status(403);
    renderPage(res, 'error', { title: 'Not allowed', detail: `This needs the ${roles.join(' or ')} role.` });
  };
}

const sameSitePath = (next: unknown): string => (typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/bookings');

export function loginRoutes(db: Knex): express.Router {
  const router = express.Router();
  router.get('/login', (req, res) => renderPage(res, 'login', { title: 'Sign in', next: sameSitePath(req.query.next), email: '', error: null }));
  router.post('/login', async (req, res, next) => {
    const form = req.body as Record<string, unknown>;
    const email = typeof form.email === 'string' ? form.email.trim().toLowerCase() : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const staff = (await db('staff').where({ email }).first()) as StaffRow | undefined;
    if (!(await passwordMatches(password, staff?.password_hash ?? NO_ONE)) || !staff) {
      res.status(401);
      return renderPage(res, 'login', { title: 'Sign in', next: sameSitePath(form.next), email, error: 'That email and password do not match.' });
    }
    // A new session id on sign-in, so one planted before it cannot ride along.
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.staffId = Number(staff.id);
      res.redirect(303, sameSitePath(form.next));
    });
  });
  router.post('/logout', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.redirect(303, '/login')));
  });
  return router;
}
