// Idempotency-Key on POSTs, as Stripe keeps it: per account, for 24 hours (emulator clock). A repeat
// with the same key and the same request gets the first answer again (`Idempotent-Replayed: true`); the
// same key with different parameters is refused with an idempotency_error; a repeat while the first is
// still running is a 409. Only answers produced by executing the request are kept (2xx, card errors),
// not validation failures, so a fixed request may reuse its key.
import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../xero/contracts';
import { StripeApiError, sendStripeError } from './errors';

interface Stored {
  fingerprint: string;
  at: number;
  done: boolean;
  status?: number;
  body?: unknown;
}

const WINDOW_MS = 24 * 3_600_000;

export class IdempotencyStore {
  #entries = new Map<string, Stored>();

  constructor(private readonly clock: Clock) {}

  middleware(accountOf: (res: Response) => string): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const key = req.get('idempotency-key');
      if (req.method !== 'POST' || key === undefined) return next();
      if (key.length === 0 || key.length > 255) {
        return sendStripeError(res, new StripeApiError(400, { type: 'invalid_request_error', message: 'Idempotency keys must be between 1 and 255 characters.', param: 'Idempotency-Key' }));
      }
      const slot = `${accountOf(res)}:${key}`;
      const raw = (req as Request & { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
      const fingerprint = createHash('sha256').update(`${req.method} ${req.originalUrl}\n`).update(raw).digest('hex');
      const now = this.clock.now();
      const seen = this.#entries.get(slot);
      if (seen && now - seen.at < WINDOW_MS) {
        if (seen.fingerprint !== fingerprint) {
          return sendStripeError(res, new StripeApiError(400, { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` }));
        }
        if (!seen.done) {
          return sendStripeError(res, new StripeApiError(409, { type: 'idempotency_error', message: 'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ' + key + '. Please try again later.' }));
        }
        res.setHeader('Idempotent-Replayed', 'true');
        res.setHeader('Original-Request', seen.body && typeof seen.body === 'object' && 'id' in seen.body ? String((seen.body as { id: unknown }).id) : '');
        res.status(seen.status!).json(seen.body);
        return;
      }
      const entry: Stored = { fingerprint, at: now, done: false };
      this.#entries.set(slot, entry);
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        if (res.statusCode < 400 || res.statusCode === 402) {
          entry.done = true;
          entry.status = res.statusCode;
          entry.body = body;
        } else this.#entries.delete(slot);
        return json(body);
      };
      res.on('close', () => {
        if (!entry.done && this.#entries.get(slot) === entry) this.#entries.delete(slot);
      });
      next();
    };
  }

  clear(): void {
    this.#entries.clear();
  }
}
