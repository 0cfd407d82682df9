// Payout posting work, always enqueued in the caller's transaction: from the host's payout.paid event
// (only for organisations with a live Xero connection, like the sync's subscribers), after a sign-off,
// and from the nightly sweep that catches anything not yet posted.
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../../server/db/knex';
import { retryItems } from '../../../server/outbox/admin';
import type { EventSubscriber, PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { getLiveConnection } from '../connection/store';
import type { TriggeredBy } from '../sync/types';
import { PAYOUT_POST, payoutSubject, setPayoutState, type PayoutPostPayload } from './store';

type Ctx = Pick<PluginContext<XeroConfig>, 'outbox'>;

/**
 * `again.runKey`: the same for every process running one scheduled sweep (its minute), so the processes
 * that all fire it enqueue one item per payout between them; otherwise every call gets its own item.
 */
export async function enqueuePayoutPost(ctx: Ctx, trx: Queryable, orgId: number, payoutId: number, opts: { again?: { triggeredBy: TriggeredBy; why: string; runKey?: string } } = {}): Promise<number> {
  const payload: PayoutPostPayload = { payoutId, ...(opts.again ? { reconcile: true, triggeredBy: opts.again.triggeredBy } : {}) };
  const suffix = opts.again ? `:${opts.again.why}:${opts.again.runKey ?? `${Date.now()}:${randomBytes(3).toString('hex')}`}` : '';
  const { id } = await ctx.outbox.enqueue(trx, { type: PAYOUT_POST, orgId, payload, dedupeKey: `xero:payout:${payoutId}${suffix}`, subject: payoutSubject(payoutId) });
  return id;
}

export const onPayoutPaid: EventSubscriber<XeroConfig, 'payout.paid'> = async (event, trx, ctx) => {
  if ((await getLiveConnection(trx, event.orgId)) === undefined) return;
  const payout = event.data.payout;
  await setPayoutState(trx, event.orgId, payout.id, payout.status === 'discrepancy' ? 'discrepancy' : 'pending', null);
  await enqueuePayoutPost(ctx, trx, event.orgId, payout.id);
};

/**
 * The nightly sweep: every payout of a connected organisation that is not posted (never seen, waiting,
 * failed) and has no item on its way gets one (its dead item sent again, else a new one). Payouts waiting
 * for sign-off wait for a person. Idempotent: a second run while the first's items are pending adds none.
 */
export async function sweepPayouts(ctx: Pick<PluginContext<XeroConfig>, 'outbox' | 'db'>, opts: { orgId?: number; runKey?: string } = {}): Promise<number> {
  const q = ctx.db('payouts as p')
    .leftJoin('xero_payouts as x', function join() {
      this.on('x.payout_id', '=', 'p.id').andOn('x.org_id', '=', 'p.org_id');
    })
    .where((w) => w.whereNull('x.status').orWhereIn('x.status', ['pending', 'waiting', 'failed']))
    .select('p.id', 'p.org_id');
  if (opts.orgId !== undefined) q.where('p.org_id', opts.orgId);
  const rows = (await q) as { id: number; org_id: number }[];
  let enqueued = 0;
  for (const row of rows) {
    const orgId = Number(row.org_id);
    const payoutId = Number(row.id);
    await ctx.db.transaction(async (trx) => {
      if ((await getLiveConnection(trx, orgId)) === undefined) return;
      const open = (await trx('outbox').where({ subject: payoutSubject(payoutId) }).whereNot('status', 'done').select('id', 'status')) as { id: number; status: string }[];
      if (open.some((r) => r.status !== 'dead')) return; // on its way, or paused until Xero is re-authorised
      // A dead item (a failed posting) holds back every later item of its subject, so a new item would
      // never run: the dead one goes back to pending with fresh attempts instead.
      if (open.length > 0) await retryItems(trx, { ids: open.map((r) => Number(r.id)), type: PAYOUT_POST });
      else await enqueuePayoutPost(ctx, trx, orgId, payoutId, { again: { triggeredBy: 'system', why: 'sweep', ...(opts.runKey ? { runKey: opts.runKey } : {}) } });
      enqueued++;
    });
  }
  return enqueued;
}
