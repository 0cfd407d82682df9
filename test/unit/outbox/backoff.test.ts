import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from '../../../server/outbox/backoff';

const policy: BackoffPolicy = { baseMs: 1_000, capMs: 60_000, floorMs: 250, retryAfterJitter: 0.1, maxRetryAfterJitterMs: 5_000 };
const at = (r: number) => () => r;

describe('retryDelayMs', () => {
  it('full jitter: from the floor up to base·2^(attempt-1)', () => {
    for (const [attempt, ceiling] of [[1, 1_000], [2, 2_000], [3, 4_000], [6, 32_000]] as const) {
      assert.equal(retryDelayMs(attempt, { policy, random: at(0) }), 250, 'a draw of 0 waits the floor');
      assert.equal(retryDelayMs(attempt, { policy, random: at(0.999999) }), ceiling);
      assert.equal(retryDelayMs(attempt, { policy, random: at(0.5) }), Math.max(250, ceiling / 2));
    }
  });

  it('stays within bounds for real random draws', () => {
    for (let attempt = 1; attempt <= 30; attempt++) {
      for (let i = 0; i < 200; i++) {
        const d = retryDelayMs(attempt, { policy });
        assert.ok(d >= 250 && d <= Math.min(60_000, 1_000 * 2 ** (attempt - 1)), `attempt ${attempt}: ${d}`);
      }
    }
  });

  it('is capped, even for absurd attempt numbers', () => {
    assert.equal(retryDelayMs(40, { policy, random: at(0.999999) }), 60_000);
    assert.equal(retryDelayMs(10_000, { policy, random: at(0.999999) }), 60_000);
    const nearCap = retryDelayMs(10_000, { random: at(0.999999) });
    assert.ok(nearCap <= DEFAULT_BACKOFF.capMs && nearCap > DEFAULT_BACKOFF.capMs - 10, String(nearCap));
  });

  it('honours Retry-After: never earlier, jitter only above it, small values lifted to the floor', () => {
    assert.equal(retryDelayMs(1, { policy, retryAfterMs: 30_000, random: at(0) }), 30_000);
    assert.equal(retryDelayMs(1, { policy, retryAfterMs: 30_000, random: at(0.999999) }), 33_000);
    assert.equal(retryDelayMs(9, { policy, retryAfterMs: 30_000, random: at(0) }), 30_000, 'the attempt number does not matter');
    assert.equal(retryDelayMs(1, { policy, retryAfterMs: 0, random: at(0) }), 250);
    assert.equal(retryDelayMs(1, { policy, retryAfterMs: 2 * 3_600_000, random: at(0) }), 2 * 3_600_000, 'beyond the cap when the far side says so');
    assert.equal(retryDelayMs(1, { policy, retryAfterMs: 600_000, random: at(0.999999) }), 605_000, 'jitter above it is bounded');
  });
});
