import type { Response } from 'express';
import { errorSummaryOf } from './errorSummary';

/**
 * Renders `views/<view>.ejs` inside `views/layout.ejs`. The page sees res.locals (principal, csrfToken,
 * nav…) plus `locals`; the layout also gets `title`, the page's HTML as `body`, and the error summary built
 * from the page's field messages and `locals.errorSummary` (web/errorSummary.ts) as `errorSummaryItems`.
 */
export function renderPage(res: Response, view: string, locals: Record<string, unknown> & { title: string }, status?: number): void {
  if (status !== undefined) res.status(status);
  res.render(view, locals, (err, body) => {
    if (err) return res.req.next?.(err);
    const errorSummaryItems = errorSummaryOf(body, locals.errorSummary);
    // The page's own sentence about the refused save ("Nothing was saved: …") heads the summary.
    const errorSummaryTitle = [locals.formError, locals.pageError].find((t): t is string => typeof t === 'string' && t !== '') ?? 'There is a problem';
    res.render('layout', { ...locals, body, errorSummaryItems, errorSummaryTitle }, (layoutErr, html) => {
      if (layoutErr) return res.req.next?.(layoutErr);
      res.send(html);
    });
  });
}
