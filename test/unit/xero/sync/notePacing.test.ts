// When a history note may take a call (plugins/xero/sync/notePacing.ts), pure, and in the pacing model with
// notes (test/support/notePacingModel.ts): what the rule does to a tenant's invoices while its sales stream,
// and that the notes held back still all go once the stream pauses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketLevel, windowMs } from '../../../../plugins/xero/sync/coalesce';
import { NOTE_QUIET_MS, noteMayGo } from '../../../../plugins/xero/sync/notePacing';
import { bucketWindow } from '../../../support/pacingModel';
import { noNotes, productionNoteRule, simulateNotes, underAQuarter, type NotesRun } from '../../../support/notePacingModel';

const NOW = 1_800_000_000_000;

describe('a history note beside the invoice stream', () => {
  it('goes once the organisation has created no record for 5 s, however empty the bucket', () => {
    assert.equal(noteMayGo({ now: NOW, newestRecordAt: NOW - NOTE_QUIET_MS, bucketLevel: -3, perMinute: 60 }), true);
    assert.equal(noteMayGo({ now: NOW, newestRecordAt: NOW - 60_000, bucketLevel: 0, perMinute: 60 }), true);
  });

  it('while records keep coming, goes only when the pacing bucket is within a token of full', () => {
    const busy = { now: NOW, newestRecordAt: NOW - NOTE_QUIET_MS + 1 };
    assert.equal(noteMayGo({ ...busy, bucketLevel: 10, perMinute: 60 }), true, 'full: its refill is being lost');
    assert.equal(noteMayGo({ ...busy, bucketLevel: 9, perMinute: 60 }), true, 'full again within one refill');
    assert.equal(noteMayGo({ ...busy, bucketLevel: 8.99, perMinute: 60 }), false);
    assert.equal(noteMayGo({ ...busy, bucketLevel: 5, perMinute: 60 }), false, 'a 2/s stream keeps it about half full');
    assert.equal(noteMayGo({ ...busy, bucketLevel: 99, perMinute: 600 }), true, 'the bucket follows the limit (100 at 600 a minute)');
    assert.equal(noteMayGo({ ...busy, bucketLevel: 90, perMinute: 600 }), false);
  });

  it('counts a record created just now, or in the clock skew of another process, as busy', () => {
    assert.equal(noteMayGo({ now: NOW, newestRecordAt: NOW, bucketLevel: 4, perMinute: 60 }), false);
    assert.equal(noteMayGo({ now: NOW, newestRecordAt: NOW + 500, bucketLevel: 4, perMinute: 60 }), false);
  });
});

describe('pacing model with notes: the production rule', () => {
  const production = bucketWindow(200, 60, windowMs, bucketLevel);
  const run = (r: NotesRun) => ({
    now: simulateNotes(production, productionNoteRule, r),
    before: simulateNotes(production, underAQuarter, r),
    none: simulateNotes(production, noNotes, r),
  });
  const common = { notesAtStart: 30, afterSeconds: 1200 };

  it('sends no note while a 2/s stream is busy, so its invoices keep every call (the no-notes p99), where the quarter rule spent some', () => {
    for (const arrivals of ['poisson', 'steady'] as const) {
      const r = run({ ...common, rate: 2, arrivals, seconds: 60 });
      assert.equal(r.now.notesDuring, 0, `${arrivals}: ${r.now.notesDuring} notes during the stream`);
      assert.equal(r.now.p99, r.none.p99, `${arrivals}: p99 ${r.now.p99} ms, without notes ${r.none.p99} ms`);
      assert.equal(r.now.invoiceCalls, r.none.invoiceCalls);
      assert.ok(r.before.notesDuring > 0, `${arrivals}: the quarter rule sent ${r.before.notesDuring} notes during the stream`);
      assert.ok(r.before.invoiceCalls < r.none.invoiceCalls, `${arrivals}: the quarter rule left ${r.before.invoiceCalls} invoice calls of ${r.none.invoiceCalls}`);
      assert.ok(r.now.maxPerRollingMinute <= 60 && r.now.stalled === 0);
    }
    const poisson = run({ ...common, rate: 2, arrivals: 'poisson', seconds: 60 });
    assert.ok(poisson.now.p99 < poisson.before.p99 - 100, `Poisson 2/s: p99 ${poisson.now.p99} ms, before ${poisson.before.p99} ms`);
  });

  it('sends every note once the stream pauses, about as soon as the quarter rule did', () => {
    for (const r of [run({ ...common, rate: 2, arrivals: 'poisson', seconds: 60 }), run({ ...common, rate: 2, arrivals: 'poisson', seconds: 60, streams: 2, pauseSeconds: 90 })]) {
      assert.equal(r.now.notesLeft, 0, `${r.now.notesLeft} notes never went`);
      assert.ok(r.now.lastNoteAfterS !== null && r.before.lastNoteAfterS !== null);
      assert.ok(r.now.lastNoteAfterS <= r.before.lastNoteAfterS + 90, `the last note ${r.now.lastNoteAfterS} s after the stream, before ${r.before.lastNoteAfterS} s`);
    }
  });

  it('lets notes go during a slow trickle of sales (the bucket stays full), costing its invoices nothing', () => {
    const r = run({ ...common, rate: 0.3, arrivals: 'poisson', seconds: 300 });
    assert.ok(r.now.notesDuring > 0, `${r.now.notesDuring} notes during a slow day`);
    assert.equal(r.now.p99, r.none.p99);
    assert.equal(r.now.notesLeft, 0);
  });
});
