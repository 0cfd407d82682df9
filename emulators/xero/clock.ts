// The emulated clock. Everything time-based in the emulator (token expiry, refresh-token grace and
// lifetime, rate-limit windows, idempotency windows, OAuth1 timestamp skew, certificate validity)
// reads this clock, so tests jump hours ahead with advance() instead of sleeping, and benchmarks can
// run time faster than the wall clock with `speed`.
import { performance } from 'node:perf_hooks';
import type { Clock } from './contracts';

export interface EmulatorClockOptions {
  /** Emulated epoch ms at creation (default: the wall clock). */
  start?: number;
  /** Emulated ms per real ms (default 1). 0 freezes time; 60 makes a real second an emulated minute. */
  speed?: number;
}

export class EmulatorClock implements Clock {
  #anchorReal: number;
  #anchorEmulated: number;
  #speed: number;

  constructor(opts: EmulatorClockOptions = {}) {
    this.#speed = checkSpeed(opts.speed ?? 1);
    this.#anchorReal = performance.now();
    this.#anchorEmulated = opts.start ?? Date.now();
  }

  now(): number {
    return Math.floor(this.#anchorEmulated + (performance.now() - this.#anchorReal) * this.#speed);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward: ms must be a number ≥ 0');
    this.#rebase();
    this.#anchorEmulated += ms;
  }

  get speed(): number {
    return this.#speed;
  }

  setSpeed(speed: number): void {
    this.#rebase();
    this.#speed = checkSpeed(speed);
  }

  /** Re-anchor so a speed change or jump never rewrites time already elapsed. */
  #rebase(): void {
    const real = performance.now();
    this.#anchorEmulated += (real - this.#anchorReal) * this.#speed;
    this.#anchorReal = real;
  }
}

function checkSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed < 0) throw new RangeError('clock speed must be a number ≥ 0');
  return speed;
}
