// Every request to the emulator (except the control API itself): what was sent and what came back,
// so tests can assert on the product's real HTTP traffic (headers, bodies, retries, pacing).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../contracts';

export interface CallRecord {
  seq: number;
  /** Emulated time the call arrived (epoch ms) and as ISO. */
  at: number;
  atIso: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string | null;
  status: number;
  durationMs: number;
  /** Set when the answer came from the fault injector. */
  fault?: string;
}

export class CallLog {
  #records: CallRecord[] = [];
  #seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxRecords: number,
  ) {}

  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const at = this.clock.now();
      const started = performance.now();
      const seq = (this.#seq += 1);
      const url = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`;
      res.on('close', () => {
        this.#records.push({
          seq,
          at,
          atIso: new Date(at).toISOString(),
          method: req.method,
          url,
          headers: { ...req.headers },
          body: req.rawBody && req.rawBody.length ? req.rawBody.toString('utf8') : null,
          status: res.headersSent ? res.statusCode : 0,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          ...(typeof res.locals.fault === 'string' ? { fault: res.locals.fault } : {}),
        });
        if (this.#records.length > this.maxRecords) this.#records.splice(0, this.#records.length - this.maxRecords);
      });
      next();
    };
  }

  /** `since`: a sequence number (records after it) or a date (records at or after it, emulated time). */
  list(since?: string): CallRecord[] {
    const sorted = [...this.#records].sort((a, b) => a.seq - b.seq);
    if (since === undefined || since === '') return sorted;
    if (/^\d+$/.test(since) && Number(since) < 1e11) return sorted.filter((r) => r.seq > Number(since));
    const at = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
    if (Number.isNaN(at)) throw new TypeError('since must be a sequence number, epoch ms or an ISO date');
    return sorted.filter((r) => r.at >= at);
  }

  clear(): void {
    this.#records = [];
  }
}
