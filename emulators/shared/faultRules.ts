// The fault-rule engine every emulator shares: tests ask for errors, slow answers or dropped
// connections on a path, a method, a rate and a count, so the product's retry code meets them for
// real. Each emulator only says how a fault of each kind is answered in its own API's shape.
// Delays are real time: they are about the client's timers, not the emulated clock.
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';

export interface FaultRule<K extends string = string> {
  id: number;
  /** Starts with "/" → path prefix; otherwise a regular expression tested against the path. */
  path: string;
  method?: string;
  rate: number;
  kind: K;
  delayMs?: number;
  /** How many more times it may fire; absent = unlimited. */
  remaining?: number;
  fired: number;
}

export interface FaultRulesOptions<K extends string> {
  kinds: readonly K[];
  /** Where a rule applies when the test names no path (the emulator's API). */
  defaultPath: string;
  random?: () => number;
  /** The path rules are matched against; default req.path. */
  pathOf?: (req: Request) => string;
}

/** Answers one fired rule: sends the fault, or calls next() having arranged a late or lost answer. */
export type FaultResponder<R> = (rule: R, req: Request, res: Response, next: NextFunction) => void;

export class FaultRules<K extends string, R extends FaultRule<K> = FaultRule<K>> {
  #rules: R[] = [];
  #nextId = 1;
  #timers = new Set<NodeJS.Timeout>();
  readonly #opts: Required<FaultRulesOptions<K>>;

  constructor(opts: FaultRulesOptions<K>) {
    this.#opts = { random: Math.random, pathOf: (req) => req.path, ...opts };
  }

  /** Validates a test's request; `extend` reads emulator-specific fields onto the rule. */
  add(input: Record<string, unknown>, extend?: (rule: R) => void): R {
    const { kinds, defaultPath } = this.#opts;
    const kind = String(input.kind ?? '');
    if (!(kinds as readonly string[]).includes(kind)) throw new TypeError(`kind must be one of ${kinds.join(', ')}`);
    const rate = input.rate === undefined ? 1 : Number(input.rate);
    if (!(rate >= 0 && rate <= 1)) throw new TypeError('rate must be between 0 and 1');
    const path = input.path === undefined ? defaultPath : String(input.path);
    if (!path.startsWith('/')) {
      try {
        new RegExp(path);
      } catch {
        throw new TypeError(`path is neither a "/prefix" nor a valid regular expression: ${path}`);
      }
    }
    const rule = { id: this.#nextId++, path, rate, kind: kind as K, fired: 0 } as R;
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
    extend?.(rule);
    this.#rules.push(rule);
    return rule;
  }

  /**
   * The control routes every emulator mounts beside its other /_emulator routes: GET /faults, POST /faults
   * (201 with the rule), DELETE /faults (all), DELETE /faults/:id (204, or 404). A rule the test got wrong
   * throws a TypeError; `refuse` turns it into the emulator's own error for its error handler.
   */
  controlRoutes(refuse: (err: Error) => Error = (err) => err): Router {
    const router = Router();
    router.get('/faults', (_req, res) => {
      res.json(this.list());
    });
    router.post('/faults', (req, res) => {
      const input = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
      let rule: R;
      try {
        rule = this.add(input);
      } catch (err) {
        throw refuse(err as Error);
      }
      res.status(201).json(rule);
    });
    router.delete('/faults', (_req, res) => {
      this.clear();
      res.status(204).end();
    });
    router.delete('/faults/:id', (req, res) => {
      res.status(this.remove(Number(req.params.id)) ? 204 : 404).end();
    });
    return router;
  }

  list(): R[] {
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

  handle(respond: FaultResponder<R>): RequestHandler {
    return (req, res, next) => {
      const rule = this.#pick(req);
      if (!rule) return next();
      res.locals.fault = rule.kind;
      respond(rule, req, res, next);
    };
  }

  /** Serve the call at once but answer it late, so it stays in flight as a slow upstream call does. */
  answerLate(res: Response, next: NextFunction, ms: number): void {
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      this.after(ms, () => end(...args));
      return res;
    }) as Response['end'];
    next();
  }

  /** Never answer: hold the connection, then drop it as a stalled upstream would. */
  dropConnection(req: Request, ms: number): void {
    this.after(ms, () => req.socket.destroy());
  }

  after(ms: number, then: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      then();
    }, ms);
    this.#timers.add(timer);
  }

  #pick(req: Request): R | undefined {
    const path = this.#opts.pathOf(req);
    for (const rule of this.#rules) {
      if (rule.method && rule.method !== req.method) continue;
      const matches = rule.path.startsWith('/') ? path.startsWith(rule.path) : new RegExp(rule.path).test(path);
      if (!matches || this.#opts.random() >= rule.rate) continue;
      rule.fired += 1;
      if (rule.remaining !== undefined && (rule.remaining -= 1) <= 0) this.#rules = this.#rules.filter((r) => r !== rule);
      return rule;
    }
    return undefined;
  }
}
