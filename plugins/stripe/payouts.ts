// A paid Stripe payout → the host's PayoutInput: the payout is fetched fresh from the API (never taken
// from the webhook body), then every balance transaction it swept (`?payout=po_…`, all pages, sources
// expanded) becomes one line. Balance effect per line: amount (gross, signed) minus fee = Stripe's net,
// so the lines sum to the payout. The payout's own transaction (type payout) is not a line.
import type Stripe from 'stripe';
import type { PayoutInput, PayoutLineInput, PayoutLineKind } from '../../server/plugins/contract';

const SALE_KEY = 'ledgerbridge_sale_id';

function saleIdOf(metadata: Record<string, string> | null | undefined): number | null {
  const raw = metadata?.[SALE_KEY];
  return raw && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
}

const idOf = (value: string | { id: string } | null | undefined): string | null => (value == null ? null : typeof value === 'string' ? value : value.id);

const FEE_TYPES = new Set(['stripe_fee', 'application_fee', 'stripe_fx_fee', 'tax_fee']);

function kindOf(bt: Stripe.BalanceTransaction): PayoutLineKind {
  if (bt.type === 'charge' || bt.type === 'payment') return 'charge';
  if (bt.type === 'refund' || bt.type === 'payment_refund') return 'refund';
  if (FEE_TYPES.has(bt.type)) return 'fee';
  const source = bt.source as { object?: string } | string | null;
  if (bt.type === 'adjustment' && typeof source === 'object' && source?.object === 'dispute') {
    return bt.reporting_category === 'dispute_reversal' || bt.amount > 0 ? 'dispute_reversal' : 'dispute';
  }
  return 'adjustment';
}

/** Stripe's exchange_rate as decimal text (the JSON number's own digits; spelled out below 1e-6). */
export function rateText(rate: number): string {
  const text = String(rate);
  return /e/i.test(text) ? rate.toFixed(20).replace(/0+$/, '').replace(/\.$/, '') : text;
}

/**
 * A balance transaction converted from another currency (exchange_rate set): what its source moved in that
 * currency, signed like the balance effect. Charges, refunds and disputes carry amount and currency.
 */
function conversionOf(bt: Stripe.BalanceTransaction, src: Record<string, unknown> | null): Pick<PayoutLineInput, 'originalAmountMinor' | 'originalCurrency' | 'exchangeRate'> {
  if (bt.exchange_rate == null || !src || typeof src.amount !== 'number' || typeof src.currency !== 'string') return {};
  const currency = src.currency.toUpperCase();
  if (currency === bt.currency.toUpperCase()) return {};
  const amount = BigInt(Math.abs(src.amount));
  return { originalAmountMinor: bt.amount < 0 ? -amount : amount, originalCurrency: currency, exchangeRate: rateText(bt.exchange_rate) };
}

export interface SalePayment { saleId: number; chargeId: string; amountMinor: number; currency: string; receivedAt: number }

export interface PayoutFetch {
  payout: Stripe.Payout;
  input: PayoutInput;
  /** Charges in the payout that name our sale, settled in their own currency: recorded on the sale too (idempotent), in case charge.succeeded never came. */
  salePayments: SalePayment[];
}

export async function fetchPayout(stripe: Stripe, accountId: string, payoutId: string): Promise<PayoutFetch> {
  const payout = await stripe.payouts.retrieve(payoutId);
  const charges = new Map<string, Stripe.Charge>();
  const chargeOf = async (id: string | null): Promise<Stripe.Charge | null> => {
    if (!id) return null;
    let charge = charges.get(id);
    if (!charge) {
      charge = await stripe.charges.retrieve(id);
      charges.set(id, charge);
    }
    return charge;
  };
  const lines: PayoutLineInput[] = [];
  const salePayments: PayoutFetch['salePayments'] = [];
  for await (const bt of stripe.balanceTransactions.list({ payout: payoutId, limit: 100, expand: ['data.source'] })) {
    if (bt.type === 'payout') continue;
    const kind = kindOf(bt);
    const source = bt.source as unknown as Record<string, unknown> | string | null;
    const src = typeof source === 'object' && source !== null ? source : null;
    let charge: Stripe.Charge | null = null;
    if (kind === 'charge' && src?.object === 'charge') charge = src as unknown as Stripe.Charge;
    else if (src && (src.object === 'refund' || src.object === 'dispute')) charge = await chargeOf(idOf(src.charge as string | { id: string } | null));
    const feeTax = bt.fee_details.filter((d) => d.type === 'tax').reduce((s, d) => s + d.amount, 0);
    const isFeeOnly = kind === 'fee';
    const saleId = charge ? saleIdOf(charge.metadata) : null;
    lines.push({
      sourceId: bt.id,
      kind,
      // A stand-alone fee is all fee: its balance effect (amount) is carried as feeMinor.
      amountMinor: BigInt(isFeeOnly ? 0 : bt.amount),
      feeMinor: BigInt(isFeeOnly ? bt.fee - bt.amount : bt.fee),
      feeTaxMinor: BigInt(feeTax),
      chargeRef: charge?.id ?? null,
      saleId,
      counterpartyName: charge?.billing_details?.name ?? null,
      counterpartyEmail: charge?.receipt_email ?? charge?.billing_details?.email ?? null,
      description: bt.description ?? null,
      reference: charge?.metadata?.ledgerbridge_sale_number ?? charge?.calculated_statement_descriptor ?? null,
      occurredAt: bt.created * 1000,
      ...(isFeeOnly ? {} : conversionOf(bt, src)),
    });
    // A charge Stripe converted into another currency is recorded on its sale by the Xero payout posting,
    // at Stripe's rate (plugins/xero/payouts/fx.ts), not here.
    if (kind === 'charge' && charge && saleId !== null && charge.currency === bt.currency) salePayments.push({ saleId, chargeId: charge.id, amountMinor: charge.amount, currency: charge.currency.toUpperCase(), receivedAt: charge.created * 1000 });
  }
  return {
    payout,
    salePayments,
    input: {
      provider: 'stripe',
      accountRef: accountId,
      providerPayoutId: payout.id,
      currency: payout.currency.toUpperCase(),
      amountMinor: BigInt(payout.amount),
      arrivalDate: new Date(payout.arrival_date * 1000).toISOString().slice(0, 10),
      lines,
    },
  };
}

export { saleIdOf };
