import type { Response } from 'express';

/**
 * Renders `views/<view>.ejs` inside `views/layout.ejs`. The page sees res.locals (principal, csrfToken,
 * nav…) plus `locals`; the layout also gets `title` and the page's HTML as `body`.
 */
export function renderPage(res: Response, view: string, locals: Record<string, unknown> & { title: string }, status?: number): void {
  if (status !== undefined) res.status(status);
  res.render(view, locals, (err, body) => {
    if (err) return res.req.next?.(err);
    res.render('layout', { ...locals, body }, (layoutErr, html) => {
      if (layoutErr) return res.req.next?.(layoutErr);
      res.send(html);
    });
  });
}
