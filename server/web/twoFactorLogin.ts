import { Router, type Request, type Response } from 'express';
import type { HostDeps } from '../hostDeps';
import { nowMs } from '../db/knex';
import { checkLoginAllowed, recordLoginFailure, recordLoginSuccess } from '../auth/loginThrottle';
import { logInSession } from '../auth/session';
import { getUser, userPrincipal } from '../auth/users';
import { checkSecondFactor, secondFactorProblem } from '../auth/twoFactor/store';
import { clearPendingLogin, readPendingLogin } from '../auth/twoFactor/pendingLogin';
import { ENROLMENT_PATH } from '../auth/twoFactor/enforce';
import { renderPage } from './render';
import { clientIp, field } from './forms';
import { setFlash } from './flash';

// The second step of a login: after the right password (authPages.ts) the session holds a pending login;
// here the code from the authenticator app, or a recovery code, finishes it. Wrong codes count against
// the same throttle as wrong passwords (per email+IP and per IP), with the same 429 and Retry-After.

export const TWO_FACTOR_LOGIN_PATH = '/login/two-factor';

type Deps = Pick<HostDeps, 'config' | 'db' | 'logger' | 'secrets'>;

const EXPIRED = 'Your login waited too long for its code: enter your email and password again.';

export function createTwoFactorLoginPage(deps: Deps): Router {
  const router = Router();

  const render = (res: Response, locals: { error?: string | null; usedRecovery?: boolean }, status?: number) =>
    renderPage(res, 'login-two-factor', { title: 'Two-factor login', error: null, usedRecovery: false, ...locals }, status);

  const backToLogin = (req: Request, res: Response, error = EXPIRED) => {
    clearPendingLogin(req);
    res.status(401);
    renderPage(res, 'login', { title: 'Log in', email: '', next: '/', error, notice: null });
  };

  router.get(TWO_FACTOR_LOGIN_PATH, (req, res) => {
    if (req.principal) return res.redirect(303, '/');
    if (!readPendingLogin(req, nowMs())) return res.redirect(303, '/login');
    // The form posts the code; nothing about the account is shown to whoever holds this session.
    render(res, {});
  });

  router.post(TWO_FACTOR_LOGIN_PATH, async (req, res, next) => {
    try {
      if (req.principal) return res.redirect(303, '/');
      const now = nowMs();
      const pending = readPendingLogin(req, now);
      if (!pending) return backToLogin(req, res);
      const user = await getUser(deps.db, pending.userId);
      if (!user || user.disabledAt !== null) return backToLogin(req, res);

      // A recovery code has its own field (letters: a phone's number pad could not type it).
      const recovery = field(req, 'recoveryCode').trim();
      const input = recovery || field(req, 'code').trim();
      const usedRecovery = recovery !== '';
      if (!input) return render(res, { error: 'Enter the 6-digit code from your authenticator app, or a recovery code.', usedRecovery }, 422);

      const ip = clientIp(req);
      const verdict = await checkLoginAllowed(deps.db, deps.config.login, user.email, ip, now);
      if (!verdict.allowed) {
        const minutes = verdict.retryAfterMinutes;
        res.set('Retry-After', String(minutes * 60));
        return render(res, { error: `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, usedRecovery }, 429);
      }

      const check = await checkSecondFactor(deps, user, input, now);
      // Turned off meanwhile (the CLI reset): the password alone is enough now, so have it typed again.
      if (!check.ok && check.reason === 'not enrolled') return backToLogin(req, res, 'Two-factor login was turned off for this account meanwhile: log in with your email and password.');
      if (!check.ok) {
        const label = usedRecovery ? 'The recovery code' : 'The code';
        if (check.reason === 'format') return render(res, { error: `${label} ${secondFactorProblem(check.reason)}.`, usedRecovery }, 422);
        await recordLoginFailure(deps.db, deps.config.login, user.email, ip, now);
        deps.logger.info({ userId: user.id, ip, reason: check.reason }, 'two-factor code refused');
        return render(res, { error: `${label} ${secondFactorProblem(check.reason)}.`, usedRecovery }, 401);
      }

      // passport regenerates the session id again, which also drops the pending login.
      await logInSession(req, userPrincipal(user));
      await recordLoginSuccess(deps.db, user.email, ip);
      deps.logger.info({ userId: user.id, secondFactor: check.method, ...(check.method === 'recovery code' ? { recoveryCodesLeft: check.recoveryCodesLeft } : {}) }, 'login');
      if (check.method === 'recovery code') {
        // Someone without their phone: show them where to make new codes (or set up a new phone) first.
        const left = check.recoveryCodesLeft;
        setFlash(req, left > 2 ? 'success' : 'error', `You logged in with a recovery code; ${left} left. Each works once: make new ones below if you are running low.`);
        return res.redirect(303, ENROLMENT_PATH);
      }
      res.redirect(303, pending.next);
    } catch (err) {
      next(err);
    }
  });

  return router;
}
