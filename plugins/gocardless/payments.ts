// A GoCardless payment whose metadata names our sale (ledgerbridge_sale_id) is recorded on that sale as
// soon as GoCardless confirms it (the host's recordPayment, idempotent on the payment id), so the Xero
// plugin puts the payment on the invoice in real time; the payout later only moves it to the bank.
import type { PluginContext } from '../../server/plugins/contract';
import type { GoCardlessClient } from './client';
import type { GoCardlessConfig } from './config';
import { saleIdOf } from './payouts/mapPayout';

export type PaymentOutcome = { recorded: true; paymentId: number; created: boolean } | { recorded: false; why: string };

export async function recordSalePayment(ctx: PluginContext<GoCardlessConfig>, orgId: number, client: GoCardlessClient, paymentId: string): Promise<PaymentOutcome> {
  const payment = await client.payment(paymentId);
  if (payment.status !== 'confirmed' && payment.status !== 'paid_out') return { recorded: false, why: `payment is ${payment.status}` };
  const saleId = saleIdOf(payment);
  if (saleId === null) return { recorded: false, why: 'no ledgerbridge_sale_id in its metadata' };
  const result = await ctx.payments.record(orgId, saleId, {
    method: 'gocardless',
    amountMinor: payment.amount,
    currency: payment.currency,
    providerRef: payment.id,
    // The charge date is when the money left the customer's bank; never in our future (a payment confirmed
    // early, e.g. by the sandbox's simulators, still has a charge date ahead).
    receivedAt: Math.min(Date.parse(`${payment.charge_date}T00:00:00Z`), ctx.clock.now()),
  });
  ctx.logger.info({ orgId, saleId, payment: payment.id, created: result.created }, 'GoCardless payment recorded on its sale');
  return { recorded: true, ...result };
}
