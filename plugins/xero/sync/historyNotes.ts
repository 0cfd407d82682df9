// History notes ("Created by Ledgerbridge from Sale TILL-012 …") on the invoices and credit notes we create.
// Xero takes them one record per call (PUT /Invoices/{id}/History), which would double the calls a batch
// of 50 costs. So they are their own low-priority items: enqueued when a record is created (deduped by the
// Xero id), and sent only while the tenant has headroom — no push items of the organisation waiting, at
// least three quarters of this minute's budget left, and only calls its invoices would not use: its sales
// paused, or its pacing bucket full (notePacing.ts) — and while the install's workers have nothing better
// to do: no other organisation's push waiting for a worker. Otherwise they step aside for a minute. A note
// is a courtesy: the audit trail and the invoice's Url already name the sale.
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { afterCallFailure, done, finishBatch, stepAsideFor, type ItemResult } from '../engine/outcomes';
import { tenantKeyOf } from '../engine/rateBudget';
import { openSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import { HISTORY_NOTE, SYNC_ITEM_TYPES, type HistoryNotePayload } from './types';
import { getLiveConnection } from '../connection/store';
import { bucketLevel, callTimesOfLastMinute } from './coalesce';
import { noteMayGo } from './notePacing';

const STEP_ASIDE_MS = 60_000;
/**
 * Notes go out only while under a quarter of the minute's calls are used. At half (as first written) a shop
 * selling two sales a second spent a quarter of its real-time budget on notes between coalescing windows,
 * and invoices then waited for the rolling minute (bench/xero-realtime.ts).
 */
const NOTE_HEADROOM = 1 / 4;
/**
 * A claim takes an organisation's OLDEST eligible item and its type's batch, and notes are older than the
 * pushes queued after them. With batches of 10, an organisation with more notes than a minute's claims
 * could step aside in turn kept a note at its head: its invoices were never claimed (bench/scale-workers.ts,
 * 20 tenants: a quiet tenant's two invoices waited 6+ minutes behind its 96 notes). One claim now steps
 * aside up to this many at once; sending stays bounded by NOTE_HEADROOM (a quarter of the minute's calls).
 */
export const HISTORY_NOTE_BATCH = 500;
/**
 * Workers are shared by every organisation, and each note is a call of its own (300–600 ms at Xero's real
 * speed): a batch of 15 holds a worker for seconds. With 20 tenants draining a backlog
 * (bench/scale-workers.ts), the notes of tenants already done took 60–75 % of the workers' calls while the
 * others' invoices waited, and more worker processes sent more notes, not more invoices. So a note also
 * steps aside while another organisation's push has been due this long without a worker taking it: longer
 * than a claim takes, so a push merely between two claims does not hold the notes back.
 */
export const WORKERS_BUSY_AFTER_MS = 1_000;
/**
 * A note is one call of up to ~0.6 s at Xero's real speed. One does not start when this organisation's own
 * push comes due within that time (a coalescing window about to close), and the batch checks again before
 * every note: the workers are few (2 by default), and a batch of notes that kept sending while the tenant's
 * next window closed held that window's invoices for up to WORKERS_BUSY_AFTER_MS + a call
 * (bench/xero-latency.ts's timeline: "due → claimed" 1.4 s at 2 sales/s).
 */
export const OWN_PUSH_LOOKAHEAD_MS = 600;

export async function enqueueHistoryNote(ctx: Pick<PluginContext<XeroConfig>, 'outbox' | 'db'>, orgId: number, note: HistoryNotePayload, trx?: Queryable): Promise<void> {
  await enqueueHistoryNotes(ctx, orgId, [note], trx);
}

/** A batch's notes in one statement (deduped by each record's Xero id, as one by one). */
export async function enqueueHistoryNotes(ctx: Pick<PluginContext<XeroConfig>, 'outbox' | 'db'>, orgId: number, notes: readonly HistoryNotePayload[], trx?: Queryable): Promise<void> {
  if (notes.length === 0) return;
  await ctx.outbox.enqueueMany(trx ?? ctx.db, notes.map((note) => ({
    type: HISTORY_NOTE, orgId, payload: note,
    dedupeKey: `xero:history:${note.recordType}:${note.xeroId}`,
    maxAttempts: 100,
  })));
}

export async function addHistoryNotes(svc: XeroServices, items: OutboxItem<HistoryNotePayload>[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const connection = await getLiveConnection(ctx.db, orgId);
  const tenantKey = tenantKeyOf(orgId, connection?.tenant_id ?? null);
  // This organisation's own invoices, credit notes or payments due now, or within a note's call, come first. Not those scheduled for
  // later (a booking's invoice waits for its service date, maybe for months: notes must not wait with it),
  // nor one being sent right now (the budget's headroom below keeps the notes from crowding it).
  const ownPushSoon = () => ctx.outbox.waitingForWorker(ctx.db, { types: SYNC_ITEM_TYPES, dueBy: ctx.clock.now() + OWN_PUSH_LOOKAHEAD_MS, orgId });
  const stepAside = (): ItemResult => stepAsideFor('History note waits while invoices, credit notes or payments use the rate budget', STEP_ASIDE_MS);
  const workersBusy = () => ctx.outbox.waitingForWorker(ctx.db, { types: SYNC_ITEM_TYPES, dueBy: ctx.clock.now() - WORKERS_BUSY_AFTER_MS });
  // Each note's item was enqueued with its record, so the batch's newest is the organisation's newest record
  // waiting for a note (a claim takes every due note of the organisation, up to HISTORY_NOTE_BATCH).
  const newestRecordAt = Math.max(...items.map((i) => i.createdAt));
  const streamBusy = async (perMinute: number): Promise<boolean> => {
    const now = ctx.clock.now();
    return !noteMayGo({ now, newestRecordAt, bucketLevel: bucketLevel(await callTimesOfLastMinute(ctx.db, tenantKey, now), now, perMinute), perMinute });
  };
  const waitForStream = (): ItemResult => stepAsideFor("History note waits while the organisation's sales keep its invoices using the rate budget", STEP_ASIDE_MS);
  const yieldToOthers = (): ItemResult => stepAsideFor("History note waits while other organisations' invoices, credit notes or payments wait for a worker", STEP_ASIDE_MS);
  if (await ownPushSoon()) return finishBatch(ctx, items, items.map(stepAside), hctx.workerId);
  if (await workersBusy()) return finishBatch(ctx, items, items.map(yieldToOthers), hctx.workerId);

  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
  const results: (ItemResult | undefined)[] = items.map(() => undefined);
  try {
    for (const [index, item] of items.entries()) {
      const limits = await svc.budget.limits(tenantKey);
      const usage = await svc.budget.usage(tenantKey);
      if (usage.minute >= limits.perMinute * NOTE_HEADROOM || hctx.signal.aborted) {
        // No headroom now: the rest of the batch steps aside without asking again.
        for (let i = index; i < items.length; i++) results[i] = stepAside();
        break;
      }
      if (await streamBusy(limits.perMinute)) {
        // The organisation's sales are streaming and the note would take a call its windows need.
        for (let i = index; i < items.length; i++) results[i] = waitForStream();
        break;
      }
      if (index > 0 && await ownPushSoon()) {
        // This organisation's next push came due (or is about to) while the batch was sending: it goes first.
        for (let i = index; i < items.length; i++) results[i] = stepAside();
        break;
      }
      if (index > 0 && await workersBusy()) {
        // Another organisation's work came due while this batch was sending: give the worker back.
        for (let i = index; i < items.length; i++) results[i] = yieldToOthers();
        break;
      }
      const note = item.payload;
      await session.xero.addHistoryNote({ type: note.recordType, xeroId: note.xeroId }, note.details);
      results[index] = done(undefined, [{
        orgId, entityType: note.entityType, entityId: note.entityId, recordType: note.recordType, action: 'history', outcome: 'ok',
        request: { details: note.details }, message: `History note added to ${note.recordType.replace('_', ' ')} ${note.xeroId}`,
      }]);
    }
  } catch (err) {
    // A record removed in Xero has no history to add to: nothing more to do for that note.
    const status = (err as { status?: number }).status;
    const index = results.findIndex((r) => r === undefined);
    if (status === 404 && index >= 0) {
      results[index] = done(undefined, []);
      for (let i = index + 1; i < results.length; i++) results[i] ??= stepAside();
      return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);
    }
    return afterCallFailure(ctx, items, results, err, hctx.workerId);
  }
  return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);
}
