// The booking system's pages: a template (its own from views/, or a Ledgerbridge plugin's by absolute path)
// rendered inside its one layout, one-shot flash messages in the session, and its date and money styles.
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type { Request, Response } from 'express';
import type { FlashMessage } from 'ledgerbridge/contract';
import { formatAmount } from './money';

const VIEWS = fileURLToPath(new URL('./views', import.meta.url));

/**
 * Render `view` (a name in views/, or an absolute file such as a plugin's template) with the request's locals
 * (principal, csrfToken, nav) and `locals`, then the layout around it. Errors go to Express's error handler.
 */
export function renderPage(res: Response, view: string, locals: Record<string, unknown> & { title: string }, status?: number): void {
  if (status !== undefined) res.status(status);
  const file = isAbsolute(view) ? view : join(VIEWS, `${view}.ejs`);
  const data = { ...res.locals, ...locals, formatAmount, formatDateTime };
  ejs.renderFile(file, data)
    .then((body) => ejs.renderFile(join(VIEWS, 'layout.ejs'), { ...data, body }))
    .then((html) => res.send(html))
    .catch((err: unknown) => res.req.next?.(err));
}

export function setFlash(req: Request, kind: FlashMessage['kind'], message: string): void {
  req.session.flash = { kind, message };
}

export function takeFlash(req: Request): FlashMessage | null {
  const flash = req.session.flash ?? null;
  delete req.session.flash;
  return flash;
}

/** "3 May 2026, 14:30" in the venue's time zone. */
export function formatDateTime(ms: number | null | undefined, timeZone: string): string {
  if (ms === null || ms === undefined) return '';
  return new Intl.DateTimeFormat('en-GB', { timeZone: timeZone || 'UTC', dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}
