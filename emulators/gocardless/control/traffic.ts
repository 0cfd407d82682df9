// What the product sent (call log) and faults on demand (500, 503 with Retry-After, 429, timeouts), in
// GoCardless's error shape, so the product's retry code meets them for real. Delays are real time.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../../xero/contracts';
import { FaultRules, type FaultRule as SharedFaultRule } from '../../shared/faultRules';
import { GcError, sendGcError } from '../errors';

export interface CallRecord {
  seq: number; at: number; method: string; path: string; query: string;
  headers: Record<string, string | string[] | undefined>; status: number; fault?: string;
}

export class CallLog {
  records: CallRecord[] = [];
  #seq = 0;
  constructor(private readonly clock: Clock, private readonly max = 5000) {}

  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const seq = ++this.#seq;
      const at = this.clock.now();
      const [path = '', query = ''] = req.originalUrl.split('?');
      res.on('close', () => {
        // The access token is kept out of the log: only whether one was sent.
        const headers = { ...req.headers, authorization: req.headers.authorization ? 'Bearer [redacted]' : undefined };
        this.records.push({ seq, at, method: req.method, path, query, headers, status: res.headersSent ? res.statusCode : 0, ...(res.locals.fault ? { fault: String(res.locals.fault) } : {}) });
        if (this.records.length > this.max) this.records.splice(0, this.records.length - this.max);
      });
      next();
    };
  }

  since(seq = 0): CallRecord[] {
    return this.records.filter((r) => r.seq > seq);
  }
}

export const FAULT_KINDS = ['500', '503', '429', 'timeout'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultRule = SharedFaultRule<FaultKind>;

export class Faults extends FaultRules<FaultKind> {
  constructor(random: () => number = Math.random) {
    super({ kinds: FAULT_KINDS, defaultPath: '/', random });
  }

  /** Forgets the rules and drops pending delays: a reset leaves nothing behind. */
  override clear(): void {
    super.clear();
    this.close();
  }

  middleware(): RequestHandler {
    return this.handle((rule, req, res) => {
      switch (rule.kind) {
        case '500':
          return sendGcError(res, new GcError(500, 'gocardless', 'Uh-oh! Something went wrong', [{ reason: 'internal_server_error', message: 'Uh-oh! Something went wrong' }]));
        case '503':
          res.setHeader('Retry-After', String(Math.ceil((rule.delayMs ?? 5000) / 1000)));
          return sendGcError(res, new GcError(503, 'gocardless', 'The service is temporarily unavailable', [{ reason: 'service_unavailable', message: 'Please retry shortly' }]));
        case '429':
          res.setHeader('RateLimit-Limit', '1000');
          res.setHeader('RateLimit-Remaining', '0');
          res.setHeader('RateLimit-Reset', new Date(Date.now() + (rule.delayMs ?? 60_000)).toUTCString());
          return sendGcError(res, new GcError(429, 'invalid_api_usage', 'Rate limit exceeded', [{ reason: 'rate_limit_exceeded', message: 'You have exceeded the rate limit' }]));
        case 'timeout':
          return this.dropConnection(req, rule.delayMs ?? 30_000);
      }
    });
  }
}
