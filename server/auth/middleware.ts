import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Db } from '../db/knex';
import type { Principal, Role } from './principal';
import { authenticateBearer } from './apiTokens';
import '../http/request';

// Two surfaces, two answers: the JSON API (bearer tokens) answers 401/403 as JSON; pages redirect to
// /login or render the 403 page. A request is "API" when it came in under /api/, was made with a token,
// or prefers JSON over HTML.

export function wantsJson(req: Request): boolean {
  if (req.originalUrl.startsWith('/api/')) return true;
  if (req.principal?.kind === 'token') return true;
  return req.accepts(['html', 'json']) === 'json';
}

function unauthorized(res: Response, message: string): void {
  res
    .status(401)
    .set('WWW-Authenticate', 'Bearer realm="ledgerbridge"')
    .json({ error: { code: 'UNAUTHORIZED', message, help: 'Send "Authorization: Bearer lb_…" with a token created by an admin (Users page or `npm run cli -- token:create`).' } });
}

/** For /api: `Authorization: Bearer lb_…` → req.principal; anything else → 401 JSON. Never reads cookies. */
export function bearerAuth(deps: { db: Db }): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match) return unauthorized(res, header ? 'The Authorization header must be "Bearer <token>"' : 'An API token is required');
    authenticateBearer(deps.db, match[1]!)
      .then((principal) => {
        if (!principal) return unauthorized(res, 'The API token is unknown or has been revoked');
        req.principal = principal;
        next();
      })
      .catch(next);
  };
}

/** The session's user (set by passport) as req.principal; bearerAuth sets it directly. */
export function currentPrincipal(req: Request): Principal | undefined {
  return req.principal ?? (req.user as Principal | undefined);
}

function safeNext(req: Request): string {
  // Only same-site paths, so /login?next=https://evil.example cannot bounce a user off-site.
  const url = req.originalUrl;
  return url.startsWith('/') && !url.startsWith('//') ? url : '/';
}

function notLoggedIn(req: Request, res: Response): void {
  if (wantsJson(req)) return unauthorized(res, 'Log in or send an API token');
  if (req.method === 'GET' || req.method === 'HEAD') {
    return res.redirect(303, `/login?next=${encodeURIComponent(safeNext(req))}`);
  }
  res.status(401);
  renderForbidden(res, 'You are not logged in', 'Your session may have expired. Log in and try again.');
}

function renderForbidden(res: Response, title: string, detail: string): void {
  res.render('error', { title, detail, status: res.statusCode }, (err, html) => {
    if (err) res.type('text').send(`${title}\n${detail}`);
    else res.send(html);
  });
}

/** Pages: a logged-in user (or an already-authenticated principal) must be present. */
export const requireLogin: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  const principal = currentPrincipal(req);
  if (!principal) return notLoggedIn(req, res);
  req.principal = principal;
  next();
};

/** Logged in AND one of the roles. Use on every route; admin is not implied — list it. */
export function requireRole(...roles: Role[]): RequestHandler {
  if (roles.length === 0) throw new Error('requireRole needs at least one role');
  return (req, res, next) => {
    const principal = currentPrincipal(req);
    if (!principal) return notLoggedIn(req, res);
    req.principal = principal;
    if (roles.includes(principal.role)) return next();
    const message = `This needs the ${roles.join(' or ')} role; you are signed in as ${principal.role}.`;
    if (wantsJson(req)) {
      res.status(403).json({ error: { code: 'FORBIDDEN', message } });
      return;
    }
    res.status(403);
    renderForbidden(res, 'Not allowed', message);
  };
}
