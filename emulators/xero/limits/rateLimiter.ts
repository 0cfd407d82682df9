// Xero's four limits, counted per (app, tenant) and per app on the emulated clock with rolling
// windows. A call refused with 429 does not count against the windows (Xero counts calls it serves).
import type { Clock } from '../contracts';
import type { LimitsConfig } from './config';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * 60_000;

export type RateProblem = 'minute' | 'day' | 'concurrent' | 'appminute';

export interface RemainingHeaders {
  'X-MinLimit-Remaining': string;
  'X-DayLimit-Remaining': string;
  'X-AppMinLimit-Remaining': string;
}

export type Admission =
  | { ok: true; headers: RemainingHeaders; release: () => void }
  | { ok: false; problem: RateProblem; retryAfterSeconds: number; headers: RemainingHeaders };

/** Timestamps of served calls, oldest first, trimmed to a window. */
class Window {
  readonly calls: number[] = [];
  constructor(private readonly spanMs: number) {}
  trim(now: number): void {
    let drop = 0;
    while (drop < this.calls.length && (this.calls[drop] ?? 0) <= now - this.spanMs) drop += 1;
    if (drop) this.calls.splice(0, drop);
  }
  count(now: number): number {
    this.trim(now);
    return this.calls.length;
  }
  /** Seconds until the call that has to leave the window (the `limit`-th newest) leaves it. */
  retryAfter(now: number, limit: number): number {
    const index = this.calls.length - limit;
    const leaving = this.calls[Math.max(0, index)] ?? now;
    return Math.max(1, Math.ceil((leaving + this.spanMs - now) / 1000));
  }
}

interface TenantCounters {
  minute: Window;
  day: Window;
  inFlight: number;
}

export class RateLimiter {
  #tenants = new Map<string, TenantCounters>();
  #apps = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: () => LimitsConfig,
  ) {}

  admit(appId: string, tenantId: string): Admission {
    const now = this.clock.now();
    const limits = this.limits();
    const tenant = this.#tenant(appId, tenantId);
    const app = this.#app(appId);
    const minuteUsed = tenant.minute.count(now);
    const dayUsed = tenant.day.count(now);
    const appUsed = app.count(now);
    const headers = (extra: number): RemainingHeaders => ({
      'X-MinLimit-Remaining': String(Math.max(0, limits.perMinute - minuteUsed - extra)),
      'X-DayLimit-Remaining': String(Math.max(0, limits.perDay - dayUsed - extra)),
      'X-AppMinLimit-Remaining': String(Math.max(0, limits.appPerMinute - appUsed - extra)),
    });
    // Day first: when the day is spent, waiting a minute does not help.
    if (dayUsed >= limits.perDay) return refuse('day', tenant.day.retryAfter(now, limits.perDay), headers(0));
    if (appUsed >= limits.appPerMinute) return refuse('appminute', app.retryAfter(now, limits.appPerMinute), headers(0));
    if (minuteUsed >= limits.perMinute) return refuse('minute', tenant.minute.retryAfter(now, limits.perMinute), headers(0));
    // Xero gives no timing for concurrency; one second is the honest hint.
    if (tenant.inFlight >= limits.concurrent) return refuse('concurrent', 1, headers(0));
    tenant.minute.calls.push(now);
    tenant.day.calls.push(now);
    app.calls.push(now);
    tenant.inFlight += 1;
    let released = false;
    return {
      ok: true,
      headers: headers(1),
      release: () => {
        if (released) return;
        released = true;
        tenant.inFlight -= 1;
      },
    };
  }

  reset(): void {
    this.#tenants.clear();
    this.#apps.clear();
  }

  #tenant(appId: string, tenantId: string): TenantCounters {
    const key = `${appId}\u0000${tenantId}`;
    let counters = this.#tenants.get(key);
    if (!counters) {
      counters = { minute: new Window(MINUTE_MS), day: new Window(DAY_MS), inFlight: 0 };
      this.#tenants.set(key, counters);
    }
    return counters;
  }

  #app(appId: string): Window {
    let window = this.#apps.get(appId);
    if (!window) {
      window = new Window(MINUTE_MS);
      this.#apps.set(appId, window);
    }
    return window;
  }
}

function refuse(problem: RateProblem, retryAfterSeconds: number, headers: RemainingHeaders): Admission {
  return { ok: false, problem, retryAfterSeconds, headers };
}
