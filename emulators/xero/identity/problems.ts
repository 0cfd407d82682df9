// Xero's API error bodies. The Accounting API answers authentication and authorisation failures with
// an RFC 7807-like JSON "problem" (capitalised keys, Type null, a random Instance id); the identity
// endpoints answer with plain OAuth2 JSON errors ({ error, error_description? }).
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';

export interface XeroProblem {
  Type: null;
  Title: string;
  Status: number;
  Detail: string;
  Instance: string;
  Extensions: Record<string, unknown>;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function xeroProblem(status: number, detail: string): XeroProblem {
  return { Type: null, Title: TITLES[status] ?? 'Error', Status: status, Detail: detail, Instance: randomUUID(), Extensions: {} };
}

export function sendXeroProblem(res: Response, status: number, detail: string): void {
  res.status(status).json(xeroProblem(status, detail));
}

/** 401 for the Accounting API with a bearer challenge, as Xero sends it. */
export function sendUnauthorized(res: Response, detail: string): void {
  res.setHeader('WWW-Authenticate', `Bearer error="invalid_token", error_description="${detail.replace(/"/g, "'")}"`);
  sendXeroProblem(res, 401, detail);
}

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type';

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;
  readonly description: string | undefined;
  constructor(code: OAuthErrorCode, description?: string) {
    super(description ?? code);
    this.code = code;
    // RFC 6749 §5.2: invalid_client is 401, everything else 400.
    this.status = code === 'invalid_client' ? 401 : 400;
    this.description = description;
  }
}

export function sendOAuthError(res: Response, err: OAuthError): void {
  if (err.status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="xero-emulator"');
  res.setHeader('Cache-Control', 'no-store');
  res.status(err.status).json({ error: err.code, ...(err.description ? { error_description: err.description } : {}) });
}
