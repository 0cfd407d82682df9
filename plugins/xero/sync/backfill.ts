// History import ("import history from a chosen start date", as Qonto's Zoho Books sync offers): enqueue
// the ordinary sync items for every sale of the organisation from `from` to when the import started, with
// its refunds and payments, one page of sales per transaction. The sync does the rest, at its own pace
// and within the rate budget.
//
// - Resumable: xero_backfills.cursor_sale_id is the last sale whose items committed; a page and its cursor
//   commit together, so a crash or a cancel resumes exactly after the last whole page.
// - Idempotent: a record already synced (or deleted in Xero) is skipped; one that already has its first-push
//   item (real time got there first, or an earlier import) reuses it; only the rest are enqueued, with the
//   sync's own dedupe keys. Running it twice never creates a second invoice.
// - Progress is read from the outbox rows it enqueued (xero_backfill_items), not from counters.
//
//   runBackfill            xero_backfills          sales/refunds/payments   outbox
//   ───────────            ──────────────          ──────────────────────   ──────
//   take lease (lapsed) ─▶ lease_until=now+60s
//   loop: BEGIN
//     status running? ───▶ (cancelled → stop)
//     next page ─────────────────────────────────▶ id > cursor, ≤ pageSize
//     skip synced / reuse existing item / enqueue ───────────────────────────▶ INSERT (dedupe)
//     cursor, counts ────▶ UPDATE                                             xero_backfill_items
//   COMMIT … until no page is left → done
import type { Db, Queryable } from '../../../server/db/knex';
import { nowMs } from '../../../server/db/knex';
import { ConflictError, NotFoundError, ValidationError } from '../../../server/errors';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { FIRST_PUSH_KEY, enqueueCreditNotePush, enqueueInvoicePush, enqueuePaymentPush } from './enqueue';
import { instantOfWallHour } from './nextRunAt';

export type BackfillDeps = Pick<PluginContext<XeroConfig>, 'db' | 'outbox' | 'sync' | 'logger'>;
export type BackfillStatus = 'running' | 'done' | 'failed' | 'cancelled';

export const DEFAULT_PAGE_SIZE = 500;
const LEASE_MS = 60_000;

export interface BackfillRow {
  id: number;
  orgId: number;
  fromAt: number;
  untilAt: number;
  status: BackfillStatus;
  cursorSaleId: number;
  salesTotal: number;
  salesDone: number;
  alreadySynced: number;
  error: string | null;
  createdBy: string;
  leaseUntil: number;
  createdAt: number;
  finishedAt: number | null;
}

const fromRow = (r: Record<string, unknown>): BackfillRow => ({
  id: Number(r.id), orgId: Number(r.org_id), fromAt: Number(r.from_at), untilAt: Number(r.until_at),
  status: String(r.status) as BackfillStatus, cursorSaleId: Number(r.cursor_sale_id), salesTotal: Number(r.sales_total),
  salesDone: Number(r.sales_done), alreadySynced: Number(r.already_synced), error: r.error === null ? null : String(r.error),
  createdBy: String(r.created_by), leaseUntil: Number(r.lease_until), createdAt: Number(r.created_at),
  finishedAt: r.finished_at === null || r.finished_at === undefined ? null : Number(r.finished_at),
});

export async function getBackfill(db: Queryable, orgId: number, id: number): Promise<BackfillRow> {
  const row = await db('xero_backfills').where({ org_id: orgId, id }).first();
  if (!row) throw new NotFoundError(`History import ${id}`);
  return fromRow(row);
}

export async function listBackfills(db: Queryable, orgId: number, limit = 10): Promise<BackfillRow[]> {
  return (await db('xero_backfills').where({ org_id: orgId }).orderBy('id', 'desc').limit(limit)).map(fromRow);
}

/** "2026-01-01" → the instant that day starts in `timeZone`; a clear error for anything else. */
export function parseStartDate(text: string, timeZone: string, now = nowMs()): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  const bad = (message: string) => new ValidationError([{ path: 'from', message }], `The history import was not started: ${message}`);
  if (!m) throw bad(`Give the start date as YYYY-MM-DD, got "${text}".`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) throw bad(`${text} is not a date.`);
  const at = instantOfWallHour(y, mo, d, 0, timeZone);
  if (at > now) throw bad(`${text} is in the future: there is no history to import yet.`);
  return at;
}

const saleRange = (db: Queryable, row: Pick<BackfillRow, 'orgId' | 'fromAt' | 'untilAt'>) =>
  db('sales').where('org_id', row.orgId).where('occurred_at', '>=', row.fromAt).where('occurred_at', '<=', row.untilAt);

/** Record a new import of the organisation's sales from `from` (epoch ms) to now. Nothing is enqueued yet. */
export async function createBackfill(db: Db, input: { orgId: number; from: number; actor: string; now?: number }): Promise<BackfillRow> {
  const now = input.now ?? nowMs();
  return db.transaction(async (trx) => {
    const busy = await trx('xero_backfills').where({ org_id: input.orgId, status: 'running' }).first('id');
    if (busy) throw new ConflictError(`History import ${busy.id} is still running: resume or cancel it first.`, 'BACKFILL_RUNNING');
    const counted = await saleRange(trx, { orgId: input.orgId, fromAt: input.from, untilAt: now }).count({ n: '*' });
    const [inserted] = (await trx('xero_backfills')
      .insert({
        org_id: input.orgId, from_at: input.from, until_at: now, status: 'running', cursor_sale_id: 0,
        sales_total: Number((counted as { n: number | string }[])[0]?.n ?? 0), created_by: input.actor, created_at: now, updated_at: now,
      })
      .returning('id')) as ({ id: number } | number)[];
    const id = typeof inserted === 'object' ? Number(inserted!.id) : Number(inserted);
    return getBackfill(trx, input.orgId, id);
  });
}

// An item with a first-push dedupe key (sync/enqueue.ts) exists iff the record was already handed to the sync.
type Entity = { type: 'sale' | 'refund' | 'payment'; id: number; saleId: number; at: number };

/** Enqueue one page; returns the number of sales it covered (0: nothing left). */
async function runPage(deps: BackfillDeps, trx: Queryable, row: BackfillRow, pageSize: number): Promise<number> {
  const sales = (await saleRange(trx, row).where('id', '>', row.cursorSaleId).orderBy('id').limit(pageSize).select('id', 'occurred_at')) as { id: number; occurred_at: number }[];
  if (sales.length === 0) return 0;
  const saleIds = sales.map((s) => Number(s.id));
  const refunds = (await trx('refunds').where('org_id', row.orgId).whereIn('sale_id', saleIds).select('id', 'sale_id', 'created_at')) as { id: number; sale_id: number; created_at: number }[];
  const payments = (await trx('payments').where('org_id', row.orgId).whereIn('sale_id', saleIds).select('id', 'sale_id', 'created_at')) as { id: number; sale_id: number; created_at: number }[];
  const entities: Entity[] = [];
  for (const s of sales) {
    entities.push({ type: 'sale', id: Number(s.id), saleId: Number(s.id), at: 0 });
    // A sale's refunds and payments in the order they happened, as real time would have enqueued them
    // (items of one sale run in enqueue order).
    const later: Entity[] = [
      ...refunds.filter((r) => Number(r.sale_id) === Number(s.id)).map((r) => ({ type: 'refund' as const, id: Number(r.id), saleId: Number(s.id), at: Number(r.created_at) })),
      ...payments.filter((p) => Number(p.sale_id) === Number(s.id)).map((p) => ({ type: 'payment' as const, id: Number(p.id), saleId: Number(s.id), at: Number(p.created_at) })),
    ].sort((a, b) => a.at - b.at || (a.type === b.type ? a.id - b.id : a.type === 'payment' ? -1 : 1));
    entities.push(...later);
  }

  const settled = new Set(
    ((await trx('sync_records').where({ org_id: row.orgId, plugin_id: 'xero' }).whereIn('status', ['synced', 'deleted_upstream'])
      .where((w) => {
        w.where((q) => q.where('entity_type', 'sale').whereIn('entity_id', saleIds));
        if (refunds.length) w.orWhere((q) => q.where('entity_type', 'refund').whereIn('entity_id', refunds.map((r) => Number(r.id))));
        if (payments.length) w.orWhere((q) => q.where('entity_type', 'payment').whereIn('entity_id', payments.map((p) => Number(p.id))));
      })
      .whereIn('record_type', ['invoice', 'credit_note', 'payment'])
      .select('entity_type', 'entity_id')) as { entity_type: string; entity_id: number }[]).map((r) => `${r.entity_type}:${Number(r.entity_id)}`),
  );
  const keys = entities.map((e) => FIRST_PUSH_KEY[e.type](e.id));
  const existing = new Map<string, number>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = (await trx('outbox').whereIn('dedupe_key', keys.slice(i, i + 500)).select('id', 'dedupe_key')) as { id: number; dedupe_key: string }[];
    for (const r of rows) existing.set(r.dedupe_key, Number(r.id));
  }

  let alreadySynced = 0;
  const itemIds: number[] = [];
  for (const e of entities) {
    if (settled.has(`${e.type}:${e.id}`)) {
      alreadySynced += 1;
      continue;
    }
    const found = existing.get(FIRST_PUSH_KEY[e.type](e.id));
    if (found !== undefined) {
      itemIds.push(found);
      continue;
    }
    // Held by nothing: an import is someone asking for it now, whatever the daily schedule says.
    if (e.type === 'sale') itemIds.push(await enqueueInvoicePush(deps, trx, row.orgId, e.id));
    else if (e.type === 'refund') itemIds.push(await enqueueCreditNotePush(deps, trx, row.orgId, e.id, e.saleId));
    else itemIds.push(await enqueuePaymentPush(deps, trx, row.orgId, e.id, e.saleId));
  }
  const fresh = [...new Set(itemIds)];
  for (let i = 0; i < fresh.length; i += 200) {
    await trx('xero_backfill_items').insert(fresh.slice(i, i + 200).map((id) => ({ backfill_id: row.id, outbox_item_id: id }))).onConflict(['backfill_id', 'outbox_item_id']).ignore();
  }
  const now = nowMs();
  await trx('xero_backfills').where({ id: row.id }).update({
    cursor_sale_id: saleIds[saleIds.length - 1]!,
    sales_done: row.salesDone + sales.length,
    already_synced: row.alreadySynced + alreadySynced,
    lease_until: now + LEASE_MS,
    updated_at: now,
  });
  return sales.length;
}

export interface RunOptions {
  pageSize?: number;
  /** After each committed page (progress bars; tests cancel from here). */
  onPage?(row: BackfillRow): void | Promise<void>;
}

/**
 * Enqueue the import's remaining pages (a new, cancelled, failed or abandoned import alike). Refuses while
 * another process holds the lease. Returns the import as it ended: done, or cancelled if cancelled meanwhile.
 */
export async function runBackfill(deps: BackfillDeps, orgId: number, id: number, opts: RunOptions = {}): Promise<BackfillRow> {
  const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  const start = nowMs();
  const taken = await deps.db('xero_backfills')
    .where({ org_id: orgId, id })
    .whereIn('status', ['running', 'cancelled', 'failed'])
    .where('lease_until', '<', start)
    .update({ status: 'running', error: null, finished_at: null, lease_until: start + LEASE_MS, updated_at: start });
  if (Number(taken) === 0) {
    const row = await getBackfill(deps.db, orgId, id);
    if (row.status === 'done') return row;
    throw new ConflictError(`History import ${id} is being run by another process right now.`, 'BACKFILL_BUSY');
  }
  try {
    for (;;) {
      const covered = await deps.db.transaction(async (trx) => {
        const row = await getBackfill(trx, orgId, id);
        if (row.status !== 'running') return -1; // cancelled from the page or the CLI
        const n = await runPage(deps, trx, row, pageSize);
        if (n === 0) {
          const now = nowMs();
          await trx('xero_backfills').where({ id }).update({ status: 'done', finished_at: now, lease_until: 0, updated_at: now });
        }
        return n;
      });
      if (covered <= 0) break;
      await opts.onPage?.(await getBackfill(deps.db, orgId, id));
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await deps.db('xero_backfills').where({ id }).update({ status: 'failed', error: message.slice(0, 2000), lease_until: 0, updated_at: nowMs() });
    deps.logger.error({ orgId, backfillId: id, err: message }, 'Xero history import failed');
    throw err;
  }
  await deps.db('xero_backfills').where({ id }).update({ lease_until: 0 });
  return getBackfill(deps.db, orgId, id);
}

/** Create and run an import to the end (the CLI; the page runs it in the background instead). */
export async function startBackfill(deps: BackfillDeps, input: { orgId: number; from: number; actor: string }, opts: RunOptions = {}): Promise<BackfillRow> {
  const row = await createBackfill(deps.db, input);
  return runBackfill(deps, input.orgId, row.id, opts);
}

/** Stop enqueueing after the current page; what is already queued still syncs. Resume continues from the cursor. */
export async function cancelBackfill(db: Db, orgId: number, id: number): Promise<boolean> {
  const n = await db('xero_backfills').where({ org_id: orgId, id, status: 'running' }).update({ status: 'cancelled', lease_until: 0, updated_at: nowMs() });
  return Number(n) > 0;
}

export interface BackfillProgress {
  salesTotal: number;
  salesQueued: number;
  /** Records the import is responsible for: already synced before it + items it enqueued or reused. */
  recordsTotal: number;
  recordsSynced: number;
  recordsFailed: number;
  recordsWaiting: number;
  /** 0–100 over records, once queueing is over; over sales queued while it goes on. */
  percent: number;
  finished: boolean;
}

export async function backfillProgress(db: Queryable, row: BackfillRow): Promise<BackfillProgress> {
  const counts = (await db('xero_backfill_items').join('outbox', 'outbox.id', 'xero_backfill_items.outbox_item_id')
    .where('xero_backfill_items.backfill_id', row.id).groupBy('outbox.status').select('outbox.status as status').count({ n: '*' })) as { status: string; n: number | string }[];
  const by = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0);
  const items = counts.reduce((sum, c) => sum + Number(c.n), 0);
  const synced = row.alreadySynced + by('done');
  const failed = by('dead');
  const waiting = items - by('done') - failed;
  const total = row.alreadySynced + items;
  const queueing = row.status === 'running';
  const percent = queueing
    ? Math.floor((row.salesDone / Math.max(1, row.salesTotal)) * 100)
    : Math.floor(((synced + failed) / Math.max(1, total)) * 100);
  return {
    salesTotal: row.salesTotal, salesQueued: row.salesDone, recordsTotal: total, recordsSynced: synced, recordsFailed: failed,
    recordsWaiting: waiting, percent: total === 0 && !queueing ? 100 : percent, finished: !queueing && waiting === 0,
  };
}

/** The import's failed items, with the sync's last error (what to fix before retrying them). */
export async function backfillFailures(db: Queryable, backfillId: number, limit = 50): Promise<{ outboxId: number; type: string; payload: string; error: string | null }[]> {
  const rows = await db('xero_backfill_items').join('outbox', 'outbox.id', 'xero_backfill_items.outbox_item_id')
    .where({ 'xero_backfill_items.backfill_id': backfillId, 'outbox.status': 'dead' })
    .orderBy('outbox.id').limit(limit).select('outbox.id', 'outbox.type', 'outbox.payload', 'outbox.last_error');
  return rows.map((r: Record<string, unknown>) => ({ outboxId: Number(r.id), type: String(r.type), payload: String(r.payload), error: r.last_error === null ? null : String(r.last_error) }));
}

