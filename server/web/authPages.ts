import { Router, type NextFunction, type Request, type Response } from 'express';
import type { HostDeps } from '../hostDeps';
import type { Principal } from '../auth/principal';
import { isPostgres, nowMs } from '../db/knex';
import { ConflictError, ValidationError } from '../errors';
import { createOrganisation } from '../domain/organisations';
import { logInSession, passportFor } from '../auth/session';
import { hasSecondFactor, mustEnrolTwoFactor } from '../auth/twoFactor/store';
import { startPendingLogin } from '../auth/twoFactor/pendingLogin';
import { ENROLMENT_PATH } from '../auth/twoFactor/enforce';
import { TWO_FACTOR_LOGIN_PATH } from './twoFactorLogin';
import { checkLoginAllowed, recordLoginFailure, recordLoginSuccess } from '../auth/loginThrottle';
import { assertPasswordAcceptable } from '../auth/passwords';
import { createUser, hasAnyAdmin, userPrincipal } from '../auth/users';
import { requireLogin } from '../auth/middleware';
import { renderPage } from './render';
import { clientIp, errorsByField, field, safeRedirectPath } from './forms';

type Deps = Pick<HostDeps, 'config' | 'db' | 'logger'>;

/** Any key: it only serialises concurrent first-run setups on PostgreSQL (SQLite has one writer anyway). */
const SETUP_LOCK_KEY = 7_340_001;

export function createAuthPages(deps: Deps): Router {
  const router = Router();
  const auth = passportFor(deps);

  const renderLogin = (res: Response, locals: { email?: string; next?: string; error?: string | null; notice?: string | null }, status?: number) =>
    renderPage(res, 'login', { title: 'Log in', email: '', next: '/', error: null, notice: null, ...locals }, status);

  router.get('/login', async (req, res, next) => {
    try {
      if (req.principal) return res.redirect(303, '/');
      // A fresh install has no one to log in as: send the first visitor to setup.
      if (!(await hasAnyAdmin(deps.db))) return res.redirect(303, '/setup');
      const nextPath = safeRedirectPath(typeof req.query.next === 'string' ? req.query.next : '/');
      renderLogin(res, { next: nextPath });
    } catch (err) {
      next(err);
    }
  });

  router.post('/login', async (req, res, next) => {
    try {
      const email = field(req, 'email').trim();
      const nextPath = safeRedirectPath(field(req, 'next'));
      if (!email || !field(req, 'password')) {
        return renderLogin(res, { email, next: nextPath, error: 'Enter your email and your password.' }, 422);
      }
      const ip = clientIp(req);
      const verdict = await checkLoginAllowed(deps.db, deps.config.login, email, ip);
      if (!verdict.allowed) {
        const minutes = verdict.retryAfterMinutes;
        res.set('Retry-After', String(minutes * 60));
        return renderLogin(res, { email, next: nextPath, error: `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` }, 429);
      }
      auth.authenticate('local', { session: false }, (err: unknown, user: Principal | false, info?: { message?: string }) => {
        (async () => {
          if (err) throw err;
          if (!user) {
            await recordLoginFailure(deps.db, deps.config.login, email, ip);
            deps.logger.info({ ip }, 'login failed');
            return renderLogin(res, { email, next: nextPath, error: info?.message ?? 'Login failed.' }, 401);
          }
          if (await hasSecondFactor(deps.db, user.id)) {
            // Not logged in yet: the code comes next. The throttle's count is NOT reset by the password,
            // or re-entering it between code guesses would make the codes unthrottled.
            await startPendingLogin(req, { userId: user.id, next: nextPath }, nowMs());
            deps.logger.info({ userId: user.id }, 'password accepted; second factor asked');
            return res.redirect(303, TWO_FACTOR_LOGIN_PATH);
          }
          await logInSession(req, user);
          await recordLoginSuccess(deps.db, email, ip);
          deps.logger.info({ userId: user.id }, 'login');
          // An admin whose organisation requires a second factor sets it up before anything else.
          res.redirect(303, (await mustEnrolTwoFactor(deps.db, user.id)) ? ENROLMENT_PATH : nextPath);
        })().catch(next);
      })(req, res, next);
    } catch (err) {
      next(err);
    }
  });

  router.post('/logout', requireLogin, (req, res, next) => {
    // passport 0.7 clears the user and regenerates the session, so the old cookie is worthless.
    req.logout((err) => {
      if (err) return next(err);
      res.redirect(303, '/login');
    });
  });

  // ---- First run: exists only while no admin exists anywhere; afterwards it is a 404 like any unknown page.

  const setupGone = (res: Response) => {
    res.status(404);
    res.render('error', { title: 'Page not found', detail: 'Setup is already complete. Log in instead.', status: 404 });
  };

  const renderSetup = (res: Response, locals: Record<string, unknown>, status?: number) =>
    renderPage(res, 'setup', { title: 'Set up', values: {}, errors: {}, formError: null, ...locals }, status);

  router.get('/setup', async (_req, res, next) => {
    try {
      if (await hasAnyAdmin(deps.db)) return setupGone(res);
      renderSetup(res, {});
    } catch (err) {
      next(err);
    }
  });

  router.post('/setup', async (req: Request, res: Response, next: NextFunction) => {
    const values = {
      orgName: field(req, 'orgName'),
      currency: field(req, 'currency'),
      timezone: field(req, 'timezone'),
      name: field(req, 'name'),
      email: field(req, 'email'),
    };
    const password = field(req, 'password');
    try {
      if (await hasAnyAdmin(deps.db)) return setupGone(res);
      const confirmIssues = password !== field(req, 'passwordConfirm') ? [{ path: 'passwordConfirm', message: 'does not match the password' }] : [];
      try {
        assertPasswordAcceptable(password);
      } catch (err) {
        if (err instanceof ValidationError) throw new ValidationError([...err.issues, ...confirmIssues]);
        throw err;
      }
      if (confirmIssues.length) throw new ValidationError(confirmIssues);

      const user = await deps.db.transaction(async (trx) => {
        if (isPostgres(trx)) await trx.raw('select pg_advisory_xact_lock(?)', [SETUP_LOCK_KEY]);
        if (await hasAnyAdmin(trx)) return null;
        const org = await createOrganisation(trx, { name: values.orgName, baseCurrency: values.currency || undefined, timezone: values.timezone || undefined })
          .catch((err: unknown) => {
            // The organisation's fields have other names in the form.
            const rename: Record<string, string> = { name: 'orgName', baseCurrency: 'currency', timezone: 'timezone' };
            if (err instanceof ValidationError) throw new ValidationError(err.issues.map((i) => ({ ...i, path: rename[i.path] ?? i.path })));
            throw err;
          });
        return createUser(trx, { orgId: org.id, email: values.email, name: values.name, role: 'admin', password });
      });
      if (!user) return setupGone(res);
      deps.logger.info({ userId: user.id, orgId: user.orgId }, 'first-run setup complete');
      await logInSession(req, userPrincipal(user));
      res.redirect(303, '/');
    } catch (err) {
      if (err instanceof ValidationError) return renderSetup(res, { values, errors: errorsByField(err) }, 422);
      if (err instanceof ConflictError) {
        return renderSetup(res, { values, errors: { email: err.message }, formError: err.message }, 409);
      }
      next(err);
    }
  });

  return router;
}
