// Faults on demand: tests ask for 500s, 503s, 429s, slow answers or timeouts on chosen paths, so the
// product's retry, back-off and recovery code meets them for real. Delays are real time (they are
// about the client's timers), everything else in the emulator runs on the emulated clock.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendXeroProblem } from '../identity/problems';

export const FAULT_KINDS = ['500', '503', 'timeout', 'slow', '429'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  id: number;
  /** Starts with "/" → path prefix; otherwise a regular expression tested against the path. Default: the Accounting API. */
  path: string;
  method?: string;
  rate: number;
  kind: FaultKind;
  delayMs?: number;
  /** How many more times it may fire; absent = unlimited. */
  remaining?: number;
  /** timeout only: let the request take effect, then drop the answer (the "did my write land?" case). */
  landed?: boolean;
  fired: number;
}

export type FaultInput = { path?: unknown; method?: unknown; rate?: unknown; kind?: unknown; delayMs?: unknown; count?: unknown; landed?: unknown };

const DEFAULT_PATH = '/api.xro/2.0';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_SLOW_MS = 2_000;

export class FaultInjector {
  #rules: FaultRule[] = [];
  #nextId = 1;
  #timers = new Set<NodeJS.Timeout>();

  constructor(private readonly random: () => number = Math.random) {}

  add(input: FaultInput): FaultRule {
    const kind = String(input.kind ?? '');
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new TypeError(`kind must be one of ${FAULT_KINDS.join(', ')}`);
    const rate = input.rate === undefined ? 1 : Number(input.rate);
    if (!(rate >= 0 && rate <= 1)) throw new TypeError('rate must be between 0 and 1');
    const path = input.path === undefined ? DEFAULT_PATH : String(input.path);
    if (!path.startsWith('/')) {
      try {
        new RegExp(path);
      } catch {
        throw new TypeError(`path is neither a "/prefix" nor a valid regular expression: ${path}`);
      }
    }
    const rule: FaultRule = { id: this.#nextId++, path, rate, kind: kind as FaultKind, fired: 0 };
    if (input.method !== undefined) rule.method = String(input.method).toUpperCase();
    if (input.delayMs !== undefined) {
      const delay = Number(input.delayMs);
      if (!(delay >= 0)) throw new TypeError('delayMs must be ≥ 0');
      rule.delayMs = delay;
    }
    if (input.count !== undefined) {
      const count = Number(input.count);
      if (!Number.isInteger(count) || count < 1) throw new TypeError('count must be a positive integer');
      rule.remaining = count;
    }
    if (input.landed !== undefined) {
      if (typeof input.landed !== 'boolean' || rule.kind !== 'timeout') throw new TypeError('landed is a boolean, for timeout faults only');
      rule.landed = input.landed;
    }
    this.#rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.#rules.map((r) => ({ ...r }));
  }

  remove(id: number): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => r.id !== id);
    return this.#rules.length < before;
  }

  clear(): void {
    this.#rules = [];
  }

  /** Stops pending delays (emulator shutdown). */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const rule = this.#pick(req);
      if (!rule) return next();
      res.locals.fault = rule.kind;
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
        case 'slow': {
          // The call is served at once but answered late, so it stays in flight (and counts against
          // the concurrency limit) the way a slow Xero call does.
          const end = res.end.bind(res) as (...args: unknown[]) => Response;
          res.end = ((...args: unknown[]) => {
            this.#after(rule.delayMs ?? DEFAULT_SLOW_MS, () => end(...args));
            return res;
          }) as Response['end'];
          return next();
        }
        case 'timeout': {
          // Never answer: hold the connection, then drop it as a stalled upstream would.
          const drop = (): void => this.#after(rule.delayMs ?? DEFAULT_TIMEOUT_MS, () => req.socket.destroy());
          if (!rule.landed) return drop();
          res.end = (() => {
            drop();
            return res;
          }) as Response['end'];
          return next();
        }
      }
    };
  }

  #after(ms: number, then: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      then();
    }, ms);
    this.#timers.add(timer);
  }

  #pick(req: Request): FaultRule | undefined {
    const path = req.path;
    for (const rule of this.#rules) {
      if (rule.method && rule.method !== req.method) continue;
      const matches = rule.path.startsWith('/') ? path.startsWith(rule.path) : new RegExp(rule.path).test(path);
      if (!matches || this.random() >= rule.rate) continue;
      rule.fired += 1;
      if (rule.remaining !== undefined) {
        rule.remaining -= 1;
        if (rule.remaining <= 0) this.#rules = this.#rules.filter((r) => r !== rule);
      }
      return rule;
    }
    return undefined;
  }
}
