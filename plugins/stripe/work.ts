// Stripe's outbox work: everything the plugin reads from Stripe happens here, from ids an event or the sweep
// queued. A charge that names our sale is recorded on it; a paid payout is read whole and recorded with its
// lines. Both host calls are idempotent, so work may run twice, late or in any order: a payout before its
// charges' charge.succeeded still records those payments, and the later charge is then a no-op.
import type Stripe from 'stripe';
import { AppError, ConflictError, PermanentError, RetryableError } from '../../server/errors';
import type { OutboxHandler, PluginContext } from '../../server/plugins/contract';
import { reasonOf, recordPayout, workHandler, type Work } from '../providerKit';
import type { StripeConfig } from './config';
import { callStripe, stripeClient } from './client';
import { fetchPayout, saleIdOf, type SalePayment } from './payouts';
import { stripeSettings } from './settings';

type Ctx = PluginContext<StripeConfig>;

export const CHARGE_RECORD = 'stripe.charge.record';
export const PAYOUT_INGEST = 'stripe.payout.ingest';
export const PAYOUTS_TABLE = 'stripe_payouts';

export interface ChargeRecordPayload { chargeId: string }
export interface PayoutIngestPayload { payoutId: string }

export const chargeWork = (chargeId: string): Work => ({ type: CHARGE_RECORD, key: chargeId, payload: { chargeId } satisfies ChargeRecordPayload });
export const payoutWork = (payoutId: string): Work => ({ type: PAYOUT_INGEST, key: payoutId, payload: { payoutId } satisfies PayoutIngestPayload });

export interface StripeConnection { stripe: Stripe; accountId: string }

export async function connect(ctx: Ctx, orgId: number): Promise<StripeConnection | null> {
  const settings = await stripeSettings.get(ctx.db, orgId);
  const secretKey = settings && (await stripeSettings.open(ctx.db, ctx.secrets, settings, 'secretKey'));
  return settings && secretKey ? { stripe: stripeClient(ctx.config, secretKey), accountId: settings.facts.accountId } : null;
}

/** A charge naming our sale, recorded on it; a sale that cannot take it is a failure for a person to read. */
async function recordCharge(ctx: Ctx, { stripe }: StripeConnection, orgId: number, chargeId: string): Promise<void> {
  const charge = await callStripe(`charge ${chargeId}`, () => stripe.charges.retrieve(chargeId, { expand: ['balance_transaction'] }));
  const saleId = saleIdOf(charge.metadata);
  if (saleId === null || charge.status !== 'succeeded') return;
  // A charge settled in another currency (USD card on a GBP account) waits for its payout: the Xero payout
  // posting records it on the sale and pays the invoice at Stripe's own rate. Recorded now, the sync would
  // put it into a clearing account in the sale's currency, where no payout ever takes it from.
  const bt = charge.balance_transaction;
  const settled = bt && typeof bt === 'object' ? bt.currency : null;
  if (settled !== null && settled !== charge.currency) {
    ctx.logger.info({ orgId, saleId, charge: charge.id, currency: charge.currency, settled }, 'Stripe charge settled in another currency: recorded on its sale when its payout is posted');
    return;
  }
  const payment: SalePayment = { saleId, chargeId: charge.id, amountMinor: charge.amount, currency: charge.currency.toUpperCase(), receivedAt: charge.created * 1000 };
  try {
    await recordSalePayment(ctx, orgId, payment);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const amount = `${ctx.pages.formatMoney(payment.amountMinor, payment.currency)} ${payment.currency}`;
    // Typically a staff member recorded this charge by hand (another amount or sale): which is right is a
    // person's call, so the charge is held back and shown, never recorded twice.
    const why = err instanceof ConflictError ? `conflicts with a payment already recorded: ${err.message}` : `cannot be recorded on it: ${reasonOf(err)}`;
    // The sale as people call it ("Sale TILL-016"), the host's one name for it.
    const name = (await ctx.records.saleNames?.(ctx.db, orgId, [saleId]))?.get(saleId) ?? `Sale ${saleId}`;
    throw new PermanentError(`names ${name} (${amount}) but ${why}`);
  }
}

async function recordSalePayment(ctx: Ctx, orgId: number, p: SalePayment): Promise<void> {
  // Never in our future: Stripe's clock may run ahead of ours (the host refuses a payment received later than now).
  const receivedAt = Math.min(p.receivedAt, ctx.clock.now());
  const result = await ctx.payments.record(orgId, p.saleId, { method: 'stripe', amountMinor: p.amountMinor, currency: p.currency, providerRef: p.chargeId, receivedAt });
  if (result.created) ctx.logger.info({ orgId, saleId: p.saleId, charge: p.chargeId }, 'Stripe charge recorded on its sale');
}

/** A paid payout read from Stripe, its sale payments recorded (idempotent), then the payout itself. */
async function ingestPayout(ctx: Ctx, conn: StripeConnection, orgId: number, payoutId: string): Promise<void> {
  const fetched = await callStripe(`payout ${payoutId}`, () => fetchPayout(conn.stripe, conn.accountId, payoutId));
  const { status } = fetched.payout;
  if (status === 'pending' || status === 'in_transit') throw new RetryableError(`Stripe payout ${payoutId} is ${status}, not paid yet`, { retryAfterMs: 15 * 60_000 });
  if (status !== 'paid') throw new PermanentError(`Stripe payout ${payoutId} is ${status}: only a paid payout reaches the bank`);
  for (const p of fetched.salePayments) {
    try {
      await recordSalePayment(ctx, orgId, p);
    } catch (err) {
      // The charge's own work shows this to a person; the payout's lines still name the charge for matching.
      if (!(err instanceof AppError)) throw err;
      ctx.logger.warn({ orgId, saleId: p.saleId, charge: p.chargeId, reason: err.message }, 'Stripe charge in a payout names a sale that cannot take it; left for the payout matching');
    }
  }
  await recordPayout(ctx, PAYOUTS_TABLE, orgId, fetched.input);
}

export function stripeHandlers(ctx: Ctx): Record<string, OutboxHandler> {
  const conn = (orgId: number) => connect(ctx, orgId);
  return {
    [CHARGE_RECORD]: workHandler<ChargeRecordPayload, StripeConnection>('Stripe', {
      connect: conn, describe: (p) => `Charge ${p.chargeId}`, run: (c, orgId, p) => recordCharge(ctx, c, orgId, p.chargeId),
    }),
    [PAYOUT_INGEST]: workHandler<PayoutIngestPayload, StripeConnection>('Stripe', {
      connect: conn, describe: (p) => `Payout ${p.payoutId}`, run: (c, orgId, p) => ingestPayout(ctx, c, orgId, p.payoutId),
    }),
  };
}
