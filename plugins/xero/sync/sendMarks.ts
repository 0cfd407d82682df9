// "This request may have landed": the mark that decides whether a retry must look a record up in Xero
// before sending it again (xero_send_marks, migration 0006).
//
//   sendMarked(...)  marks the items AFTER the rate budget granted the call and right BEFORE the request
//                    (a deferral, or anything failing earlier in the batch, leaves no mark), then sends.
//                    A whole-request refusal (4xx: 400, 401, 403, 404, 429 — Xero processed nothing)
//                    clears the marks; a timeout, network error or 5xx keeps them: it may have landed.
//   clearMarks(...)  the caller clears what Xero answered definitely, element by element.
//   markedItems(...) the next attempt: which items need the look-up.
//
// A mark outlives the process that wrote it (kill -9 mid-request), which is the point.
import type { Queryable } from '../../../server/db/knex';
import { nowMs } from '../../../server/db/knex';
import { XeroHttpError } from '../client';
import type { XeroOperation, XeroSession } from './session';

export type SendStep = 'invoice' | 'payment' | 'credit_note' | 'allocation' | 'refund_payment';

const TABLE = 'xero_send_marks';

export async function markSending(db: Queryable, orgId: number, itemIds: readonly number[], step: SendStep): Promise<void> {
  if (itemIds.length === 0) return;
  const at = nowMs();
  await db(TABLE).insert([...new Set(itemIds)].map((id) => ({ outbox_item_id: id, step, org_id: orgId, marked_at: at }))).onConflict(['outbox_item_id', 'step']).ignore();
}

export async function clearMarks(db: Queryable, itemIds: readonly number[], step: SendStep): Promise<void> {
  if (itemIds.length === 0) return;
  await db(TABLE).whereIn('outbox_item_id', [...new Set(itemIds)]).andWhere('step', step).del();
}

/** Every step's mark of these items (they are done). */
export async function clearAllMarks(db: Queryable, itemIds: readonly number[]): Promise<void> {
  if (itemIds.length === 0) return;
  await db(TABLE).whereIn('outbox_item_id', [...new Set(itemIds)]).del();
}

export async function markedItems(db: Queryable, itemIds: readonly number[], step: SendStep): Promise<Set<number>> {
  if (itemIds.length === 0) return new Set();
  const rows = (await db(TABLE).whereIn('outbox_item_id', [...new Set(itemIds)]).andWhere('step', step).select('outbox_item_id')) as { outbox_item_id: number | string }[];
  return new Set(rows.map((r) => Number(r.outbox_item_id)));
}

/** Xero refused the whole request before doing anything: nothing it carried can have been created. */
export function refusedWhole(err: unknown): boolean {
  return err instanceof XeroHttpError && err.status >= 400 && err.status < 500;
}

/** One request that may create `step` for these items: marked just before it goes out (see above). */
export async function sendMarked<T>(
  session: XeroSession, db: Queryable, itemIds: readonly number[], step: SendStep, operation: XeroOperation<T>,
): Promise<T> {
  try {
    return await session.call(operation, { beforeSend: () => markSending(db, session.orgId, itemIds, step) });
  } catch (err) {
    if (refusedWhole(err)) await clearMarks(db, itemIds, step);
    throw err;
  }
}
