// Faults on demand: tests ask for 500s, 503s, 429s, slow answers, timeouts or stalled requests on chosen
// paths, so the product's retry, back-off and recovery code meets them for real. Delays are real time (they
// are about the client's timers), everything else in the emulator runs on the emulated clock.
import { Router, type NextFunction, type RequestHandler, type Response } from 'express';
import { FaultRules, type FaultRule as SharedFaultRule } from '../../shared/faultRules';
import { sendXeroProblem } from '../identity/problems';

export const FAULT_KINDS = ['500', '503', 'timeout', 'slow', '429', 'stall'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule extends SharedFaultRule<FaultKind> {
  /** timeout only: let the request take effect, then drop the answer (the "did my write land?" case). */
  landed?: boolean;
}

export type FaultInput = { path?: unknown; method?: unknown; rate?: unknown; kind?: unknown; delayMs?: unknown; count?: unknown; landed?: unknown };

const DEFAULT_PATH = '/api.xro/2.0';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_SLOW_MS = 2_000;
const DEFAULT_STALL_MS = 60_000;

export class FaultInjector extends FaultRules<FaultKind, FaultRule> {
  /** Stalled requests, each waiting to go on to Xero's processing (see `stall`). */
  #stalled = new Set<() => void>();

  constructor(random: () => number = Math.random) {
    super({ kinds: FAULT_KINDS, defaultPath: DEFAULT_PATH, random });
  }

  /** How many requests are stalled now (a test waits for its call to be held before going on). */
  get stalledCount(): number {
    return this.#stalled.size;
  }

  /** Lets every stalled request go on to be processed now, in arrival order. Returns how many. */
  releaseStalled(): number {
    const waiting = [...this.#stalled];
    for (const go of waiting) go();
    return waiting.length;
  }

  /** Shutdown: stalled requests are dropped with the server, never processed. */
  override close(): void {
    this.#stalled.clear();
    super.close();
  }

  /** GET /faults/stalled → {stalled}; POST /faults/release → {released}. Mounted before the rule routes. */
  stallRoutes(): Router {
    const router = Router();
    router.get('/faults/stalled', (_req, res) => {
      res.json({ stalled: this.stalledCount });
    });
    router.post('/faults/release', (_req, res) => {
      res.json({ released: this.releaseStalled() });
    });
    return router;
  }

  override add(input: FaultInput): FaultRule {
    return super.add(input, (rule) => {
      if (input.landed === undefined) return;
      if (typeof input.landed !== 'boolean' || rule.kind !== 'timeout') throw new TypeError('landed is a boolean, for timeout faults only');
      rule.landed = input.landed;
    });
  }

  middleware(): RequestHandler {
    return this.handle((rule, req, res, next) => {
      switch (rule.kind) {
        case '500':
          return sendXeroProblem(res, 500, 'An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.');
        case '503':
          res.setHeader('Retry-After', String(Math.ceil((rule.delayMs ?? 5_000) / 1000)));
          return sendXeroProblem(res, 503, 'The service is temporarily unavailable');
        case '429':
          res.setHeader('Retry-After', String(Math.max(1, Math.ceil((rule.delayMs ?? 60_000) / 1000))));
          res.setHeader('X-Rate-Limit-Problem', 'minute');
          res.setHeader('X-MinLimit-Remaining', '0');
          return sendXeroProblem(res, 429, 'Rate limit exceeded');
        case 'slow':
          // Served at once but answered late, so it counts against the concurrency limit meanwhile.
          return this.answerLate(res, next, rule.delayMs ?? DEFAULT_SLOW_MS);
        case 'stall':
          // Held BEFORE Xero does anything with it (no authentication, idempotency record or write yet): a
          // request still on its way, or queued behind Xero's slow backend. It is processed and answered
          // normally once released (POST /faults/release) or after delayMs, whichever comes first.
          return this.stall(next, rule.delayMs ?? DEFAULT_STALL_MS);
        case 'timeout': {
          const ms = rule.delayMs ?? DEFAULT_TIMEOUT_MS;
          if (!rule.landed) return this.dropConnection(req, ms);
          res.end = (() => {
            this.dropConnection(req, ms);
            return res;
          }) as Response['end'];
          return next();
        }
      }
    });
  }

  private stall(next: NextFunction, ms: number): void {
    let gone = false;
    const go = () => {
      if (gone) return;
      gone = true;
      this.#stalled.delete(go);
      next();
    };
    this.#stalled.add(go);
    this.after(ms, go);
  }
}
