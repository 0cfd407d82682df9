// When a history note may take one of the tenant's calls while its sales are selling (issue 16). Notes are a
// courtesy, one call per record, and the pacing bucket (coalesce.ts) replays every call of the last minute:
// a note sent while the invoice stream is busy is a token its coalescing windows lack for a whole minute.
// The note handler's older rule (under a quarter of the minute used) let notes go at the start of every
// burst, while the minute was still fresh: at 2 sales/s about 10 of the minute's calls, the bucket
// drained in the burst's first seconds and every window after it longer (46 invoice calls in the minute,
// p99 1,563 ms on a quiet machine; the model, bench/xero-pacing-model.ts --notes: 8 notes, 46 calls,
// p99 1,583 ms, against 1,443 ms with no notes at all).
//
// So a note takes only capacity the invoices would otherwise waste: it goes while the organisation has
// created no record for NOTE_QUIET_MS (its stream paused), or while the pacing bucket is full or nearly
// (within a token of full, it refills past full within one refill: that capacity would be lost anyway).
// In the model, both together keep a 2/s stream at the no-notes p99 (no note goes during it) and drain the
// notes after it as fast as before (the quarter rule and the minute's step-aside still bound them); the
// bucket half alone drained them at ~2 a minute (a batch stops at the first note that takes the bucket
// below full), and the quiet half alone sent fewer notes during a slow day's trickle of sales. Pure.
import { bucketShape } from './coalesce';

/** A note waits while the organisation created a record this recently: its sales are streaming. */
export const NOTE_QUIET_MS = 5_000;
/** …unless the pacing bucket is within this many tokens of full (it overflows within one refill). */
export const NOTE_BUCKET_SLACK = 1;

export interface NoteMoment {
  now: number;
  /** When the organisation's newest record that waits for a note was created (its note's enqueue time). */
  newestRecordAt: number;
  /** The tenant's pacing bucket now (coalesce.ts's bucketLevel over its calls of the last minute). */
  bucketLevel: number;
  perMinute: number;
}

/** Whether a note may take a call now: the stream paused, or the bucket's capacity would be lost anyway. */
export function noteMayGo(m: NoteMoment): boolean {
  if (m.now - m.newestRecordAt >= NOTE_QUIET_MS) return true;
  return m.bucketLevel >= bucketShape(m.perMinute).size - NOTE_BUCKET_SLACK;
}
