import { csrfSync } from 'csrf-sync';
import type { Request, RequestHandler } from 'express';

// Synchronizer-token CSRF protection for pages: the token lives in the session and every POST/PUT/PATCH/
// DELETE must echo it in the `_csrf` form field or the `x-csrf-token` header. The JSON API (/api/) and
// webhooks authenticate with bearer tokens / signatures, never cookies, so they are exempt — the host
// mounts them before the session anyway; the path check is a second guard.

const EXEMPT_PREFIXES = ['/api/', '/webhooks/'];

function tokenFromRequest(req: Request): string | undefined {
  const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (typeof fromBody === 'string') return fromBody;
  const fromHeader = req.headers['x-csrf-token'];
  return typeof fromHeader === 'string' ? fromHeader : undefined;
}

export interface CsrfProtection {
  /** Checks state-changing requests and installs req.csrfToken(). */
  protect: RequestHandler;
  /** The session's token (created on first use). */
  tokenFor(req: Request): string;
}

export function createCsrfProtection(): CsrfProtection {
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: tokenFromRequest,
    skipCsrfProtection: (req) => EXEMPT_PREFIXES.some((p) => req.originalUrl.startsWith(p)),
  });
  const protect: RequestHandler = (req, res, next) => {
    csrfSynchronisedProtection(req, res, (err?: unknown) => {
      if (!err) return next();
      // Answer here rather than rely on the host's error handler, so any host gets a clear page.
      res.status(403);
      const title = 'This form has expired';
      const detail = 'The page was open too long or came from another site. Go back, reload the page and try again.';
      res.render('error', { title, detail, status: 403 }, (renderErr, html) => {
        if (renderErr) res.type('text').send(`${title}\n${detail}`);
        else res.send(html);
      });
    });
  };
  return { protect, tokenFor: (req) => generateToken(req) };
}
