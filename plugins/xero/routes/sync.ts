// Sync pages and actions, mounted at /plugins/xero/sync. Everything is scoped to the principal's own
// organisation (ids from the URL are looked up within it; another organisation's record is "not found").
// CSRF is checked by the host's web security middleware on every POST.
//   POST /sync/:entityType/:entityId/send   staff, admin   send now / resend (reconcile first: never a duplicate)
//   GET  /sync/failures                     admin          failed and dead items with Xero's exact message (its Xero ids as our records, linked)
//   POST /sync/failures/retry               admin          retry the chosen dead items (ctx.outbox.retry)
//   GET  /sync/log                          admin, accountant  the audit log, by page, filtered by outcome, record type, payout, date
//   GET  /sync/records/:entityType/:entityId  any role     one record's audit trail and Xero ids
import { Router, type NextFunction, type Request, type Response } from 'express';
import { formatCalendarDay, safeRedirectPath, type PluginContext, type Queryable } from '../../../server/plugins/contract';
import { NotFoundError, ValidationError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { actorsOf, listAudit, writeAudit } from '../engine/audit';
import { actorLabel, actorShown, foldHistoryNotes, logPage, messageParts, nameXeroIds, pageNumber, pageWindow, xeroIdsIn } from '../engine/logView';
import { contactNames, knownXeroRecords } from '../engine/knownRecords';
import { enqueueCreditNotePush, enqueueInvoicePush, enqueuePaymentPush } from '../sync/enqueue';
import { numbersOfXeroIds, recordsOfEntity } from '../engine/records';
import { providerNameOf } from '../clearing/providers';
import { organisationLinks } from '../connection/links';
import { saleNamesOf } from '../engine/names';
import { SYNC_ITEM_LABELS, SYNC_ITEM_TYPES, type SyncItemType } from '../sync/types';
import { latestIncoming } from '../incoming/store';

const ENTITY_TYPES = ['sale', 'refund', 'payment'] as const;
type EntityType = (typeof ENTITY_TYPES)[number];
const RECORD_TYPES = ['invoice', 'credit_note', 'payment', 'allocation', 'refund_payment', 'contact', 'payout', 'payout_match', 'payout_rule'];
const OUTCOMES = ['ok', 'failed', 'retry', 'skipped'];

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);

function entityOf(req: Request): { entityType: EntityType; entityId: number } {
  const entityType = String(req.params.entityType) as EntityType;
  const entityId = Number(req.params.entityId);
  if (!ENTITY_TYPES.includes(entityType) || !Number.isSafeInteger(entityId) || entityId <= 0) throw new NotFoundError('That record');
  return { entityType, entityId };
}

/** YYYY-MM-DD → epoch ms (UTC midnight), or undefined when absent; a malformed date is a 422. */
function dayParam(value: unknown, path: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value);
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms)) throw new ValidationError([{ path, message: 'must be a date like 2026-01-31' }]);
  return ms;
}

/** The host record an entity of the URL names, in the principal's organisation: its sale, or undefined. */
async function saleOfEntity(ctx: PluginContext<XeroConfig>, db: Queryable, orgId: number, entityType: EntityType, entityId: number): Promise<number | undefined> {
  if (entityType === 'sale') return (await ctx.records.sale(db, orgId, entityId))?.id;
  if (entityType === 'refund') return (await ctx.records.refund(db, orgId, entityId))?.saleId;
  return (await ctx.records.payment(db, orgId, entityId))?.saleId;
}

export function syncRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  const base = `${ctx.mountPath}/sync`;
  // Times in the host's one date style, in the organisation's time zone (was raw UTC ISO text).
  const whenIn = async (orgId: number): Promise<(ms: number | null) => string> => {
    const { timeZone } = await ctx.organisations.get(ctx.db, orgId);
    return (ms) => (ms ? ctx.pages.formatDateTime(ms, timeZone) : '—');
  };
  // What a person calls each record of a page: a sale by its one name ("Sale TILL-016"), a refund or payment
  // by its number and its sale's name ("refund 3 of Sale TILL-016"), a customer's contact by the name Xero
  // shows, others by kind and number.
  const namesIn = async (orgId: number, rows: readonly { entityType: string; entityId?: number }[]): Promise<(entityType: string, entityId: number) => string> => {
    const idsOf = (type: string) => [...new Set(rows.flatMap((r) => (r.entityType === type && r.entityId !== undefined ? [r.entityId] : [])))];
    const saleOf = new Map<string, number>();
    for (const id of idsOf('refund')) {
      const refund = await ctx.records.refund(ctx.db, orgId, id);
      if (refund) saleOf.set(`refund:${id}`, refund.saleId);
    }
    for (const id of idsOf('payment')) {
      const payment = await ctx.records.payment(ctx.db, orgId, id);
      if (payment) saleOf.set(`payment:${id}`, payment.saleId);
    }
    const sale = await saleNamesOf(ctx.records, ctx.db, orgId, [...idsOf('sale'), ...saleOf.values()]);
    const contacts = await contactNames(ctx.db, orgId, idsOf('customer'));
    return (entityType, entityId) => {
      if (entityType === 'sale') return sale(entityId);
      const saleId = saleOf.get(`${entityType}:${entityId}`);
      if (saleId !== undefined) return `${entityType} ${entityId} of ${sale(saleId)}`;
      const contact = entityType === 'customer' ? contacts.get(entityId) : undefined;
      if (entityType === 'payout_rule') return `payout rule ${entityId}`;
      return contact ? `contact "${contact}"` : `${entityType} ${entityId}`;
    };
  };
  // Where a record of the log lives: a sale's, refund's or payment's sync page; a payout's own page.
  const recordHref = (entityType: string, entityId: number): string | null =>
    entityType === 'payout' ? `${ctx.mountPath}/payouts/${entityId}`
      // The rules page, not the rule's: a deleted rule's rows stay in the log.
      : entityType === 'payout_rule' ? `${ctx.mountPath}/payouts/rules`
        : ['sale', 'refund', 'payment'].includes(entityType) ? `${base}/records/${entityType}/${entityId}` : null;

  router.post('/sync/:entityType/:entityId/send', ctx.requireRole('admin', 'staff'), wrap(async (req, res) => {
    const orgId = req.principal!.orgId;
    const { entityType, entityId } = entityOf(req);
    const saleId = await saleOfEntity(ctx, ctx.db, orgId, entityType, entityId);
    if (saleId === undefined) throw new NotFoundError(`That ${entityType}`);
    const triggeredBy = `user:${req.principal!.id}` as const;
    await ctx.db.transaction(async (trx) => {
      const opts = { resend: { triggeredBy } };
      if (entityType === 'sale') await enqueueInvoicePush(ctx, trx, orgId, entityId, opts);
      else if (entityType === 'refund') await enqueueCreditNotePush(ctx, trx, orgId, entityId, saleId, opts);
      else await enqueuePaymentPush(ctx, trx, orgId, entityId, saleId, opts);
      await writeAudit(trx, {
        orgId, entityType, entityId, recordType: entityType === 'sale' ? 'invoice' : entityType === 'refund' ? 'credit_note' : 'payment',
        action: 'resend', outcome: 'ok', triggeredBy, actor: actorLabel(req.principal!), message: 'Send now: checked against Xero first, sent if it is not there yet',
      }, ctx.clock.now());
    });
    ctx.pages.setFlash(req, 'success', `Queued: the ${entityType} is checked against Xero and sent if it is not there yet.`);
    // Same-site paths only: browsers read `/\evil.example` as `//evil.example`, which safeRedirectPath refuses.
    const back = safeRedirectPath(typeof req.body?.returnTo === 'string' ? req.body.returnTo : '', `${base}/records/${entityType}/${entityId}`);
    res.redirect(303, back);
  }));

  router.get('/sync/failures', ctx.requireRole('admin'), wrap(async (req, res) => {
    const orgId = req.principal!.orgId;
    const items = await ctx.outbox.list(ctx.db, { orgId, types: SYNC_ITEM_TYPES, statuses: ['dead', 'paused'], limit: 500 });
    const failures = items.map((i) => {
      const payload = i.payload as Record<string, number>;
      const entity = payload.refundId ? { entityType: 'refund', entityId: payload.refundId } : payload.paymentId ? { entityType: 'payment', entityId: payload.paymentId } : { entityType: 'sale', entityId: payload.saleId };
      return { id: i.id, type: SYNC_ITEM_LABELS[i.type as SyncItemType] ?? i.type, status: i.status, attempts: i.attempts, error: i.lastError ?? '', updatedAt: i.updatedAt, ...entity };
    });
    // Xero's message as it wrote it, but each record it names by Xero id shown by its number or name, linked.
    const known = await knownXeroRecords(ctx.db, orgId, xeroIdsIn(failures.map((f) => f.error)), await organisationLinks(ctx.db, ctx.config.appUrl, orgId));
    const shown = failures.map((f) => ({ ...f, errorParts: messageParts(f.error, known) }));
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'sync-failures', { title: 'Xero sync failures', failures: shown, base, recordHref, recordName: await namesIn(orgId, failures), flash: ctx.pages.takeFlash(req), when: await whenIn(orgId) });
  }));

  router.post('/sync/failures/retry', ctx.requireRole('admin'), wrap(async (req, res) => {
    const orgId = req.principal!.orgId;
    const raw = ([] as unknown[]).concat(req.body?.ids ?? []);
    const ids = raw.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
    // Only this organisation's sync items: ids of anything else simply do not match.
    const own = ids.length ? (await ctx.outbox.list(ctx.db, { orgId, types: SYNC_ITEM_TYPES, ids })).map((i) => i.id) : [];
    const moved = own.length ? await ctx.outbox.retry(ctx.db, { ids: own }) : 0;
    ctx.pages.setFlash(req, moved > 0 ? 'success' : 'error', moved > 0 ? `${moved === 1 ? '1 item' : `${moved} items`} will be sent again now.` : 'Nothing to retry: choose at least one failed item.');
    res.redirect(303, `${base}/failures`);
  }));

  router.get('/sync/log', ctx.requireRole('admin', 'accountant'), wrap(async (req, res) => {
    const orgId = req.principal!.orgId;
    const q = req.query;
    const payoutId = Number(q.payout);
    const from = dayParam(q.from, 'from');
    const toDay = dayParam(q.to, 'to');
    const filter = {
      outcome: OUTCOMES.includes(String(q.status)) ? String(q.status) : undefined,
      recordType: RECORD_TYPES.includes(String(q.recordType)) ? String(q.recordType) : undefined,
      // One payout's own rows (its documents, matches and sign-offs).
      ...(Number.isSafeInteger(payoutId) && payoutId > 0 ? { entityType: 'payout', entityId: payoutId } : {}),
      from,
      to: toDay === undefined ? undefined : toDay + 86_400_000,
    };
    const query = { status: filter.outcome ?? '', recordType: filter.recordType ?? '', payout: filter.entityId ? String(filter.entityId) : '', from: String(q.from ?? ''), to: String(q.to ?? '') };
    const payouts = (await ctx.payouts.list(ctx.db, { orgId, limit: 200 }))
      .map((p) => ({ id: p.id, label: `${providerNameOf(ctx, p.provider)} ${p.providerPayoutId} (arrived ${formatCalendarDay(p.arrivalDate)})` }));
    const common = { title: 'Xero sync log', base, recordHref, recordName: (entityType: string, entityId: number) => `${entityType} ${entityId}`, outcomes: OUTCOMES, recordTypes: RECORD_TYPES, payouts, query, when: await whenIn(orgId) };
    // A reversed range matches nothing by definition: say so, next to the field, instead of an empty list.
    if (from !== undefined && toDay !== undefined && from > toDay) {
      res.set('Cache-Control', 'no-store');
      ctx.pages.render(res, 'sync-log', {
        ...common, rangeError: `must be on or after the From date (${ctx.pages.formatDateTime(from, 'UTC').replace(/,.*$/, '')}): the dates are the wrong way round`,
        entries: [], page: logPage([], 1), incoming: [], pageHref: () => '',
      }, 422);
      return;
    }
    const page = pageNumber(q.page);
    const fetched = await listAudit(ctx.db, { orgId, ...filter, excludeActions: ['history'], ...pageWindow(page) });
    const shown = logPage(fetched, page);
    // History notes fold under the record they were added to (they were one row each, burying the log).
    const notes = shown.rows.length ? await listAudit(ctx.db, { orgId, actions: ['history'], entityIds: [...new Set(shown.rows.map((r) => r.entityId))], limit: 1000, order: 'asc' }) : [];
    const { rows } = foldHistoryNotes(shown.rows, notes);
    // What came back from Xero (webhooks and the polling sweep), newest first.
    const incoming = await latestIncoming(ctx.db, orgId, 50);
    const [numbers, actors] = await Promise.all([
      numbersOfXeroIds(ctx.db, orgId, xeroIdsIn([...rows, ...notes].map((r) => r.message).concat(incoming.flatMap((e) => [e.resourceId, e.outcome])))),
      actorsOf(ctx.db, orgId, rows.map((r) => r.triggeredBy)),
    ]);
    const entries = rows.map((r) => ({ ...r, message: nameXeroIds(r.message ?? '', numbers), by: actorShown(r, actors), notes: r.notes.map((n) => ({ ...n, message: nameXeroIds(n.message ?? '', numbers) })) }));
    const pageHref = (n: number) => `${base}/log?${new URLSearchParams({ ...Object.fromEntries(Object.entries(query).filter(([, v]) => v !== '')), page: String(n) }).toString()}`;
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'sync-log', {
      ...common, rangeError: null, entries, page: shown, pageHref, recordName: await namesIn(orgId, entries),
      incoming: incoming.map((e) => ({ ...e, record: numbers.get(e.resourceId.toLowerCase()) ?? null, outcome: e.outcome === null ? null : nameXeroIds(e.outcome, numbers) })),
    });
  }));

  router.get('/sync/records/:entityType/:entityId', ctx.requireRole('admin', 'staff', 'accountant'), wrap(async (req, res) => {
    const orgId = req.principal!.orgId;
    const { entityType, entityId } = entityOf(req);
    if ((await saleOfEntity(ctx, ctx.db, orgId, entityType, entityId)) === undefined) throw new NotFoundError(`That ${entityType}`);
    const [records, trail, states] = await Promise.all([
      recordsOfEntity(ctx.db, orgId, entityType, entityId),
      // Oldest first, numbered from 1: the record's story in the order it happened.
      listAudit(ctx.db, { orgId, entityType, entityId, limit: 500, order: 'asc' }),
      ctx.sync.list(ctx.db, { orgId, entityType, entityId }),
    ]);
    const name = (await namesIn(orgId, [{ entityType, entityId }]))(entityType, entityId);
    const [numbers, actors] = await Promise.all([
      numbersOfXeroIds(ctx.db, orgId, xeroIdsIn(trail.map((r) => r.message))),
      actorsOf(ctx.db, orgId, trail.map((r) => r.triggeredBy)),
    ]);
    const entries = trail.map((r) => ({ ...r, message: nameXeroIds(r.message ?? '', numbers), by: actorShown(r, actors) }));
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'sync-record', {
      title: `Xero: ${name}`, name, entityType, entityId, records, entries, states, base, flash: ctx.pages.takeFlash(req), when: await whenIn(orgId),
      xeroHref: (await organisationLinks(ctx.db, ctx.config.appUrl, orgId)).record,
      canSend: req.principal!.role !== 'accountant',
    });
  }));

  return router;
}


