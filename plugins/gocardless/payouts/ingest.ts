// One payout, end to end: read it and every item from GoCardless, read the payments, refunds and customers
// the items link to (for sale ids, names, references), map (mapPayout.ts) and record it (the provider kit's
// recordPayout: the host's ctx.payouts.record, idempotent per payout, and a gocardless_payouts row). Runs in
// an outbox handler, so a failure is retried and a payout is never lost; running it twice records it once.
import { RetryableError } from '../../../server/errors';
import type { PluginContext, RecordedPayout } from '../../../server/plugins/contract';
import { recordPayout } from '../../providerKit';
import type { GcCustomer, GcPayment, GcRefund, GoCardlessClient } from '../client';
import type { GoCardlessConfig } from '../config';
import { mapPayout } from './mapPayout';

export const PAYOUTS_TABLE = 'gocardless_payouts';

/** Run `fn` over `inputs` with at most `limit` calls in flight (GoCardless allows 1,000 calls a minute). */
async function inPool<T, R>(inputs: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(inputs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const i = next++;
      out[i] = await fn(inputs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
  return out;
}

export async function ingestPayout(ctx: PluginContext<GoCardlessConfig>, orgId: number, client: GoCardlessClient, payoutId: string): Promise<RecordedPayout> {
  const payout = await client.payout(payoutId);
  if (payout.status !== 'paid') {
    // A webhook for a payout that is not paid yet (or a sweep race): look again later.
    throw new RetryableError(`GoCardless payout ${payoutId} is ${payout.status}, not paid yet`, { retryAfterMs: 15 * 60_000 });
  }
  const items = await client.allPayoutItems(payoutId);
  const paymentIds = [...new Set(items.map((i) => i.links.payment).filter((id): id is string => Boolean(id)))];
  const refundIds = [...new Set(items.map((i) => i.links.refund).filter((id): id is string => Boolean(id)))];
  const payments = new Map<string, GcPayment>((await inPool(paymentIds, 5, (id) => client.payment(id))).map((p) => [p.id, p]));
  const refunds = new Map<string, GcRefund>((await inPool(refundIds, 5, (id) => client.refund(id))).map((r) => [r.id, r]));
  // Payment → mandate → customer; one customer lookup per mandate.
  const customerByMandate = new Map<string, Promise<GcCustomer>>();
  const customerOf = (mandateId: string): Promise<GcCustomer> => {
    let found = customerByMandate.get(mandateId);
    if (!found) {
      found = client.mandate(mandateId).then((m) => client.customer(m.links.customer));
      customerByMandate.set(mandateId, found);
    }
    return found;
  };
  const customers = new Map<string, GcCustomer>(
    await inPool([...payments.values()], 5, async (p) => [p.id, await customerOf(p.links.mandate)] as [string, GcCustomer]),
  );
  return recordPayout(ctx, PAYOUTS_TABLE, orgId, mapPayout({ payout, items, payments, refunds, customers }));
}
