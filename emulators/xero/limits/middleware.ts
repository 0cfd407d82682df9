// Applies the rate limiter to an authenticated API call: the remaining-calls headers on every answer,
// 429 with Retry-After and X-Rate-Limit-Problem when a limit is hit, and the in-flight slot released
// when the response is done (or the client goes away).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { XeroRequestAuth } from '../contracts';
import { sendXeroProblem } from '../identity/problems';
import type { RateLimiter } from './rateLimiter';

export function enforceRateLimits(limiter: RateLimiter): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const auth = res.locals.xero as XeroRequestAuth;
    const admission = limiter.admit(auth.appId, auth.tenantId);
    for (const [name, value] of Object.entries(admission.headers)) res.setHeader(name, value);
    if (!admission.ok) {
      res.setHeader('Retry-After', String(admission.retryAfterSeconds));
      res.setHeader('X-Rate-Limit-Problem', admission.problem);
      return sendXeroProblem(res, 429, `Rate limit exceeded: ${admission.problem}`);
    }
    res.on('close', admission.release);
    next();
  };
}
