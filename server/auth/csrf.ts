import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { csrfSync } from 'csrf-sync';
import type { Request, RequestHandler, Response } from 'express';

// CSRF protection for pages. Every POST/PUT/PATCH/DELETE must echo a token in the `_csrf` form field or the
// `x-csrf-token` header. Two kinds of token, both unguessable by another site:
//  - with a session (anyone logged in, or a visitor whose session already holds one): the synchronizer
//    token kept in the session (csrf-sync);
//  - without one (the login and first-run setup forms): a signed double-submit token, HMAC(secret, nonce)
//    with the nonce in an HttpOnly SameSite cookie, so showing the login form stores nothing. Before, every
//    anonymous GET /login wrote a session row kept for 12 hours (300 requests, 300 rows).
// The JSON API (/api/) and webhooks authenticate with bearer tokens / signatures, never cookies, so they
// are exempt — the host mounts them before the session anyway; the path check is a second guard.

const EXEMPT_PREFIXES = ['/api/', '/webhooks/'];
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const CSRF_NONCE_COOKIE = 'lb.csrf';

function tokenFromRequest(req: Request): string | undefined {
  const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (typeof fromBody === 'string') return fromBody;
  const fromHeader = req.headers['x-csrf-token'];
  return typeof fromHeader === 'string' ? fromHeader : undefined;
}

function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export interface CsrfProtection {
  /** Checks state-changing requests. */
  protect: RequestHandler;
  /** The token for a page being rendered (a session token when there is a session, else a signed one). */
  tokenFor(req: Request, res: Response): string;
}

export function createCsrfProtection(opts: { secret: string; secureCookie: boolean }): CsrfProtection {
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: tokenFromRequest,
    skipCsrfProtection: (req) => EXEMPT_PREFIXES.some((p) => req.originalUrl.startsWith(p)),
  });
  const sign = (nonce: string) => createHmac('sha256', opts.secret).update(`csrf:${nonce}`).digest('base64url');

  const signedTokenValid = (req: Request, token: string): boolean => {
    const nonce = cookieValue(req, CSRF_NONCE_COOKIE);
    if (!nonce || !token.startsWith('s.')) return false;
    const expected = Buffer.from(sign(nonce));
    const given = Buffer.from(token.slice(2));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  // One nonce per response, however many templates (page, layout) ask for the token.
  const issued = new WeakMap<Response, string>();
  const signedToken = (req: Request, res: Response): string => {
    let nonce = issued.get(res) ?? cookieValue(req, CSRF_NONCE_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
      nonce = randomBytes(32).toString('base64url');
      res.cookie(CSRF_NONCE_COOKIE, nonce, { httpOnly: true, sameSite: 'lax', secure: opts.secureCookie, path: '/' });
    }
    issued.set(res, nonce);
    return `s.${sign(nonce)}`;
  };

  const refuse = (res: Response) => {
    // Answer here rather than rely on the host's error handler, so any host gets a clear page.
    res.status(403);
    const title = 'This form has expired';
    const detail = 'The page was open too long or came from another site. Go back, reload the page and try again.';
    res.render('error', { title, detail, status: 403 }, (renderErr, html) => {
      if (renderErr) res.type('text').send(`${title}\n${detail}`);
      else res.send(html);
    });
  };

  const protect: RequestHandler = (req, res, next) => {
    if (STATE_CHANGING.has(req.method) && !EXEMPT_PREFIXES.some((p) => req.originalUrl.startsWith(p))) {
      const sent = tokenFromRequest(req);
      if (sent?.startsWith('s.')) return signedTokenValid(req, sent) ? next() : refuse(res);
    }
    csrfSynchronisedProtection(req, res, (err?: unknown) => (err ? refuse(res) : next()));
  };

  const hasSession = (req: Request) => Boolean(req.principal || (req.session as { csrfToken?: string } | undefined)?.csrfToken);
  return { protect, tokenFor: (req, res) => (hasSession(req) ? generateToken(req) : signedToken(req, res)) };
}
