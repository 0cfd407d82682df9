// Xero's real answer time, injected: every admitted Accounting API call is answered after a delay drawn
// uniformly from [minMs, maxMs] (real ms, like the `slow` fault), from a seeded generator so a benchmark
// run is repeatable. The call keeps its in-flight slot while it waits, as a slow answer from Xero does
// (the 5-concurrent limit sees it). Off (0–0 ms) unless the emulator is started with `latency` or
// POST /_emulator/latency sets it.
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { seeded } from '../../shared/seeded';

export interface LatencyConfig {
  minMs: number;
  maxMs: number;
  seed: number;
}

export const NO_LATENCY: LatencyConfig = { minMs: 0, maxMs: 0, seed: 1 };

/** Checks a (partial) update from a test or the control API; throws TypeError naming the field. */
export function mergeLatency(current: LatencyConfig, update: Record<string, unknown>): LatencyConfig {
  const next = { ...current };
  for (const key of ['minMs', 'maxMs', 'seed'] as const) {
    if (update[key] === undefined) continue;
    const value = Number(update[key]);
    if (!Number.isInteger(value) || value < 0) throw new TypeError(`${key} must be a whole number ≥ 0, got ${JSON.stringify(update[key])}`);
    next[key] = value;
  }
  if (update.minMs !== undefined && update.maxMs === undefined) next.maxMs = Math.max(next.maxMs, next.minMs);
  if (next.maxMs < next.minMs) throw new TypeError(`maxMs (${next.maxMs}) must be ≥ minMs (${next.minMs})`);
  return next;
}


export class InjectedLatency {
  #config: LatencyConfig;
  #random: () => number;
  #timers = new Set<NodeJS.Timeout>();

  constructor(config: LatencyConfig = NO_LATENCY) {
    this.#config = config;
    this.#random = seeded(config.seed);
  }

  get(): LatencyConfig {
    return this.#config;
  }

  /** A new seed restarts the sequence; the same seed keeps drawing from where it is. */
  set(update: Record<string, unknown>): LatencyConfig {
    const next = mergeLatency(this.#config, update);
    if (update.seed !== undefined) this.#random = seeded(next.seed);
    this.#config = next;
    return next;
  }

  /** The next delay in ms. */
  draw(): number {
    const { minMs, maxMs } = this.#config;
    if (maxMs === 0) return 0;
    return Math.round(minMs + this.#random() * (maxMs - minMs));
  }

  middleware(): RequestHandler {
    return (_req: Request, res: Response, next: NextFunction) => {
      const delay = this.draw();
      if (delay === 0) return next();
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!res.destroyed) next();
      }, delay);
      this.#timers.add(timer);
    };
  }

  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}

/** GET/POST /latency on the control API: `{"minMs":300,"maxMs":600,"seed":42}` (partial); 0–0 turns it off. */
export function latencyControlRouter(latency: InjectedLatency): Router {
  const router = express.Router();
  router.get('/latency', (_req, res) => res.json(latency.get()));
  router.post('/latency', express.json(), (req, res) => {
    const body: unknown = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      res.status(400).json({ error: { code: 'BAD_REQUEST', message: 'The body must be a JSON object' } });
      return;
    }
    try {
      res.json(latency.set(body as Record<string, unknown>));
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      res.status(400).json({ error: { code: 'BAD_REQUEST', message: err.message } });
    }
  });
  return router;
}
