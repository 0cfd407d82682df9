// Payout posting work, always enqueued in the caller's transaction: from the host's payout.paid event
// (only for organisations with a live Xero connection, like the sync's subscribers), after a sign-off,
// and from the nightly sweep that catches anything not yet posted.
import { randomBytes } from 'node:crypto';
import type { EventSubscriber, PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { getLiveConnection } from '../connection/store';
import type { TriggeredBy } from '../engine/types';
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
  await setPayoutState(trx, { orgId: event.orgId, payoutId: payout.id, status: payout.status === 'discrepancy' ? 'discrepancy' : 'pending', message: null }, ctx.clock.now());
  await enqueuePayoutPost(ctx, trx, event.orgId, payout.id);
};

/**
 * The nightly sweep: every payout of a connected organisation that is not posted (never seen, waiting,
 * failed) and has no item on its way gets one (its dead item sent again, else a new one). Payouts waiting
 * for sign-off wait for a person. Idempotent: a second run while the first's items are pending adds none.
 */
export async function sweepPayouts(ctx: Pick<PluginContext<XeroConfig>, 'outbox' | 'db' | 'payouts'>, opts: { orgId?: number; runKey?: string } = {}): Promise<number> {
  // Payouts whose posting is settled (posted, signed off or waiting for sign-off, a discrepancy) stay as they are.
  const settled = ctx.db('xero_payouts').whereNotIn('status', ['pending', 'waiting', 'failed']).select('org_id', 'payout_id');
  if (opts.orgId !== undefined) settled.where('org_id', opts.orgId);
  const done = new Set(((await settled) as { org_id: number; payout_id: number }[]).map((r) => `${Number(r.org_id)}:${Number(r.payout_id)}`));
  const payouts = (await ctx.payouts.list(ctx.db, opts.orgId !== undefined ? { orgId: opts.orgId } : {}))
    .filter((p) => !done.has(`${p.orgId}:${p.id}`))
    .reverse(); // oldest first, as they arrived
  let enqueued = 0;
  for (const { orgId, id: payoutId } of payouts) {
    await ctx.db.transaction(async (trx) => {
      if ((await getLiveConnection(trx, orgId)) === undefined) return;
      const open = await ctx.outbox.list(trx, { subject: payoutSubject(payoutId), types: [PAYOUT_POST], excludeStatuses: ['done'] });
      if (open.some((r) => r.status !== 'dead')) return; // on its way, or paused until Xero is re-authorised
      // A dead item (a failed posting) holds back every later item of its subject, so a new item would
      // never run: the dead one goes back to pending with fresh attempts instead.
      if (open.length > 0) await ctx.outbox.retry(trx, { ids: open.map((r) => r.id) });
      else await enqueuePayoutPost(ctx, trx, orgId, payoutId, { again: { triggeredBy: 'system', why: 'sweep', ...(opts.runKey ? { runKey: opts.runKey } : {}) } });
      enqueued++;
    });
  }
  return enqueued;
}
