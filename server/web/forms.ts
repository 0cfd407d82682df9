import type { Request } from 'express';
import { AppError, type ValidationError } from '../errors';

/** A string form field ('' when absent or not a string: a tampered body cannot smuggle arrays or objects). */
export function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** Field issues as `{ [formField]: message }`, first message per field; `rename` maps service paths to form fields. */
export function errorsByField(err: ValidationError, rename: (path: string) => string = (p) => p): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of err.issues) {
    const key = rename(issue.path);
    errors[key] ??= issue.message;
  }
  return errors;
}

/** Errors a person can act on (4xx AppErrors) are shown on the form; anything else goes to the error handler. */
export function isUserFacing(err: unknown): err is AppError {
  return err instanceof AppError && err.statusCode < 500;
}

/** Only same-site paths: a `next=https://evil.example` must never bounce a user off-site after login. */
export function safeRedirectPath(value: string, fallback = '/'): string {
  return /^\/(?![/\\])/.test(value) ? value : fallback;
}

export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
