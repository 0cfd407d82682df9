// "This request may have landed": the mark that decides whether a retry must look a record up in Xero
// before sending it again (xero_send_marks, migration 0006).
//
//   sendMarked(...)  marks the items AFTER the rate budget granted the call and right BEFORE the request
//                    (a deferral, or anything failing earlier in the batch, leaves no mark), then sends.
//                    A whole-request refusal (4xx: 400, 401, 403, 404, 429 — Xero processed nothing)
//                    clears the marks; a timeout, network error or 5xx keeps them: it may have landed.
//   clearMarks(...)  the caller clears what Xero answered definitely, element by element.
//   markedItems(...) the next attempt: which items need the look-up (with those older than the marks
//                    themselves: xero_send_marks_start, migration 0007).
//
// A mark outlives the process that wrote it (kill -9 mid-request), which is the point.
//
// A mark is only as good as the moment the look-up runs: a request still on its way (Xero slow to process
// it, or its sender frozen by SIGSTOP or a long GC pause) is not there to find yet. So, right before the
// request goes out, sendMarked holds the items' outbox lease (ctx.holdLease, fenced) for as long as the
// request may still land, `leaseHeldForMs`: SEND_WINDOW_MS to start it, the client's timeout to answer, and
// that timeout again for a request Xero is still working on when we stop waiting. No other worker can claim
// the items, so none looks them up, before then. The request goes out within SEND_WINDOW_MS of the hold or
// not at all (client.ts, SendWindow), so a sender frozen in between cannot send once the hold may be over.
// The hold failing (another worker owns an item now) sends nothing.
import type { OutboxItem, Queryable } from '../../../server/plugins/contract';
import { RetryableError } from '../../../server/errors';
import { XeroHttpError, type SendWindow } from '../gateway/client';
import type { XeroSession } from './session';

export type SendStep = 'invoice' | 'payment' | 'credit_note' | 'allocation' | 'refund_payment' | 'prepayment' | 'prepayment_allocation' | 'prepayment_refund'
  | 'overpayment' | 'credit_allocation';

const TABLE = 'xero_send_marks';

/** How long after its lease was held a request may still start (signing it, a busy event loop). */
export const SEND_WINDOW_MS = 5_000;

/** How long a creating request's items stay leased from right before it goes out: it may land until then. */
export function leaseHeldForMs(httpTimeoutMs: number): number {
  return SEND_WINDOW_MS + 2 * httpTimeoutMs;
}

export async function markSending(db: Queryable, orgId: number, itemIds: readonly number[], step: SendStep, at: number): Promise<void> {
  if (itemIds.length === 0) return;
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

/** Retried items whose `step` may have landed: marked, or created before this install kept marks. */
export async function markedItems(db: Queryable, items: readonly Pick<OutboxItem, 'id' | 'createdAt'>[], step: SendStep): Promise<Set<number>> {
  if (items.length === 0) return new Set();
  const rows = (await db(TABLE).whereIn('outbox_item_id', [...new Set(items.map((i) => i.id))]).andWhere('step', step).select('outbox_item_id')) as { outbox_item_id: number | string }[];
  const marked = new Set(rows.map((r) => Number(r.outbox_item_id)));
  const start = (await db('xero_send_marks_start').first('started_at')) as { started_at: number | string } | undefined;
  if (start) for (const item of items) if (item.createdAt < Number(start.started_at)) marked.add(item.id);
  return marked;
}

/** Xero refused the whole request before doing anything: nothing it carried can have been created. */
export function refusedWhole(err: unknown): boolean {
  return err instanceof XeroHttpError && err.status >= 400 && err.status < 500;
}

/**
 * One request that may create `step` for these items: `send` passes `beforeSend` to the gateway, which runs
 * it once the rate budget granted the call, right before the request goes out: hold the lease, mark, and
 * say by when the request must have started (see above).
 */
export async function sendMarked<T>(
  session: XeroSession, db: Queryable, itemIds: readonly number[], step: SendStep, send: (beforeSend: () => Promise<SendWindow>) => Promise<T>,
): Promise<T> {
  const beforeSend = async (): Promise<SendWindow> => {
    // Taken before the hold: the lease then covers the whole window, however long the hold's write takes.
    const heldAt = performance.now();
    try {
      await session.holdLease?.(itemIds, leaseHeldForMs(session.httpTimeoutMs));
    } catch (err) {
      // Said as what it is (not "could not reach Xero"): the items that are still ours try again later.
      throw new RetryableError(`not sent to Xero: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    await markSending(db, session.orgId, itemIds, step, session.now());
    return { sendBy: heldAt + SEND_WINDOW_MS };
  };
  try {
    return await send(beforeSend);
  } catch (err) {
    if (refusedWhole(err)) await clearMarks(db, itemIds, step);
    throw err;
  }
}
