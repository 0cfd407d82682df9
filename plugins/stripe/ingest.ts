// What the plugin does with Stripe's news, for one organisation: a charge naming our sale is recorded
// on the sale; a paid payout is fetched and recorded with its lines. Both host calls are idempotent, so
// events may come twice, late or in any order: a payout.paid before its charges' charge.succeeded still
// records those payments (from the payout's own charges) and the later event is a no-op.
import type Stripe from 'stripe';
import type { PluginContext } from '../../server/plugins/contract';
import { NotFoundError, ValidationError } from '../../server/errors';
import type { StripeConfig } from './config';
import { stripeClient } from './client';
import { fetchPayout, saleIdOf } from './payouts';
import { openSecretKey, type SettingsRow } from './store';

type Ctx = PluginContext<StripeConfig>;

export async function clientFor(ctx: Ctx, row: SettingsRow): Promise<Stripe> {
  return stripeClient(ctx.config, await openSecretKey(ctx.db, ctx.secrets, row));
}

export async function recordSalePayment(ctx: Ctx, orgId: number, p: { saleId: number; chargeId: string; amountMinor: number; currency: string; receivedAt: number }): Promise<void> {
  try {
    const result = await ctx.payments.record(orgId, p.saleId, { method: 'stripe', amountMinor: p.amountMinor, currency: p.currency, providerRef: p.chargeId, receivedAt: p.receivedAt });
    if (result.created) ctx.logger.info({ orgId, saleId: p.saleId, charge: p.chargeId }, 'Stripe charge recorded on its sale');
  } catch (err) {
    // A sale we do not have (deleted, another system's id) or an amount it cannot take: nothing to retry.
    if (err instanceof NotFoundError || err instanceof ValidationError) {
      ctx.logger.warn({ orgId, saleId: p.saleId, charge: p.chargeId, reason: err.message }, 'Stripe charge names a sale that cannot take it; left for the payout matching');
      return;
    }
    throw err;
  }
}

export async function onChargeSucceeded(ctx: Ctx, row: SettingsRow, charge: Stripe.Charge): Promise<void> {
  const saleId = saleIdOf(charge.metadata);
  if (saleId === null || charge.status !== 'succeeded') return;
  // A charge settled in another currency (USD card on a GBP account) waits for its payout: the Xero payout
  // posting records it on the sale and pays the invoice at Stripe's own rate. Recorded now, the sync would
  // put it into a clearing account in the sale's currency, where no payout ever takes it from.
  const settled = await settlementCurrency(ctx, row, charge);
  if (settled !== null && settled !== charge.currency) {
    ctx.logger.info({ orgId: row.org_id, saleId, charge: charge.id, currency: charge.currency, settled }, 'Stripe charge settled in another currency: recorded on its sale when its payout is posted');
    return;
  }
  await recordSalePayment(ctx, row.org_id, { saleId, chargeId: charge.id, amountMinor: charge.amount, currency: charge.currency.toUpperCase(), receivedAt: charge.created * 1000 });
}

/** The currency the charge's balance transaction settled in (one API call), or null when it has none yet. */
async function settlementCurrency(ctx: Ctx, row: SettingsRow, charge: Stripe.Charge): Promise<string | null> {
  const bt = charge.balance_transaction;
  if (bt && typeof bt === 'object') return bt.currency;
  if (!bt) return null;
  const stripe = await clientFor(ctx, row);
  const fresh = await stripe.charges.retrieve(charge.id, { expand: ['balance_transaction'] });
  const expanded = fresh.balance_transaction;
  return expanded && typeof expanded === 'object' ? expanded.currency : null;
}

export async function recordPayout(ctx: Ctx, row: SettingsRow, payoutId: string, stripe?: Stripe): Promise<{ created: boolean; status: string } | null> {
  const client = stripe ?? (await clientFor(ctx, row));
  const fetched = await fetchPayout(client, row.account_id, payoutId);
  if (fetched.payout.status !== 'paid') return null;
  for (const p of fetched.salePayments) await recordSalePayment(ctx, row.org_id, p);
  const result = await ctx.payouts.record(row.org_id, fetched.input);
  if (result.created) ctx.logger.info({ orgId: row.org_id, payout: payoutId, lines: fetched.input.lines.length, status: result.status }, 'Stripe payout recorded');
  return { created: result.created, status: result.status };
}

/** The nightly catch-up: every payout paid in the last `days` days is recorded (a no-op for those already in). */
export async function sweepOrg(ctx: Ctx, row: SettingsRow, now: number): Promise<number> {
  const stripe = await clientFor(ctx, row);
  const since = Math.floor(now / 1000) - ctx.config.sweepDays * 86_400;
  let created = 0;
  for await (const payout of stripe.payouts.list({ status: 'paid', created: { gte: since }, limit: 100 })) {
    const result = await recordPayout(ctx, row, payout.id, stripe);
    if (result?.created) created += 1;
  }
  return created;
}
