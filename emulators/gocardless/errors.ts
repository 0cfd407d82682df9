// GoCardless's error envelope:
//   {"error":{"message","documentation_url","type","request_id","code","errors":[{"reason"|"field","message",…}]}}
// `type` is one of gocardless | invalid_api_usage | invalid_state | validation_failed; the request id is
// also sent as the `X-Request-Id` header (gocardless-nodejs reads both).
import type { Response } from 'express';
import { requestId } from './ids';

export type GcErrorType = 'gocardless' | 'invalid_api_usage' | 'invalid_state' | 'validation_failed';

export interface GcErrorDetail {
  reason?: string;
  field?: string;
  request_pointer?: string;
  message: string;
  links?: Record<string, string>;
}

export class GcError extends Error {
  constructor(
    readonly status: number,
    readonly type: GcErrorType,
    message: string,
    readonly errors: GcErrorDetail[],
  ) {
    super(message);
  }
}

const docs = (detail: GcErrorDetail | undefined, type: GcErrorType): string =>
  `https://developer.gocardless.com/api-reference#${detail?.reason ?? (type === 'validation_failed' ? 'validation_failed' : type)}`;

export function sendGcError(res: Response, err: GcError): void {
  const id = (res.getHeader('X-Request-Id') as string | undefined) ?? requestId();
  res.setHeader('X-Request-Id', id);
  res.status(err.status).json({
    error: {
      message: err.message,
      documentation_url: docs(err.errors[0], err.type),
      type: err.type,
      request_id: id,
      code: err.status,
      errors: err.errors,
    },
  });
}

/** 422 validation_failed naming every bad field, as GoCardless does. */
export const validationFailed = (errors: { field: string; message: string }[]): GcError =>
  new GcError(422, 'validation_failed', 'Validation failed', errors.map((e) => ({ ...e, request_pointer: `/${e.field.replace(/\./g, '/')}` })));

export const notFound = (): GcError =>
  new GcError(404, 'invalid_api_usage', 'Resource not found', [{ reason: 'resource_not_found', message: 'Resource not found' }]);

export const invalidState = (reason: string, message: string): GcError => new GcError(422, 'invalid_state', message, [{ reason, message }]);
