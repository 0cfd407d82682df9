import session from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import passportModule from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, RequestHandler } from 'express';
import type { AppConfig } from '../config';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import type { Principal } from './principal';
import { burnPasswordCheck, hashPassword, needsRehash, verifyPassword } from './passwords';
import { findUserForLogin, getUser, setPasswordHash, userPrincipal } from './users';

export interface SessionDeps {
  config: AppConfig;
  db: Db;
  logger: Logger;
}

export const SESSION_COOKIE = 'lb.sid';
const SECRET_FILE = 'session.secret';

/**
 * SESSION_SECRET if set; otherwise a random secret created once in `<DATA_DIR>/session.secret` (mode 0600),
 * so a restart keeps everyone logged in and several processes sharing DATA_DIR sign cookies alike.
 */
export function resolveSessionSecret(config: Pick<AppConfig, 'session' | 'dataDir'>): string {
  if (config.session.secret) return config.session.secret;
  const file = join(config.dataDir, SECRET_FILE);
  try {
    return readSecret(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(config.dataDir, { recursive: true });
  try {
    // 'wx' fails if another process created it first; then we read theirs.
    writeFileSync(file, randomBytes(48).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readSecret(file);
}

function readSecret(file: string): string {
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${file} holds a session secret shorter than 32 characters: delete it to have a new one made`);
  return secret;
}

export function createSessionMiddleware(deps: SessionDeps): RequestHandler {
  const store = new ConnectSessionKnexStore({
    knex: deps.db,
    tableName: 'sessions',
    createTable: false, // the core migration owns the table
    cleanupInterval: 15 * 60_000,
    onDbCleanupError: (err) => deps.logger.warn({ err }, 'expired session cleanup failed'),
  });
  return session({
    name: SESSION_COOKIE,
    secret: resolveSessionSecret(deps.config),
    store,
    resave: false,
    // No row for visitors who never log in or open a form.
    saveUninitialized: false,
    unset: 'destroy',
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.config.session.cookieSecure,
      maxAge: deps.config.session.ttlHours * 3_600_000,
      path: '/',
    },
  });
}

export type Authenticator = passportModule.Authenticator;

export const LOGIN_FAILED_MESSAGE = 'That email and password do not match an account.';

// One Authenticator per database (not passport's global singleton): tests and hosts may build several apps.
const authenticators = new WeakMap<Db, Authenticator>();

/** The passport instance for this database: local strategy by email, the session holds only the user id. */
export function passportFor(deps: { db: Db; logger: Logger }): Authenticator {
  const existing = authenticators.get(deps.db);
  if (existing) return existing;
  const { db, logger } = deps;
  const auth = new passportModule.Passport();

  auth.use(
    new LocalStrategy({ usernameField: 'email', passwordField: 'password' }, (email, password, done) => {
      (async () => {
        const user = await findUserForLogin(db, email);
        if (!user) {
          await burnPasswordCheck(password);
          return done(null, false, { message: LOGIN_FAILED_MESSAGE });
        }
        if (!(await verifyPassword(password, user.passwordHash))) return done(null, false, { message: LOGIN_FAILED_MESSAGE });
        if (user.disabledAt !== null) return done(null, false, { message: 'This account is disabled. Ask an admin to enable it again.' });
        if (needsRehash(user.passwordHash)) {
          // Cost parameters went up since this hash was made: upgrade it while we hold the password.
          await setPasswordHash(db, user.id, await hashPassword(password)).catch((err) => logger.warn({ err, userId: user.id }, 'password rehash failed'));
        }
        return done(null, userPrincipal(user));
      })().catch(done);
    }),
  );

  auth.serializeUser((user, done) => done(null, (user as Principal).id));
  auth.deserializeUser((id: unknown, done: (err: unknown, user?: Express.User | false) => void) => {
    getUser(db, Number(id))
      .then((user) => {
        // A disabled or deleted user's session ends here: passport drops it from the session on `false`.
        if (!user || user.disabledAt !== null) return done(null, false);
        return done(null, userPrincipal(user));
      })
      .catch(done);
  });

  authenticators.set(db, auth);
  return auth;
}

/** Logs the principal in: passport 0.7 regenerates the session id here (no fixation) and saves it. */
export function logInSession(req: Request, principal: Principal): Promise<void> {
  return new Promise((resolve, reject) => req.logIn(principal, (err) => (err ? reject(err) : resolve())));
}
