import { Router, type Request, type Response } from 'express';
import type { HostDeps } from '../hostDeps';
import type { Principal } from '../auth/principal';
import { nowMs } from '../db/knex';
import { ForbiddenError, ValidationError, type AppError } from '../errors';
import { requireLogin } from '../auth/middleware';
import { checkLoginAllowed, recordLoginFailure, recordLoginSuccess } from '../auth/loginThrottle';
import { otpauthUri } from '../auth/twoFactor/totp';
import { RECOVERY_CODE_COUNT } from '../auth/twoFactor/recoveryCodes';
import { ENROLMENT_PATH } from '../auth/twoFactor/enforce';
import {
  CodeRefusedError,
  confirmEnrolment,
  disableTwoFactor,
  getTwoFactorState,
  mustEnrolTwoFactor,
  pendingSecret,
  regenerateRecoveryCodes,
  requiresAdminTwoFactor,
  startEnrolment,
  type TwoFactorUser,
} from '../auth/twoFactor/store';
import { getOrganisation } from '../domain/organisations';
import { renderPage } from './render';
import { clientIp, errorsByField, field, isUserFacing } from './forms';
import { setFlash, takeFlash } from './flash';
import { qrCodeDataUrl } from './qrCode';
import { formatLocal } from './time';

// Each logged-in person's two-factor login: set it up (QR code + key, confirmed with a first code), see
// how many recovery codes are left, make new ones, turn it off. New recovery codes are shown once, in the
// answer to the POST that made them (never redirected through a URL or kept in the session).

type Deps = Pick<HostDeps, 'config' | 'db' | 'logger' | 'secrets'>;
type FormName = 'confirm' | 'regenerate' | 'disable';
/** What a refused form left undone: the heading of the page's error summary. */
const FORM_ERROR_FOR: Record<FormName, string> = { confirm: 'Two-factor login is not on yet.', regenerate: 'No new recovery codes were made.', disable: 'Two-factor login is still on.' };

interface PageState {
  errors?: Record<string, string>;
  errorForm?: FormName | null;
  recoveryCodes?: string[] | null;
}

export const TOTP_ISSUER = 'Ledgerbridge';

/** The key in groups of four, as authenticator apps show and accept it. */
const grouped = (secret: string): string => secret.match(/.{1,4}/g)?.join(' ') ?? secret;

function twoFactorUser(req: Request): TwoFactorUser & { email: string } {
  const p = req.principal as Principal;
  // A session principal is always a person; the check keeps a future principal kind from slipping in.
  if (p.kind !== 'user' || !p.email) throw new ForbiddenError('Two-factor login belongs to a person who logs in.');
  return { id: p.id, orgId: p.orgId, role: p.role, email: p.email };
}

export function createTwoFactorPages(deps: Deps): Router {
  const router = Router();

  async function render(req: Request, res: Response, state: PageState, status?: number): Promise<void> {
    const user = twoFactorUser(req);
    const [twoFactor, org, required, mustEnrol] = await Promise.all([
      getTwoFactorState(deps.db, user),
      getOrganisation(deps.db, user.orgId),
      requiresAdminTwoFactor(deps.db, user.orgId),
      mustEnrolTwoFactor(deps.db, user.id),
    ]);
    let setup: { secret: string; qr: string; issuer: string; account: string } | null = null;
    const secret = twoFactor.enabledAt === null ? await pendingSecret(deps, user) : null;
    if (secret) setup = { secret: grouped(secret), qr: await qrCodeDataUrl(otpauthUri({ secret, issuer: TOTP_ISSUER, account: user.email })), issuer: TOTP_ISSUER, account: user.email };
    // A page with a secret or recovery codes on it must not be kept by the browser or a proxy.
    if (setup || state.recoveryCodes) res.set('Cache-Control', 'no-store');
    renderPage(
      res,
      'account/two-factor',
      {
        title: 'Two-factor login',
        twoFactor,
        setup,
        requiredForYou: required && user.role === 'admin',
        mustEnrol,
        recoveryCodeCount: RECOVERY_CODE_COUNT,
        since: formatLocal(twoFactor.enabledAt, org.timezone),
        flash: takeFlash(req),
        errors: {},
        errorForm: null,
        recoveryCodes: null,
        ...state,
        formError: state.errorForm ? FORM_ERROR_FOR[state.errorForm] : null,
      },
      status,
    );
  }

  router.get(ENROLMENT_PATH, requireLogin, async (req, res, next) => {
    try {
      await render(req, res, {});
    } catch (err) {
      next(err);
    }
  });

  router.post(`${ENROLMENT_PATH}/setup`, requireLogin, async (req, res, next) => {
    try {
      const user = twoFactorUser(req);
      await startEnrolment(deps, user);
      deps.logger.info({ userId: user.id }, 'two-factor set-up started');
      res.redirect(303, ENROLMENT_PATH);
    } catch (err) {
      if (!isUserFacing(err)) return next(err);
      setFlash(req, 'error', err.message);
      res.redirect(303, ENROLMENT_PATH);
    }
  });

  router.post(`${ENROLMENT_PATH}/confirm`, requireLogin, async (req, res, next) => {
    try {
      const user = twoFactorUser(req);
      const recoveryCodes = await confirmEnrolment(deps, user, field(req, 'code'), nowMs());
      deps.logger.info({ userId: user.id }, 'two-factor login turned on');
      await render(req, res, { recoveryCodes }, 201);
    } catch (err) {
      if (!isUserFacing(err)) return next(err);
      render(req, res, { errors: errorsFor(err), errorForm: 'confirm' }, err.statusCode).catch(next);
    }
  });

  /** Turning it off or making new codes needs a current code: a borrowed session alone is not enough. Throttled like logins. */
  type Outcome = { recoveryCodes: string[] } | { flash: string };
  const withCode = (path: string, form: FormName, act: (user: TwoFactorUser, code: string, now: number) => Promise<Outcome>) =>
    router.post(path, requireLogin, async (req, res, next) => {
      try {
        const user = twoFactorUser(req);
        const ip = clientIp(req);
        const now = nowMs();
        const verdict = await checkLoginAllowed(deps.db, deps.config.login, user.email, ip, now);
        if (!verdict.allowed) {
          res.set('Retry-After', String(verdict.retryAfterMinutes * 60));
          const message = `was not checked: too many failed attempts, try again in ${verdict.retryAfterMinutes} minute${verdict.retryAfterMinutes === 1 ? '' : 's'}`;
          return await render(req, res, { errors: { code: message }, errorForm: form }, 429);
        }
        let outcome: Outcome;
        try {
          outcome = await act(user, field(req, 'code'), now);
        } catch (err) {
          if (!isUserFacing(err)) throw err;
          if (err instanceof CodeRefusedError && err.guessed) {
            await recordLoginFailure(deps.db, deps.config.login, user.email, ip, now);
            deps.logger.info({ userId: user.id, ip, form }, 'two-factor code refused');
          }
          return await render(req, res, { errors: errorsFor(err), errorForm: form }, err.statusCode);
        }
        await recordLoginSuccess(deps.db, user.email, ip);
        if ('recoveryCodes' in outcome) return await render(req, res, { recoveryCodes: outcome.recoveryCodes }, 201);
        setFlash(req, 'success', outcome.flash);
        res.redirect(303, ENROLMENT_PATH);
      } catch (err) {
        next(err);
      }
    });

  withCode(`${ENROLMENT_PATH}/recovery-codes`, 'regenerate', async (user, code, now) => {
    const recoveryCodes = await regenerateRecoveryCodes(deps, user, code, now);
    deps.logger.info({ userId: user.id }, 'two-factor recovery codes replaced');
    return { recoveryCodes };
  });

  withCode(`${ENROLMENT_PATH}/disable`, 'disable', async (user, code, now) => {
    await disableTwoFactor(deps, user, code, now);
    deps.logger.info({ userId: user.id }, 'two-factor login turned off');
    return { flash: 'Two-factor login is off: your password alone logs you in. Your recovery codes no longer work.' };
  });

  return router;
}

/** Field errors of a user-facing error: a ValidationError's own; anything else (a 409) is about the code. */
function errorsFor(err: AppError): Record<string, string> {
  return err instanceof ValidationError ? errorsByField(err) : { code: err.message };
}
