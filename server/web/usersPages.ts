import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import 'express-session';
import type { HostDeps } from '../hostDeps';
import { ROLES } from '../auth/principal';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { requireRole } from '../auth/middleware';
import { changeRole, createUser, disableUser, enableUser, listUsers } from '../auth/users';
import { createApiToken, listApiTokens, revokeApiToken } from '../auth/apiTokens';
import { getOrganisation } from '../domain/organisations';
import { requiresAdminTwoFactor, setRequiresAdminTwoFactor, twoFactorEnabledSince } from '../auth/twoFactor/store';
import { renderPage } from './render';
import { errorsByField, field, isUserFacing } from './forms';
import { setFlash, takeFlash } from './flash';
import { formatLocal } from './time';

// Admin only: users of the admin's organisation (with their two-factor state and the organisation's rule
// for admins), and its API tokens. A new token is shown exactly once,
// in the response to the POST that made it (never stored, never redirected through a URL). So that answer
// cannot be a redirect; instead each token form carries a one-off id, and the session remembers the last
// one used: reloading the answer (the browser posts the same form again) creates no second token.

declare module 'express-session' {
  interface SessionData {
    /** The form id of the last token created in this session (a reload re-posts it). */
    lastTokenForm?: string;
  }
}

interface PageState {
  userValues?: Record<string, string>;
  userErrors?: Record<string, string>;
  tokenValues?: Record<string, string>;
  tokenErrors?: Record<string, string>;
  newToken?: { token: string; name: string } | null;
  /** Shown when a token form was posted again (a reload): nothing was created. */
  tokenNotice?: string | null;
  /** Heads the error summary when a form was refused (the layout lists the field messages under it). */
  formError?: string | null;
}

const idParam = (req: Request): number => {
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || id <= 0) throw new NotFoundError('That record');
  return id;
};

export function createUsersPages(deps: Pick<HostDeps, 'db' | 'logger'>): Router {
  const router = Router();
  const admin = requireRole('admin');

  async function render(req: Request, res: Response, state: PageState, status?: number): Promise<void> {
    const orgId = req.principal!.orgId;
    const org = await getOrganisation(deps.db, orgId);
    const [users, tokens, twoFactorSince, adminTwoFactorRequired] = await Promise.all([
      listUsers(deps.db, orgId), listApiTokens(deps.db, orgId), twoFactorEnabledSince(deps.db, orgId), requiresAdminTwoFactor(deps.db, orgId),
    ]);
    if (state.newToken) res.set('Cache-Control', 'no-store');
    renderPage(
      res,
      'users/index',
      {
        title: 'Users & API tokens',
        roles: ROLES,
        users,
        tokens,
        twoFactorSince,
        adminTwoFactorRequired,
        flash: takeFlash(req),
        when: (ms: number | null) => formatLocal(ms, org.timezone),
        userValues: { role: 'staff' },
        userErrors: {},
        tokenValues: { role: 'staff' },
        tokenErrors: {},
        newToken: null,
        tokenNotice: null,
        tokenFormId: randomUUID(),
        formError: null,
        ...state,
      },
      status,
    );
  }

  router.get('/users', admin, async (req, res, next) => {
    try {
      await render(req, res, {});
    } catch (err) {
      next(err);
    }
  });

  router.post('/users', admin, async (req, res, next) => {
    const userValues = { email: field(req, 'email'), name: field(req, 'name'), role: field(req, 'role') };
    try {
      const user = await createUser(deps.db, { orgId: req.principal!.orgId, ...userValues, password: field(req, 'password') });
      deps.logger.info({ by: req.principal!.id, userId: user.id, role: user.role }, 'user created');
      setFlash(req, 'success', `Created ${user.email} (${user.role}).`);
      res.redirect(303, '/users');
    } catch (err) {
      if (err instanceof ValidationError) return render(req, res, { userValues, userErrors: errorsByField(err), formError: 'The user was not created.' }, 422).catch(next);
      if (err instanceof ConflictError) return render(req, res, { userValues, userErrors: { email: err.message }, formError: 'The user was not created.' }, 409).catch(next);
      next(err);
    }
  });

  // One handler per state change, each a plain form POST (works without JavaScript).
  const userAction = (path: string, act: (req: Request, orgId: number, userId: number) => Promise<string>) =>
    router.post(path, admin, async (req, res, next) => {
      try {
        const message = await act(req, req.principal!.orgId, idParam(req));
        setFlash(req, 'success', message);
      } catch (err) {
        if (!isUserFacing(err)) return next(err);
        setFlash(req, 'error', err.message);
      }
      res.redirect(303, '/users');
    });

  userAction('/users/:id/disable', async (req, orgId, userId) => {
    if (req.principal!.kind === 'user' && req.principal!.id === userId) {
      throw new ConflictError('You cannot disable your own account; ask another admin.');
    }
    const user = await disableUser(deps.db, orgId, userId);
    deps.logger.info({ by: req.principal!.id, userId }, 'user disabled');
    return `Disabled ${user.email}; their sessions end at their next request.`;
  });

  userAction('/users/:id/enable', async (req, orgId, userId) => {
    const user = await enableUser(deps.db, orgId, userId);
    deps.logger.info({ by: req.principal!.id, userId }, 'user enabled');
    return `Enabled ${user.email}.`;
  });

  userAction('/users/:id/role', async (req, orgId, userId) => {
    const user = await changeRole(deps.db, orgId, userId, field(req, 'role'));
    deps.logger.info({ by: req.principal!.id, userId, role: user.role }, 'user role changed');
    return `${user.email} is now ${user.role}.`;
  });

  // The organisation's rule: admins must use two-factor login. Admins without it are sent to set it up
  // at their next page (server/auth/twoFactor/enforce.ts), their open sessions included.
  router.post('/users/two-factor', admin, async (req, res, next) => {
    try {
      const choice = field(req, 'requireAdminTwoFactor');
      if (choice !== 'required' && choice !== 'optional') {
        setFlash(req, 'error', 'Nothing was changed: "Two-factor login for admins" must be Required or Optional.');
        return res.redirect(303, '/users');
      }
      const required = choice === 'required';
      await setRequiresAdminTwoFactor(deps.db, req.principal!.orgId, required);
      deps.logger.info({ by: req.principal!.id, orgId: req.principal!.orgId, required }, 'admin two-factor requirement changed');
      setFlash(req, 'success', required
        ? 'Two-factor login is now required for admins. An admin without it is asked to set it up before anything else.'
        : 'Two-factor login is now optional for admins.');
      res.redirect(303, '/users');
    } catch (err) {
      next(err);
    }
  });

  router.post('/users/tokens', admin, async (req, res, next) => {
    const tokenValues = { name: field(req, 'name'), role: field(req, 'role') };
    const formId = field(req, 'formId');
    try {
      if (formId && req.session?.lastTokenForm === formId) {
        return await render(req, res, { tokenNotice: 'That form was already used: its token was created once and is in the list above. A token is shown only when it is made; if it was not copied, revoke it and create another.' });
      }
      const { token, id } = await createApiToken(deps.db, { orgId: req.principal!.orgId, ...tokenValues });
      if (formId && req.session) req.session.lastTokenForm = formId;
      deps.logger.info({ by: req.principal!.id, tokenId: id, role: tokenValues.role }, 'api token created');
      await render(req, res, { newToken: { token, name: tokenValues.name.trim() } }, 201);
    } catch (err) {
      if (err instanceof ValidationError) return render(req, res, { tokenValues, tokenErrors: errorsByField(err), formError: 'No token was created.' }, 422).catch(next);
      next(err);
    }
  });

  router.post('/users/tokens/:id/revoke', admin, async (req, res, next) => {
    try {
      const token = await revokeApiToken(deps.db, idParam(req), req.principal!.orgId);
      deps.logger.info({ by: req.principal!.id, tokenId: token.id }, 'api token revoked');
      setFlash(req, 'success', `Revoked the token "${token.name}". Requests using it are refused from now on.`);
    } catch (err) {
      if (!isUserFacing(err)) return next(err);
      setFlash(req, 'error', err.message);
    }
    res.redirect(303, '/users');
  });

  return router;
}
