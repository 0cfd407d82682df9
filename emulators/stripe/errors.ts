// Stripe's error shape: `{ error: { type, code?, message, param?, doc_url?, request_log_url? } }` with the
// HTTP status Stripe uses for it (400 invalid request, 401 authentication, 402 card error, 404 missing,
// 409 idempotency conflict, 429 rate limit, 500 api_error). Thrown anywhere in a route, sent by
// sendStripeError.
import type { Response } from 'express';

export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  charge?: string;
  payment_intent?: unknown;
  payment_method?: unknown;
  doc_url?: string;
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

const docUrl = (code: string | undefined): Record<string, string> => (code ? { doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` } : {});

export const invalidRequest = (message: string, param?: string, code?: string, status = 400): StripeApiError =>
  new StripeApiError(status, { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}), ...docUrl(code) });

/**
 * Stripe's resource_missing: 404 when the missing object is the one in the URL (param `id`), 400 when a
 * parameter names it (`charge`, `customer`, `starting_after`, …) — the request is wrong, not the URL.
 */
export const missingResource = (kind: string, id: string, param = 'id'): StripeApiError =>
  invalidRequest(`No such ${kind}: '${id}'`, param, 'resource_missing', param === 'id' ? 404 : 400);

export function sendStripeError(res: Response, err: StripeApiError): void {
  const requestId = res.getHeader('Request-Id');
  res.status(err.status).json({
    error: { ...err.body, ...(requestId ? { request_log_url: `https://dashboard.stripe.com/test/logs/${String(requestId)}` } : {}) },
  });
}
