// What a handler decided for each item of a batch, applied together: sync state (shown on the sale),
// audit rows, and — for items that are done — the outbox completion, all in ONE transaction, so the
// record of what happened and the item's completion cannot disagree. (xero_records rows are written
// earlier, right after Xero answered: a crash after that point must not forget a created record.)
import type { Knex } from 'knex';
import type { OutboxItem, OutboxOutcome, PluginContext, SyncRecordUpdate } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { writeAudit, type AuditEntry } from './audit';
import { clearAllMarks } from './sendMarks';
import { toWorkerError } from '../gateway/client';

export interface ItemResult {
  outcome: OutboxOutcome;
  sync?: SyncRecordUpdate;
  audit: AuditEntry[];
  /** Part of the item's work is in Xero (its audit rows say what) and part is still to do: see undecided(). */
  undecided?: true;
}

export const done = (sync: SyncRecordUpdate | undefined, audit: AuditEntry[] = []): ItemResult => ({ outcome: { status: 'done' }, sync, audit });

/** `note`: the mapping to fix, when the failure is one (a failure without one clears an earlier note). */
export const failed = (message: string, sync: SyncRecordUpdate | undefined, audit: AuditEntry[] = [], note?: string): ItemResult => ({
  outcome: { status: 'failed', error: note ? `${message} (${note})` : message }, sync: sync && { ...sync, status: 'failed', error: message, note: note ?? null }, audit,
});

export const retryLater = (message: string, audit: AuditEntry[] = [], retryAfterMs?: number): ItemResult => ({
  outcome: { status: 'retry', error: message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }, audit,
});

/**
 * Not tried: the item steps aside for `delayMs` without spending an attempt (a courtesy item yielding the
 * rate budget or the workers to others). Waiting is not failing: counted as a retry, a history note that
 * stepped aside for 100 minutes while a venue sold non-stop went dead, never sent.
 */
export const stepAsideFor = (reason: string, delayMs: number): ItemResult => ({ outcome: { status: 'deferred', reason, delayMs }, audit: [] });

/**
 * Not done yet, though part of it is in Xero (e.g. a payment whose excess is still to post as an overpayment):
 * the audit rows of what was done are kept, and a failed call decides the rest as it does for an item with no
 * result (afterCallFailure). Reaching finishBatch undecided, the item simply tries again.
 */
export const undecided = (audit: AuditEntry[] = []): ItemResult => ({
  outcome: { status: 'retry', error: 'the batch ended before this item\'s last step' }, audit, undecided: true,
});

type BatchCtx = Pick<PluginContext<XeroConfig>, 'db' | 'sync' | 'outbox' | 'clock'>;

export async function finishBatch(
  ctx: BatchCtx, items: readonly OutboxItem[], results: readonly ItemResult[], workerId: string,
): Promise<OutboxOutcome[]> {
  await ctx.db.transaction(async (trx: Knex.Transaction) => {
    // The whole batch's sync state, then its audit rows: a statement or two each, not one per item.
    await ctx.sync.upsertMany(trx, results.flatMap((result) => (result.sync ? [result.sync] : [])));
    await writeAudit(trx, results.flatMap((result, index) => result.audit.map((a) => ({ ...a, outboxItemId: a.outboxItemId ?? items[index]!.id }))), ctx.clock.now());
    const completed = items.filter((_, i) => results[i]!.outcome.status === 'done');
    if (completed.length > 0) {
      await ctx.outbox.completeInTransaction(trx, completed.map((i) => i.id), workerId);
      // Done: what was sent is recorded, no look-up will ever be needed for these items (sendMarks.ts).
      await clearAllMarks(trx, completed.map((i) => i.id));
    }
  });
  return results.map((r) => r.outcome);
}

/**
 * A call failed as a whole (429, 5xx, timeout, auth). Items already decided (adopted, skipped, created and
 * recorded) keep their result; the rest, and the undecided (keeping their audit rows), retry, fail or pause as
 * the error says. Nothing is dropped.
 */
export async function afterCallFailure(
  ctx: BatchCtx, items: readonly OutboxItem[], results: readonly (ItemResult | undefined)[], err: unknown, workerId: string,
): Promise<OutboxOutcome[]> {
  const workerError = toWorkerError(err);
  if (results.every((r) => r === undefined)) throw workerError;
  const message = workerError.message;
  const filled = results.map((r): ItemResult => {
    if (r && !r.undecided) return r;
    const audit = r?.audit ?? [];
    if (workerError.name === 'AuthRevokedError') return { outcome: { status: 'paused', error: message }, audit };
    if (workerError.name === 'PermanentError') return { outcome: { status: 'failed', error: message }, audit };
    const retryAfterMs = (workerError as { retryAfterMs?: number }).retryAfterMs;
    if ((workerError as { spendsAttempt?: boolean }).spendsAttempt === false) return { ...stepAsideFor(message, retryAfterMs ?? 60_000), audit };
    return retryLater(message, audit, retryAfterMs);
  });
  return finishBatch(ctx, items, filled, workerId);
}
