// The coalescing window's pacing (plugins/xero/sync/coalesce.ts), pure: the token bucket replayed over the
// tenant's calls of the last minute, the window it gives, and, in the pacing model (test/support/pacingModel.ts),
// what that does to a tenant's calls and its sales' latency against Xero's rolling minute.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketLevel, bucketShape, maxWindowMs, windowMs } from '../../../../plugins/xero/sync/coalesce';
import { arrivalTimes, bucketWindow, simulate, thirdOfTheMinuteWindow, type Arrivals } from '../../../support/pacingModel';

const NOW = 1_800_000_000_000;
const production = bucketWindow(200, 60, windowMs, bucketLevel);

describe('pacing bucket', () => {
  it('holds a sixth of the limit and refills at five sixths of it', () => {
    assert.deepEqual(bucketShape(60), { size: 10, refillMs: 1200 });
    assert.deepEqual(bucketShape(600), { size: 100, refillMs: 120 });
  });

  it('is full with no calls, loses one a call, and refills one every 1.2 s at 60 a minute', () => {
    assert.equal(bucketLevel([], NOW, 60), 10);
    const three = [NOW - 30, NOW - 20, NOW - 10];
    assert.ok(Math.abs(bucketLevel(three, NOW, 60) - (7 + 30 / 1200)) < 1e-9);
    assert.ok(Math.abs(bucketLevel(three, NOW + 1200, 60) - (8 + 30 / 1200)) < 1e-9, 'a token back 1.2 s later');
    assert.equal(bucketLevel(three, NOW + 60_000, 60), 10, 'full again once they are old');
  });

  it('forgets calls a minute old or more and ignores the order the rows come in', () => {
    assert.equal(bucketLevel([NOW - 60_000, NOW - 90_000], NOW, 60), 10);
    const calls = [NOW - 500, NOW - 4000, NOW - 100, NOW - 2000];
    assert.equal(bucketLevel(calls, NOW, 60), bucketLevel([...calls].sort((a, b) => a - b), NOW, 60));
  });

  it('goes below zero when more calls were made than it held (contacts and payments are not paced by it)', () => {
    const burst = Array.from({ length: 15 }, (_, i) => NOW - 15 + i);
    assert.ok(bucketLevel(burst, NOW, 60) < -4);
  });
});

describe('coalescing window', () => {
  it('is the base while the bucket is full and grows linearly to 1.2 s as it empties', () => {
    assert.equal(windowMs(200, 10, 60), 200);
    assert.equal(windowMs(200, 9, 60), 200, '0.12 s paced: the base is longer');
    assert.equal(windowMs(200, 5, 60), 600);
    assert.equal(windowMs(200, 1, 60), 1080);
  });

  it('never closes before the bucket holds a token, and never after the longest window', () => {
    assert.equal(windowMs(200, 0.5, 60), 1140, 'paced 1.14 s, a token in 0.6 s');
    assert.equal(windowMs(200, 0, 60), 1200);
    assert.equal(windowMs(200, -0.5, 60), 1800, 'a token in 1.5 refills');
    assert.equal(windowMs(200, -10, 60), maxWindowMs(200, 60));
    assert.equal(maxWindowMs(200, 60), 2400);
  });

  it('0 turns coalescing and pacing off; a longer configured base wins; a higher limit paces to itself', () => {
    assert.equal(windowMs(0, -10, 60), 0);
    assert.equal(windowMs(2000, 10, 60), 2000);
    assert.equal(maxWindowMs(3000, 60), 3000);
    assert.equal(windowMs(200, 50, 600), 200);
    assert.equal(windowMs(50, 0, 600), 120);
  });
});

describe('pacing model: the production window against Xero\'s rolling minute', () => {
  const runs: { rate: number; arrivals: Arrivals }[] = [0.5, 1, 2, 5, 10, 20].flatMap((rate) => (['steady', 'poisson'] as const).map((arrivals) => ({ rate, arrivals })));

  it('feeds sales one every 1/rate s, or as a seeded Poisson process of that rate (the same run every time)', () => {
    assert.deepEqual(arrivalTimes(4, 2, 'steady'), [0, 500, 1000, 1500]);
    const poisson = arrivalTimes(2000, 2, 'poisson', 7);
    assert.deepEqual(poisson, arrivalTimes(2000, 2, 'poisson', 7));
    const meanGap = poisson.at(-1)! / (poisson.length - 1);
    assert.ok(meanGap > 470 && meanGap < 530, `mean gap ${meanGap} ms at 2/s`);
    assert.ok(poisson.every((t, i) => i === 0 || t >= poisson[i - 1]!));
  });

  it('never needs a 61st call in a rolling minute and never waits for the minute to roll, from a fresh minute at any rate', () => {
    for (const run of runs) {
      const r = simulate(production, { ...run, seconds: 150 });
      assert.ok(r.maxPerRollingMinute <= 60, `${run.rate}/s ${run.arrivals}: ${r.maxPerRollingMinute} calls in a rolling minute`);
      assert.equal(r.stalled, 0, `${run.rate}/s ${run.arrivals}: ${r.stalled} calls waited ${r.stalledMs} ms for a slot`);
    }
  });

  it('beside 6 other calls a minute, still never waits for a slot', () => {
    for (const run of runs) {
      const r = simulate(production, { ...run, seconds: 150, otherPerMinute: 6 });
      assert.equal(r.stalled, 0, `${run.rate}/s ${run.arrivals}: ${r.stalled} calls waited ${r.stalledMs} ms`);
    }
  });

  it('at 2 sales/s gives a lower p99 than the window paced by a third of the minute, and under 1.5 s for Poisson arrivals', () => {
    for (const arrivals of ['steady', 'poisson'] as const) {
      const after = simulate(production, { rate: 2, seconds: 300, arrivals });
      const before = simulate(thirdOfTheMinuteWindow(200, 60), { rate: 2, seconds: 300, arrivals });
      assert.ok(after.p99 < before.p99 - 150, `${arrivals}: p99 ${after.p99.toFixed(0)} ms against ${before.p99.toFixed(0)} ms before`);
    }
    assert.ok(simulate(production, { rate: 2, seconds: 300, arrivals: 'poisson' }).p99 < 1500);
  });
});
