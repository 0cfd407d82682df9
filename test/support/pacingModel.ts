// A model of one tenant's real-time invoice dispatch, to compare pacing policies without the app
// (bench/xero-pacing-model.ts prints it; test/unit/xero/sync/coalesce.test.ts holds the production window
// to it). Discrete events on a simulated clock, in ms:
//   - sales arrive (steady, one every 1/rate s, or a seeded Poisson process);
//   - the first sale on an idle queue opens a window and the policy says when it closes; sales arriving
//     until the claim (closesAt + claimMs) join it, as they join the outbox claim;
//   - the batch then takes a slot of Xero's limits (a rolling minute of `perMinute` calls, `concurrent` in
//     flight) as the rate budget grants it: at once, or when the rolling minute frees one;
//   - the call takes `ownMs` of our own work and Xero's answer time, uniform in [minMs, maxMs];
//   - `otherPerMinute` other calls (contacts, payments, notes) are spread over the run and take slots too.
// A sale's latency runs from its arrival to its call's answer, as in bench/xero-latency.ts.
import { seeded } from '../../emulators/shared/seeded';

/** How sales arrive: one every 1/rate s, or a seeded Poisson process of that rate (a run can be repeated). */
export type Arrivals = 'steady' | 'poisson';

/** When a window opened at `openAt` closes, given the starts of the calls made so far (oldest first). */
export interface PacingPolicy {
  name: string;
  closesAt(openAt: number, callStarts: readonly number[]): number;
}

export interface ModelRun {
  rate: number;
  seconds: number;
  arrivals: Arrivals;
  seed?: number;
  perMinute?: number;
  concurrent?: number;
  minMs?: number;
  maxMs?: number;
  /** From the window's close to the claim (the worker's wake and claim). */
  claimMs?: number;
  /** From the claim to the request reaching Xero (loading the sales, the slot, the send marks). */
  ownMs?: number;
  otherPerMinute?: number;
}

export interface ModelResult {
  latencies: number[];
  p50: number;
  p99: number;
  max: number;
  calls: number;
  /** The most calls started in any rolling minute (Xero refuses the 61st). */
  maxPerRollingMinute: number;
  /** Calls that had to wait for the rolling minute (or the in-flight limit) to free a slot, and how long in all. */
  stalled: number;
  stalledMs: number;
  salesPerCall: number;
}

const MINUTE = 60_000;

export function arrivalTimes(total: number, rate: number, arrivals: Arrivals, seed = 16): number[] {
  if (arrivals === 'steady') return Array.from({ length: total }, (_, k) => (k * 1000) / rate);
  const random = seeded(seed);
  const out: number[] = [];
  let at = 0;
  for (let k = 0; k < total; k++) {
    out.push(at);
    at += (-Math.log(1 - random()) * 1000) / rate;
  }
  return out;
}

export const quantileOf = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

/** Calls started in the rolling minute ending at `at` (a call at exactly at − 60 s has left it, as in the rate budget). */
export function usedAt(callStarts: readonly number[], at: number): number {
  let n = 0;
  for (let i = callStarts.length - 1; i >= 0 && callStarts[i]! > at - MINUTE; i--) if (callStarts[i]! <= at) n++;
  return n;
}

/**
 * Xero's limits over the calls made so far: `take(at)` starts a call at the earliest time ≥ at that the
 * rolling minute (`perMinute`) and the in-flight limit (`concurrent`) allow, records it and returns its index
 * in `starts` / `ends` (start order). Calls may be taken slightly out of order; they are kept sorted.
 */
export function slotTaker(run: Pick<ModelRun, 'perMinute' | 'concurrent' | 'minMs' | 'maxMs' | 'seed'>) {
  const perMinute = run.perMinute ?? 60;
  const concurrent = run.concurrent ?? 5;
  const [minMs, maxMs] = [run.minMs ?? 300, run.maxMs ?? 600];
  const random = seeded((run.seed ?? 16) + 1);
  const starts: number[] = []; // every call's start, in order
  const ends: number[] = []; // every call's end (for the in-flight limit)
  const stats = { stalled: 0, stalledMs: 0 };
  /** The earliest time ≥ at a call may start (rolling minute and in-flight limit), recorded as a call. */
  const take = (at: number): number => {
    let t = at;
    for (;;) {
      const inFlight = ends.filter((end, i) => starts[i]! <= t && end > t).length;
      if (inFlight >= concurrent) { t = Math.min(...ends.filter((end, i) => starts[i]! <= t && end > t)); continue; }
      if (usedAt(starts, t) >= perMinute) {
        const inWindow = starts.filter((s) => s > t - MINUTE && s <= t);
        t = inWindow[inWindow.length - perMinute]! + MINUTE;
        continue;
      }
      break;
    }
    if (t > at) { stats.stalled++; stats.stalledMs += t - at; }
    const index = starts.findIndex((s) => s > t);
    const pos = index < 0 ? starts.length : index;
    starts.splice(pos, 0, t);
    ends.splice(pos, 0, t + minMs + random() * (maxMs - minMs));
    return pos;
  };
  /** The most calls started in any rolling minute. */
  const maxPerRollingMinute = () => starts.reduce((most, s) => Math.max(most, usedAt(starts, s)), 0);
  return { starts, ends, stats, take, maxPerRollingMinute };
}

export function simulate(policy: PacingPolicy, run: ModelRun): ModelResult {
  const claimMs = run.claimMs ?? 20;
  const ownMs = run.ownMs ?? 40;
  const total = Math.round(run.rate * run.seconds);
  const arrivals = arrivalTimes(total, run.rate, run.arrivals, run.seed);
  const otherCount = Math.round(((run.otherPerMinute ?? 0) * run.seconds) / 60);
  const others = Array.from({ length: otherCount }, (_, k) => ((k + 0.5) * run.seconds * 1000) / otherCount);
  const { starts, ends, stats, take, maxPerRollingMinute } = slotTaker(run);

  const latencies: number[] = [];
  let calls = 0;
  let k = 0;
  let nextOther = 0;
  const sendOthersUntil = (t: number) => {
    while (nextOther < others.length && others[nextOther]! <= t) take(others[nextOther++]!);
  };
  while (k < arrivals.length) {
    const openAt = arrivals[k]!;
    sendOthersUntil(openAt);
    const closesAt = Math.max(openAt, policy.closesAt(openAt, starts));
    const claimAt = closesAt + claimMs;
    const batch: number[] = [];
    while (k < arrivals.length && arrivals[k]! <= claimAt) batch.push(arrivals[k++]!);
    sendOthersUntil(claimAt);
    const pos = take(claimAt + ownMs);
    calls++;
    for (const a of batch) latencies.push(ends[pos]! - a);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    latencies, p50: quantileOf(sorted, 0.5), p99: quantileOf(sorted, 0.99), max: sorted.at(-1) ?? NaN,
    calls, maxPerRollingMinute: maxPerRollingMinute(), stalled: stats.stalled, stalledMs: stats.stalledMs, salesPerCall: total / Math.max(1, calls),
  };
}

/** A window that depends only on the calls of the last minute (the shape of sync/coalesce.ts's windowMs). */
export function windowPolicy(name: string, window: (usedLastMinute: number) => number): PacingPolicy {
  return { name, closesAt: (openAt, starts) => openAt + window(usedAt(starts, openAt)) };
}

/** Calls on a fixed grid of `spacingMs`: a batch goes at the next grid point (the "floor" argument's pacing). */
export function fixedGrid(spacingMs: number): PacingPolicy {
  return { name: `fixed grid, a call every ${spacingMs} ms`, closesAt: (openAt) => Math.ceil(openAt / spacingMs) * spacingMs };
}

/**
 * A token bucket of `burst` tokens refilled at `perMinute` a minute: a sale goes the moment a token is there,
 * else with the next token. (perMinute + burst ≤ Xero's 60 keeps every rolling minute within the limit.)
 */
export function tokenBucket(perMinute: number, burst: number): PacingPolicy {
  const spacing = MINUTE / perMinute;
  return {
    name: `token bucket ${perMinute}/min, burst ${burst}`,
    closesAt(openAt, starts) {
      // Replay the bucket over the calls made: full at the start, +1 every spacing, −1 a call.
      let level = burst;
      let at = 0;
      for (const s of starts) {
        level = Math.min(burst, level + (s - at) / spacing) - 1;
        at = s;
      }
      level = Math.min(burst, level + (openAt - at) / spacing);
      return level >= 1 ? openAt : openAt + (1 - level) * spacing;
    },
  };
}

/** The production window (plugins/xero/sync/coalesce.ts): a token bucket over the tenant's calls of the last minute. */
export function bucketWindow(baseMs: number, perMinute: number, window: (baseMs: number, level: number, perMinute: number) => number, level: (calls: readonly number[], now: number, perMinute: number) => number): PacingPolicy {
  return { name: `paced by the calls' bucket (base ${baseMs} ms)`, closesAt: (openAt, starts) => openAt + window(baseMs, level(starts, openAt, perMinute), perMinute) };
}

/** The window before issue 16's p99 work: 1.2 × the call spacing once a third of the minute was used. */
export function thirdOfTheMinuteWindow(baseMs: number, perMinute: number): PacingPolicy {
  const full = (1.2 * MINUTE) / perMinute;
  return windowPolicy(`1.2 s once a third of the minute is used (before)`, (used) => Math.max(baseMs, Math.ceil(full * Math.min(1, used / (perMinute / 3)))));
}
