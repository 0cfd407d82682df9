// The JSON API's one error handler: every failure leaves as `{ error: { code, message, help?, details? } }`.
// Our own AppErrors say what went wrong; body-parser's are translated; anything else is a 500 that is
// logged in full and told to the client without internals.
import type { ErrorRequestHandler, Response } from 'express';
import { AppError } from '../errors';
import type { Logger } from '../logger';

export interface ApiErrorBody {
  error: { code: string; message: string; help?: string; details?: unknown };
}

export function sendApiError(res: Response, status: number, error: ApiErrorBody['error']): void {
  res.status(status).json({ error } satisfies ApiErrorBody);
}

/** body-parser (and other http-errors) mark client errors with `status` and `expose`. */
interface HttpError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  limit?: number;
}

const formatBytes = (bytes: number) => (bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`);

function clientError(err: unknown): { status: number; body: ApiErrorBody['error'] } | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as HttpError;
  switch (e.type) {
    case 'entity.parse.failed':
      return { status: 400, body: { code: 'INVALID_JSON', message: 'The request body is not valid JSON', help: 'Send a JSON object with Content-Type: application/json.' } };
    case 'entity.too.large':
      return { status: 413, body: { code: 'PAYLOAD_TOO_LARGE', message: `The request body is larger than the API accepts${e.limit ? ` (${formatBytes(e.limit)})` : ''}` } };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as UTF-8 JSON' } };
  }
  const status = e.status ?? e.statusCode;
  if (e.expose && status !== undefined && status >= 400 && status < 500) {
    return { status, body: { code: 'BAD_REQUEST', message: (err as Error).message } };
  }
  return null;
}

export function apiErrorHandler(logger: Pick<Logger, 'error'>): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof AppError) {
      if (err.statusCode >= 500) logger.error({ err, method: req.method, url: req.originalUrl }, 'API request failed');
      return sendApiError(res, err.statusCode, err.toJSON());
    }
    const client = clientError(err);
    if (client) return sendApiError(res, client.status, client.body);
    logger.error({ err, method: req.method, url: req.originalUrl }, 'API request failed');
    sendApiError(res, 500, { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side. It has been logged; please try again.' });
  };
}
