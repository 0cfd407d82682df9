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
//   runBackfill            xero_backfills          ctx.records / ctx.sync   ctx.outbox
//   ───────────            ──────────────          ──────────────────────   ──────────
//   take lease (lapsed) ─▶ lease_until=now+60s
//   loop: BEGIN
//     status running? ───▶ (cancelled → stop)
//     next page ─────────────────────────────────▶ id > cursor, ≤ pageSize
//     skip synced / reuse existing item / enqueue ───────────────────────────▶ INSERT (dedupe)
//     cursor, counts ────▶ UPDATE                                             xero_backfill_items
//   COMMIT … until no page is left → done
import { ConflictError, NotFoundError, ValidationError } from '../../../server/errors';
import type { PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { FIRST_PUSH_KEY, enqueueCreditNotePush, enqueueInvoicePush, enqueuePaymentPush } from './enqueue';
import { instantOfWallHour } from './nextRunAt';

export type BackfillDeps = Pick<PluginContext<XeroConfig>, 'db' | 'outbox' | 'sync' | 'logger' | 'records' | 'clock'>;
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
export function parseStartDate(text: string, timeZone: string, now: number): number {
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

/** Record a new import of the organisation's sales from `from` (epoch ms) to now. Nothing is enqueued yet. */
export async function createBackfill(deps: Pick<BackfillDeps, 'db' | 'records' | 'clock'>, input: { orgId: number; from: number; actor: string }): Promise<BackfillRow> {
  const now = deps.clock.now();
  return deps.db.transaction(async (trx) => {
    const busy = await trx('xero_backfills').where({ org_id: input.orgId, status: 'running' }).first('id');
    if (busy) throw new ConflictError(`History import ${busy.id} is still running: resume or cancel it first.`, 'BACKFILL_RUNNING');
    const salesTotal = await deps.records.countSalesBetween(trx, { orgId: input.orgId, from: input.from, until: now });
    const [inserted] = (await trx('xero_backfills')
      .insert({
        org_id: input.orgId, from_at: input.from, until_at: now, status: 'running', cursor_sale_id: 0,
        sales_total: salesTotal, created_by: input.actor, created_at: now, updated_at: now,
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
  const sales = await deps.records.salesBetween(trx, { orgId: row.orgId, from: row.fromAt, until: row.untilAt, afterId: row.cursorSaleId, limit: pageSize });
  if (sales.length === 0) return 0;
  const saleIds = sales.map((s) => s.id);
  const { refunds, payments } = await deps.records.activityOfSales(trx, row.orgId, saleIds);
  const entities: Entity[] = [];
  for (const s of sales) {
    entities.push({ type: 'sale', id: s.id, saleId: s.id, at: 0 });
    // A sale's refunds and payments in the order they happened, as real time would have enqueued them
    // (items of one sale run in enqueue order).
    const later: Entity[] = [
      ...refunds.filter((r) => r.saleId === s.id).map((r) => ({ type: 'refund' as const, id: r.id, saleId: s.id, at: r.at })),
      ...payments.filter((p) => p.saleId === s.id).map((p) => ({ type: 'payment' as const, id: p.id, saleId: s.id, at: p.at })),
    ].sort((a, b) => a.at - b.at || (a.type === b.type ? a.id - b.id : a.type === 'payment' ? -1 : 1));
    entities.push(...later);
  }

  const settled = new Set((await deps.sync.list(trx, {
    orgId: row.orgId,
    entities: { sale: saleIds, refund: refunds.map((r) => r.id), payment: payments.map((p) => p.id) },
    statuses: ['synced', 'deleted_upstream'],
    recordTypes: ['invoice', 'credit_note', 'payment'],
  })).map((r) => `${r.entityType}:${r.entityId}`));
  const keys = entities.map((e) => FIRST_PUSH_KEY[e.type](e.id));
  const existing = new Map((await deps.outbox.list(trx, { dedupeKeys: keys })).map((item) => [item.dedupeKey, item.id]));

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
  const now = deps.clock.now();
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
  const start = deps.clock.now();
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
          const now = deps.clock.now();
          await trx('xero_backfills').where({ id }).update({ status: 'done', finished_at: now, lease_until: 0, updated_at: now });
        }
        return n;
      });
      if (covered <= 0) break;
      await opts.onPage?.(await getBackfill(deps.db, orgId, id));
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await deps.db('xero_backfills').where({ id }).update({ status: 'failed', error: message.slice(0, 2000), lease_until: 0, updated_at: deps.clock.now() });
    deps.logger.error({ orgId, backfillId: id, err: message }, 'Xero history import failed');
    throw err;
  }
  await deps.db('xero_backfills').where({ id }).update({ lease_until: 0 });
  return getBackfill(deps.db, orgId, id);
}

/** Create and run an import to the end (the CLI; the page runs it in the background instead). */
export async function startBackfill(deps: BackfillDeps, input: { orgId: number; from: number; actor: string }, opts: RunOptions = {}): Promise<BackfillRow> {
  const row = await createBackfill(deps, input);
  return runBackfill(deps, input.orgId, row.id, opts);
}

/** Stop enqueueing after the current page; what is already queued still syncs. Resume continues from the cursor. */
export async function cancelBackfill(deps: Pick<BackfillDeps, 'db' | 'clock'>, orgId: number, id: number): Promise<boolean> {
  const n = await deps.db('xero_backfills').where({ org_id: orgId, id, status: 'running' }).update({ status: 'cancelled', lease_until: 0, updated_at: deps.clock.now() });
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

/** The outbox items an import enqueued or reused, as a subquery of its own table. */
const itemsOf = (db: Queryable, backfillId: number) => db('xero_backfill_items').where('backfill_id', backfillId).select('outbox_item_id');

export async function backfillProgress(deps: Pick<BackfillDeps, 'db' | 'outbox'>, row: BackfillRow): Promise<BackfillProgress> {
  const counts = await deps.outbox.countByStatus(deps.db, { ids: itemsOf(deps.db, row.id) });
  const by = (status: keyof typeof counts) => counts[status] ?? 0;
  const items = Object.values(counts).reduce((sum, n) => sum + n, 0);
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
export async function backfillFailures(deps: Pick<BackfillDeps, 'db' | 'outbox'>, backfillId: number, limit = 50): Promise<{ outboxId: number; type: string; payload: string; error: string | null }[]> {
  const dead = await deps.outbox.list(deps.db, { ids: itemsOf(deps.db, backfillId), statuses: ['dead'], order: 'asc', limit });
  return dead.map((item) => ({ outboxId: item.id, type: item.type, payload: JSON.stringify(item.payload), error: item.lastError }));
}

