// Pacing policies for one tenant's real-time invoices, compared in a model (test/support/pacingModel.ts),
// not against the app: is issue 16's floor for 2 sales/s (p99 ≥ ~1.5 s when Xero's 60 calls a minute force a
// batch at most every second) right, and which policy gets closest to it without spending the minute?
// Each policy meets the same sales (steady, one every 1/rate s, or a seeded Poisson process) from a fresh
// minute, 5 in flight, Xero answering in 300–600 ms, 20 ms from a window's close to the claim and 40 ms of our
// own before the request; sales arriving until the claim join the batch. Seconds of model time, so it runs
// in a few seconds:
//
//   npm run bench -- xero-pacing-model                 # 2/s and 10/s, 60 s and 300 s
//   npx tsx bench/xero-pacing-model.ts --other 6       # 6 other calls a minute (contacts, payments) beside
//   npm run bench -- xero-pacing-model --notes         # and history notes beside the invoices, by note rule
//
// Policies: the window before this work (1.2 s once a third of the minute is used), the production window
// (sync/coalesce.ts: a token bucket over the tenant's calls, refilled at 50 a minute), a batch on a fixed 1 s
// grid (the floor argument's pacing) and plain token buckets that send a sale the moment a token is there.
// With --notes, test/support/notePacingModel.ts adds one history note per sale (and 30 waiting at the start,
// the warm-up's) and compares when a note may go (plugins/xero/sync/notePacing.ts): the invoices' p99 and calls
// while sales stream, and the notes sent during the stream, after it, and never.
import { bucketWindow, fixedGrid, simulate, thirdOfTheMinuteWindow, tokenBucket, type Arrivals, type PacingPolicy } from '../test/support/pacingModel';
import { andUnderAQuarter, noNotes, productionNoteRule, simulateNotes, underAQuarter, type NoteRule, type NotesRun } from '../test/support/notePacingModel';
import { NOTE_BUCKET_SLACK, NOTE_QUIET_MS } from '../plugins/xero/sync/notePacing';
import { bucketLevel, bucketShape, windowMs } from '../plugins/xero/sync/coalesce';
import { flag, table, tookLine } from './xero-harness';

const startedAt = Date.now();
const OTHER = flag('other', 0);
const policies: PacingPolicy[] = [
  thirdOfTheMinuteWindow(200, 60),
  bucketWindow(200, 60, windowMs, bucketLevel),
  fixedGrid(1000),
  tokenBucket(50, 10),
  tokenBucket(60, 1),
];
const rows: (string | number)[][] = [];
for (const arrivals of ['steady', 'poisson'] as Arrivals[]) {
  for (const rate of [2, 10]) {
    for (const seconds of [60, 300]) {
      for (const p of policies) {
        const r = simulate(p, { rate, seconds, arrivals, otherPerMinute: OTHER });
        rows.push([`${rate}/s ${arrivals}, ${seconds} s`, p.name, Math.round(r.p50), Math.round(r.p99), Math.round(r.max), r.salesPerCall.toFixed(2),
          Math.round((r.calls * 60) / seconds), r.maxPerRollingMinute, `${r.stalled} (${(r.stalledMs / 1000).toFixed(1)} s)`]);
      }
    }
  }
}
console.log(`Pacing model: one tenant, limits 60/min and 5 in flight, Xero 300–600 ms, ${OTHER} other calls a minute`);
console.log(table(['run', 'policy', 'p50 ms', 'p99 ms', 'max ms', 'sales/call', 'invoice calls/min', 'most calls in a rolling minute', 'waited for a slot'], rows));

if (process.argv.includes('--notes')) {
  const production = bucketWindow(200, 60, windowMs, bucketLevel);
  const full = (m: Parameters<NoteRule['mayGo']>[0], slack: number) => bucketLevel(m.callStarts, m.at, m.perMinute) >= bucketShape(m.perMinute).size - slack;
  const quiet = (m: Parameters<NoteRule['mayGo']>[0], ms: number) => m.at - m.newestNoteAt >= ms;
  const rules: NoteRule[] = [
    noNotes,
    underAQuarter,
    andUnderAQuarter('bucket within a token of full, alone', (m) => full(m, NOTE_BUCKET_SLACK)),
    andUnderAQuarter('no new record for 3 s, alone', (m) => quiet(m, 3000)),
    andUnderAQuarter('no new record for 5 s, alone', (m) => quiet(m, NOTE_QUIET_MS)),
    productionNoteRule,
  ];
  const scenarios: (NotesRun & { label: string })[] = [
    { label: '2/s Poisson, 60 s (the bench)', rate: 2, arrivals: 'poisson', seconds: 60 },
    { label: '2/s steady, 60 s', rate: 2, arrivals: 'steady', seconds: 60 },
    { label: '10/s Poisson, 30 s', rate: 10, arrivals: 'poisson', seconds: 30 },
    { label: '2/s Poisson, 300 s', rate: 2, arrivals: 'poisson', seconds: 300 },
    { label: '2/s Poisson, 2 × 60 s, 90 s apart', rate: 2, arrivals: 'poisson', seconds: 60, streams: 2, pauseSeconds: 90 },
    { label: '0.3/s Poisson, 300 s (a slow day)', rate: 0.3, arrivals: 'poisson', seconds: 300 },
  ];
  const noteRows: (string | number)[][] = [];
  for (const sc of scenarios) {
    for (const rule of rules) {
      const r = simulateNotes(production, rule, { notesAtStart: 30, afterSeconds: 1200, ...sc });
      noteRows.push([sc.label, rule.name, Math.round(r.p50), Math.round(r.p99), Math.round(r.invoiceCallsPerMinute), r.maxPerRollingMinute, r.stalled,
        `${r.notesDuring} / ${r.notesAfter} / ${r.notesLeft} of ${r.notes}`, r.lastNoteAfterS === null ? '-' : r.lastNoteAfterS.toFixed(0)]);
    }
  }
  console.log('\nHistory notes beside the invoices (the production window; 30 notes waiting at the start, one more per sale; a note steps aside for a minute)');
  console.log(table(['run', 'a note may go when', 'p50 ms', 'p99 ms', 'invoice calls/min', 'most calls in a rolling minute', 'waited for a slot', 'notes during / after / left', 'last note, s after'], noteRows));
}
console.log(tookLine(startedAt));
