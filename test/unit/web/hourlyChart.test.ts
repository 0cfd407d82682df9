// The dashboard's hour chart model (issue 14): bars in the SVG's own units (stretched to the panel's width by
// the page), hour labels as text slots under the bars, a scale and a summary.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hourlyChart } from '../../../server/web/hourlyChart';

const HOUR = 3_600_000;
const start = Date.parse('2026-12-02T05:00:00Z');
const day = (counts: (n: number) => number) => Array.from({ length: 24 }, (_, i) => ({ hourStart: start + i * HOUR, count: counts(i) }));

describe('hourly chart', () => {
  it('has one slot per hour, bars scaled to the busiest hour, and a summary', () => {
    const c = hourlyChart(day((i) => (i === 10 ? 8 : i === 3 ? 2 : 0)), 'UTC');
    assert.deepEqual([c.width, c.height, c.baseline, c.max, c.total], [240, 100, 100, 8, 10]);
    assert.equal(c.bars.length, 24);
    assert.deepEqual([c.bars[10]!.height, c.bars[10]!.y], [95, 5], 'the busiest hour reaches the top of the scale');
    assert.equal(c.bars[3]!.height, Math.round((2 / 8) * 95));
    assert.equal(c.bars[0]!.height, 0);
    assert.ok(c.bars.every((b, i) => b.x > i * 10 && b.x + b.width < (i + 1) * 10), 'each bar inside its own slot');
    assert.equal(c.summary, '10 records synced in the last 24 hours; the busiest hour was 15:00 with 8.');
  });

  it('labels every sixth hour at its start and the last hour at its end, in the organisation\'s time zone', () => {
    const c = hourlyChart(day(() => 1), 'Europe/London');
    assert.equal(c.ticks.length, 24);
    assert.deepEqual(c.ticks.flatMap((t, i) => (t.text ? [[i, t.text, t.align]] : [])), [[0, '05:00', 'start'], [6, '11:00', 'start'], [12, '17:00', 'start'], [18, '23:00', 'start'], [23, '04:00', 'end']]);
    const auckland = hourlyChart(day(() => 1), 'Pacific/Auckland');
    assert.equal(auckland.ticks[0]!.text, '18:00');
  });

  it('says when nothing was synced, with a scale of at least one', () => {
    const c = hourlyChart(day(() => 0), 'UTC');
    assert.equal(c.max, 1);
    assert.equal(c.summary, 'No records synced in the last 24 hours.');
    assert.ok(c.bars.every((b) => b.height === 0));
  });
});
