// Faults on demand for the /v1 API: Stripe-shaped 500s and 429s, lock timeouts, slow answers and
// dropped connections (the shared rule engine in emulators/shared/faultRules.ts decides which call).
import type { RequestHandler } from 'express';
import { FaultRules, type FaultRule as SharedFaultRule } from '../shared/faultRules';
import { StripeApiError, sendStripeError } from './errors';

export const FAULT_KINDS = ['500', '429', 'lock_timeout', 'slow', 'timeout'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultRule = SharedFaultRule<FaultKind>;

export class StripeFaults extends FaultRules<FaultKind> {
  constructor(random: () => number = Math.random) {
    // Mounted under /v1, so rules match the full path the client called.
    super({ kinds: FAULT_KINDS, defaultPath: '/v1', random, pathOf: (req) => req.originalUrl.split('?')[0]! });
  }

  middleware(): RequestHandler {
    return this.handle((rule, req, res, next) => {
      switch (rule.kind) {
        case '500':
          return sendStripeError(res, new StripeApiError(500, { type: 'api_error', message: 'An unknown error occurred' }));
        case '429':
          return sendStripeError(res, new StripeApiError(429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.' }));
        case 'lock_timeout':
          return sendStripeError(res, new StripeApiError(429, { type: 'invalid_request_error', code: 'lock_timeout', message: 'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.' }));
        case 'slow':
          return this.answerLate(res, next, rule.delayMs ?? 2_000);
        case 'timeout':
          return this.dropConnection(req, rule.delayMs ?? 60_000);
      }
    });
  }
}
