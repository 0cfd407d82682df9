import type { ErrorRequestHandler, Request, Response } from 'express';
import { AppError } from '../errors';
import type { Logger } from '../logger';

export function pageNotFound(req: Request, res: Response): void {
  res.status(404);
  renderError(res, 'Page not found', `There is no page at ${req.path}.`);
}

export function pageErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const status = err instanceof AppError ? err.statusCode : typeof err?.status === 'number' ? err.status : 500;
    if (status >= 500) logger.error({ err, path: req.path }, 'page error');
    res.status(status);
    if (err instanceof AppError) return renderError(res, err.message, err.help ?? '');
    if (status === 403 && err?.code === 'EBADCSRFTOKEN') {
      return renderError(res, 'This form has expired', 'Reload the page and try again.');
    }
    renderError(res, status >= 500 ? 'Something went wrong' : 'Request refused', status >= 500 ? 'The error was logged. Please try again.' : String(err?.message ?? ''));
  };
}

function renderError(res: Response, title: string, detail: string): void {
  res.render('error', { title, detail, status: res.statusCode }, (renderErr, html) => {
    if (renderErr) res.type('text').send(`${title}\n${detail}`);
    else res.send(html);
  });
}
