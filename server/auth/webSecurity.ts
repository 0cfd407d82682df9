import express, { type RequestHandler } from 'express';
import type { HostDeps } from '../hostDeps';
import type { Principal } from './principal';
import { createCsrfProtection } from './csrf';
import { createSessionMiddleware, passportFor, resolveSessionSecret } from './session';
import { HOST_NAV } from '../web/nav';
import { requireEnrolmentWhereRequired } from './twoFactor/enforce';
import '../http/request';

/**
 * Everything a page request passes before its route, in this order:
 *  1. form body parser (urlencoded; CSRF reads `_csrf` from it)
 *  2. session (cookie → row in `sessions`)
 *  3. passport.initialize + passport.session (user id in the session → req.user, a Principal)
 *  4. req.principal from the session's user
 *  5. CSRF check for POST/PUT/PATCH/DELETE
 *  6. view locals: principal, csrfToken (lazy), hostNav, nav (plugin entries; the host may overwrite)
 *  7. two-factor enrolment where the organisation requires it (admins without a second factor reach only
 *     the enrolment pages and logout)
 * Mount after /api and /webhooks (they must not get cookies, sessions or CSRF).
 */
export function createWebSecurityMiddleware(deps: Pick<HostDeps, 'config' | 'db' | 'logger' | 'plugins'>): RequestHandler[] {
  const auth = passportFor(deps);
  const csrf = createCsrfProtection({ secret: resolveSessionSecret(deps.config), secureCookie: deps.config.session.cookieSecure });

  const principalFromSession: RequestHandler = (req, _res, next) => {
    if (!req.principal && req.user) req.principal = req.user as Principal;
    next();
  };

  const viewLocals: RequestHandler = (req, res, next) => {
    res.locals.principal = req.principal ?? null;
    res.locals.hostNav = HOST_NAV;
    res.locals.nav ??= deps.plugins?.nav ?? [];
    res.locals.currentPath ??= req.path;
    // Lazy: only a page that is actually rendered makes a token; a visitor without a session gets a signed
    // one (csrf.ts), so the login form alone stores nothing.
    Object.defineProperty(res.locals, 'csrfToken', { enumerable: true, configurable: true, get: () => csrf.tokenFor(req, res) });
    next();
  };

  return [
    express.urlencoded({ extended: true, limit: '200kb', parameterLimit: 2000 }),
    createSessionMiddleware(deps),
    auth.initialize(),
    auth.session(),
    principalFromSession,
    csrf.protect,
    viewLocals,
    requireEnrolmentWhereRequired(deps),
  ];
}
