// The pacing model (test/support/pacingModel.ts) with history notes beside the invoices, to choose when a
// note may go (plugins/xero/sync/historyNotes.ts) without the app: bench/xero-pacing-model.ts --notes prints
// it, test/unit/xero/sync/notePacing.test.ts holds the production rule to it. Discrete events on a simulated
// clock, in ms, as in the invoice model, plus:
//   - every invoice call creates one note per sale it carried, when Xero answers (as the invoice push
//     enqueues them), and `notesAtStart` notes are waiting when the run starts (the warm-up's);
//   - one worker sends notes as the handler does: it claims every note that is due, and before each note
//     steps the rest aside for a minute when the organisation's open window closes within a note's call
//     (OWN_PUSH_LOOKAHEAD_MS) or when the note rule says no; else the note is one call (a slot of the
//     same limits, 300–600 ms) and the worker is busy until it is answered;
//   - sales arrive in `streams` streams of `seconds` each, `pauseSeconds` apart, and the run goes on
//     `afterSeconds` after the last stream so the notes held back can go.
import { arrivalTimes, quantileOf, slotTaker, usedAt, type ModelRun, type PacingPolicy } from './pacingModel';
import { bucketLevel } from '../../plugins/xero/sync/coalesce';
import { noteMayGo } from '../../plugins/xero/sync/notePacing';

/** What a note rule sees before each note, as the handler does. */
export interface NoteMoment {
  at: number;
  /** Every call's start so far (the tenant's rate-budget rows), oldest first. */
  callStarts: readonly number[];
  /** When the newest note of the organisation that is due was created (its newest record in Xero). */
  newestNoteAt: number;
  perMinute: number;
}

export interface NoteRule {
  name: string;
  mayGo(m: NoteMoment): boolean;
}

export interface NotesRun extends ModelRun {
  notesAtStart?: number;
  streams?: number;
  pauseSeconds?: number;
  afterSeconds?: number;
  /** A note steps aside for this long (the handler's STEP_ASIDE_MS). */
  stepAsideMs?: number;
  /** A note does not start when the organisation's window closes within this (OWN_PUSH_LOOKAHEAD_MS). */
  lookaheadMs?: number;
}

export interface NotesResult {
  p50: number;
  p99: number;
  max: number;
  invoiceCalls: number;
  /** Invoice calls a minute while sales arrived. */
  invoiceCallsPerMinute: number;
  maxPerRollingMinute: number;
  stalled: number;
  notes: number;
  /** Notes sent while sales arrived (from the first sale to the last sale's invoice), and after. */
  notesDuring: number;
  notesAfter: number;
  notesLeft: number;
  /** When the last note went, in s after the last sale's invoice (null: none went after it). */
  lastNoteAfterS: number | null;
}

interface Note { createdAt: number; availableAt: number; sent: boolean }

const MINUTE = 60_000;

export function simulateNotes(policy: PacingPolicy, rule: NoteRule, run: NotesRun): NotesResult {
  const perMinute = run.perMinute ?? 60;
  const claimMs = run.claimMs ?? 20;
  const ownMs = run.ownMs ?? 40;
  const stepAsideMs = run.stepAsideMs ?? MINUTE;
  const lookaheadMs = run.lookaheadMs ?? 600;
  const streams = run.streams ?? 1;
  const perStream = Math.round(run.rate * run.seconds);
  const arrivals: number[] = [];
  for (let s = 0; s < streams; s++) {
    const offset = s * (run.seconds + (run.pauseSeconds ?? 0)) * 1000;
    for (const a of arrivalTimes(perStream, run.rate, run.arrivals, (run.seed ?? 16) + s)) arrivals.push(offset + a);
  }
  const { starts, ends, stats, take, maxPerRollingMinute } = slotTaker(run);
  const notes: Note[] = Array.from({ length: run.notesAtStart ?? 0 }, () => ({ createdAt: -1000, availableAt: -1000, sent: false }));
  const noteStarts: number[] = [];
  const latencies: number[] = [];
  let invoiceCalls = 0;
  let lastAnswer = 0;

  let k = 0;
  let window: { closesAt: number; claimAt: number; sales: number[] } | null = null;
  const worker: { readyAt: number; batch: Note[] } = { readyAt: -Infinity, batch: [] };
  const end = (arrivals.at(-1) ?? 0) + ((run.afterSeconds ?? 0) + 10) * 1000;

  const noteStep = (t: number) => {
    if (worker.batch.length === 0) {
      worker.batch = notes.filter((n) => !n.sent && n.availableAt <= t && n.createdAt <= t);
      if (worker.batch.length === 0) return;
    }
    const newestNoteAt = Math.max(...worker.batch.map((n) => n.createdAt));
    const ownSoon = window !== null && window.closesAt <= t + lookaheadMs;
    if (ownSoon || !rule.mayGo({ at: t, callStarts: starts, newestNoteAt, perMinute })) {
      for (const n of worker.batch) n.availableAt = t + stepAsideMs;
      worker.batch = [];
      return;
    }
    const note = worker.batch.shift()!;
    const pos = take(t + ownMs);
    note.sent = true;
    noteStarts.push(starts[pos]!);
    worker.readyAt = ends[pos]!;
  };

  // Steps of 5 ms: every event lands within a step of its time, which the 300–600 ms calls dwarf.
  for (let t = 0; t <= end; t += 5) {
    // Sales up to the claim join the open window; the claim closes it; later sales open the next.
    while (k < arrivals.length && window !== null && arrivals[k]! <= Math.min(t, window.claimAt)) window.sales.push(arrivals[k++]!);
    if (window !== null && window.claimAt <= t) {
      const pos = take(window.claimAt + ownMs);
      invoiceCalls++;
      for (const a of window.sales) latencies.push(ends[pos]! - a);
      for (const _ of window.sales) notes.push({ createdAt: ends[pos]!, availableAt: ends[pos]!, sent: false });
      lastAnswer = Math.max(lastAnswer, ends[pos]!);
      window = null;
    }
    while (k < arrivals.length && arrivals[k]! <= t) {
      const a = arrivals[k++]!;
      if (window === null) {
        const closesAt = Math.max(a, policy.closesAt(a, starts));
        window = { closesAt, claimAt: closesAt + claimMs, sales: [] };
      }
      window.sales.push(a);
    }
    if (worker.readyAt <= t) noteStep(t);
  }

  const sorted = [...latencies].sort((a, b) => a - b);
  const streamSeconds = streams * run.seconds;
  const after = noteStarts.filter((s) => s > lastAnswer);
  return {
    p50: quantileOf(sorted, 0.5), p99: quantileOf(sorted, 0.99), max: sorted.at(-1) ?? NaN,
    invoiceCalls, invoiceCallsPerMinute: (invoiceCalls * 60) / streamSeconds, maxPerRollingMinute: maxPerRollingMinute(), stalled: stats.stalled,
    notes: notes.length, notesDuring: noteStarts.length - after.length, notesAfter: after.length, notesLeft: notes.filter((n) => !n.sent).length,
    lastNoteAfterS: after.length ? (Math.max(...after) - lastAnswer) / 1000 : null,
  };
}

/** No notes at all: the invoices' own floor. */
export const noNotes: NoteRule = { name: 'no notes (the floor)', mayGo: () => false };

/** The rule before issue 16's note work: while under a quarter of the minute's calls are used. */
export const underAQuarter: NoteRule = { name: 'under a quarter of the minute used (before)', mayGo: (m) => usedAt(m.callStarts, m.at) < m.perMinute / 4 };

/** Any rule, and under a quarter of the minute used. */
export function andUnderAQuarter(name: string, rule: (m: NoteMoment) => boolean): NoteRule {
  return { name, mayGo: (m) => rule(m) && underAQuarter.mayGo(m) };
}

/** The production rule (plugins/xero/sync/notePacing.ts's noteMayGo, with the handler's quarter of the minute). */
export const productionNoteRule: NoteRule = andUnderAQuarter('the stream paused 5 s, or the bucket within a token of full (now)', (m) =>
  noteMayGo({ now: m.at, newestRecordAt: m.newestNoteAt, bucketLevel: bucketLevel(m.callStarts, m.at, m.perMinute), perMinute: m.perMinute }));
