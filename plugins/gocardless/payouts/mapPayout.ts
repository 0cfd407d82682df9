// Pure: a GoCardless payout and its items (plus the payments, refunds and customers they link to) → the
// host's PayoutInput. One line per payout item, in GoCardless's order:
//   payment_paid_out → charge (+) · payment_refunded / refund → refund (−) · payment_charged_back → dispute (−)
//   payment_failed → failure (−) · gocardless_fee / app_fee / surcharge_fee → fee (amount 0, feeMinor = what
//   was taken, negative when given back, feeTaxMinor = its VAT from `taxes`) · anything else → adjustment.
// Item amounts are minor units to one decimal place; GoCardless rounds only the payout's total, so each line
// is rounded half away from zero and any difference left goes on one 'rounding' adjustment line, keeping
// sum(amount) − sum(fee) = the payout amount exactly.
import { PermanentError } from '../../../server/errors';
import type { PayoutInput, PayoutLineInput, PayoutLineKind } from '../../../server/plugins/contract';
import type { GcCustomer, GcPayment, GcPayout, GcPayoutItem, GcRefund } from '../client';

export const SALE_ID_KEY = 'ledgerbridge_sale_id';
const FEE_TYPES = new Set(['gocardless_fee', 'app_fee', 'surcharge_fee']);

const KIND: Record<string, PayoutLineKind> = {
  payment_paid_out: 'charge',
  payment_refunded: 'refund',
  refund: 'refund',
  payment_charged_back: 'dispute',
  payment_failed: 'failure',
};

const FEE_LABEL: Record<string, string> = {
  gocardless_fee: 'GoCardless fee',
  app_fee: 'App fee',
  surcharge_fee: 'GoCardless surcharge',
};

/** "−264.0" → −2640 (tenths of a minor unit). */
export function tenths(value: string, what: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d))?$/.exec(value.trim());
  if (!m) throw new PermanentError(`GoCardless sent ${what} "${value}", not an amount in minor units`);
  const v = BigInt(m[2]!) * 10n + BigInt(m[3] ?? '0');
  return m[1] === '-' ? -v : v;
}

/** Tenths → whole minor units, half away from zero. */
export const roundTenths = (t: bigint): bigint => (t >= 0n ? (t + 5n) / 10n : -((-t + 5n) / 10n));

/** Our sale id from a payment's metadata, when it names one. */
export function saleIdOf(payment: GcPayment | undefined): number | null {
  const raw = payment?.metadata?.[SALE_ID_KEY];
  return raw !== undefined && /^\d{1,12}$/.test(raw) ? Number(raw) : null;
}

export interface PayoutContext {
  payout: GcPayout;
  items: GcPayoutItem[];
  payments: Map<string, GcPayment>;
  refunds: Map<string, GcRefund>;
  /** Customer by payment id. */
  customers: Map<string, GcCustomer>;
}

const nameOf = (c: GcCustomer | undefined): string | null =>
  c ? c.company_name || [c.given_name, c.family_name].filter(Boolean).join(' ') || null : null;

export function mapPayout(ctx: PayoutContext): PayoutInput {
  const { payout } = ctx;
  const payoutAt = Date.parse(payout.created_at);
  const seen = new Map<string, number>();
  const lines: PayoutLineInput[] = [];
  let exactTenths = 0n;
  for (const item of ctx.items) {
    const amountTenths = tenths(item.amount, `a ${item.type} amount`);
    exactTenths += amountTenths;
    const amount = roundTenths(amountTenths);
    const paymentId = item.links.payment;
    const payment = paymentId ? ctx.payments.get(paymentId) : undefined;
    const refund = item.links.refund ? ctx.refunds.get(item.links.refund) : undefined;
    const customer = paymentId ? ctx.customers.get(paymentId) : undefined;
    const base = `${item.type}:${item.links.refund ?? paymentId ?? item.links.mandate ?? 'payout'}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const common = {
      sourceId: n === 1 ? base : `${base}#${n}`,
      chargeRef: paymentId ?? null,
      saleId: saleIdOf(payment),
      counterpartyName: nameOf(customer),
      counterpartyEmail: customer?.email ?? null,
      reference: refund?.reference ?? payment?.reference ?? null,
    };
    if (FEE_TYPES.has(item.type)) {
      const fee = -amount;
      const taxTenths = (item.taxes ?? [])
        .filter((t) => t.currency === payout.currency)
        .map((t) => tenths(t.amount, 'a tax amount'))
        .reduce((s, v) => s + (v < 0n ? -v : v), 0n);
      const tax = roundTenths(taxTenths);
      lines.push({
        ...common, kind: 'fee', amountMinor: 0n, feeMinor: fee, feeTaxMinor: fee < 0n ? -tax : tax,
        description: `${FEE_LABEL[item.type] ?? item.type}${paymentId ? ` on ${paymentId}` : ''}`,
        occurredAt: payoutAt,
      });
      continue;
    }
    const kind = KIND[item.type] ?? 'adjustment';
    const occurredAt = kind === 'charge' && payment ? Date.parse(`${payment.charge_date}T00:00:00Z`)
      : refund ? Date.parse(refund.created_at) : payoutAt;
    lines.push({
      ...common, kind, amountMinor: amount, feeMinor: 0n, feeTaxMinor: 0n,
      description: payment?.description ?? (kind === 'adjustment' ? item.type : null),
      occurredAt: Number.isNaN(occurredAt) ? payoutAt : occurredAt,
    });
  }
  const net = lines.reduce((s, l) => s + l.amountMinor - l.feeMinor, 0n);
  const total = BigInt(payout.amount);
  // Only sub-penny remainders are rounding; a bigger gap is a real discrepancy the host must flag.
  if (net !== total && roundTenths(exactTenths) === total) {
    lines.push({
      sourceId: 'rounding', kind: 'adjustment', amountMinor: total - net, feeMinor: 0n, feeTaxMinor: 0n, chargeRef: null, saleId: null,
      counterpartyName: null, counterpartyEmail: null, description: 'Rounding of fractional fees', reference: null, occurredAt: payoutAt,
    });
  }
  return {
    provider: 'gocardless',
    accountRef: payout.links.creditor,
    providerPayoutId: payout.id,
    currency: payout.currency.toUpperCase(),
    amountMinor: total,
    arrivalDate: payout.arrival_date ?? new Date(payoutAt).toISOString().slice(0, 10),
    lines,
  };
}
