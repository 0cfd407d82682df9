// What a sale's receipt says, worked out before anything is drawn: business, customer, lines, VAT by rate,
// payments, refunds and totals, every amount in integer minor units. Prices include VAT (as the sale
// charged them), so each line's VAT is gross × r / (100 + r), rounded half up per line as Xero rounds an
// inclusive line, and summed per rate; net is gross − VAT. A line whose rate nobody can tell is listed
// apart ("VAT not stated"), never guessed. Pure: the PDF (pdf.ts) only draws this.
import type { PaymentSnapshot, RefundSnapshot, SaleSnapshot } from '../domain/events';
import { balanceDueMinor } from '../domain/balance';
import { saleName } from '../domain/saleName';
import { divideRoundHalfUp, formatTrimmed, parseDecimal, rescale } from '../domain/money';
import type { LineTaxRate } from '../plugins/contract';

export interface ReceiptLine {
  description: string;
  /** As sold, e.g. "2" or "1.5". */
  quantity: string;
  unitPriceMinor: number;
  discountRate: string | null;
  totalMinor: number;
  /** The rate's name, or null when not stated. */
  rate: string | null;
}

export interface ReceiptVatRate {
  name: string;
  ratePercent: string;
  grossMinor: number;
  vatMinor: number;
  netMinor: number;
}

export interface ReceiptMovement {
  /** YYYY-MM-DD in the business's time zone. */
  day: string;
  label: string;
  amountMinor: number;
}

export interface Receipt {
  fileName: string;
  title: string;
  business: string;
  /** The sale's own day, YYYY-MM-DD in the business's time zone. */
  day: string;
  serviceDate: string | null;
  currency: string;
  customer: { name: string; email: string | null };
  lines: ReceiptLine[];
  vat: ReceiptVatRate[];
  /** Gross of the lines whose rate nobody could tell (0 when every rate is known). */
  vatNotStatedMinor: number;
  payments: ReceiptMovement[];
  refunds: ReceiptMovement[];
  totals: { totalMinor: number; vatMinor: number; netMinor: number; paidMinor: number; refundedMinor: number; dueMinor: number };
}

export interface ReceiptInput {
  business: { name: string; timeZone: string };
  sale: SaleSnapshot;
  payments: readonly PaymentSnapshot[];
  refunds: readonly RefundSnapshot[];
  /** Each line's rate, in line order (null: not stated). */
  rates: readonly (LineTaxRate | null)[];
  methodLabel(id: string): string;
}

const RATE_SCALE = 4;

/** Gross × r / (100 + r), rounded half up (negative gross mirrored). */
export function inclusiveVatMinor(grossMinor: number, ratePercent: string): number {
  const parsed = parseDecimal(ratePercent);
  const rate = parsed.ok ? rescale(parsed.value, RATE_SCALE) : null;
  if (rate === null || rate < 0n) throw new RangeError(`tax rate "${ratePercent}" is not a percentage with at most ${RATE_SCALE} decimal places`);
  const whole = 100n * 10n ** BigInt(RATE_SCALE);
  const gross = BigInt(Math.abs(grossMinor));
  const vat = divideRoundHalfUp(gross * rate, whole + rate);
  return Number(grossMinor < 0 ? -vat : vat);
}

/** YYYY-MM-DD of an instant in a time zone. */
export function dayIn(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

/** A file name any downstream store accepts: letters, digits, dot, dash and underscore. */
export function receiptFileName(sale: Pick<SaleSnapshot, 'id' | 'reference'>): string {
  const label = (sale.reference ?? '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return `Receipt-${label || `sale-${sale.id}`}.pdf`;
}

const normalRate = (percent: string): string => {
  const parsed = parseDecimal(percent);
  const units = parsed.ok ? rescale(parsed.value, RATE_SCALE) : null;
  return units === null ? percent : formatTrimmed(units, RATE_SCALE);
};

export function buildReceipt(input: ReceiptInput): Receipt {
  const { sale, business } = input;
  const byRate = new Map<string, ReceiptVatRate>();
  let vatNotStatedMinor = 0;
  const lines = [...sale.lines].sort((a, b) => a.position - b.position).map((line): ReceiptLine => {
    const rate = input.rates[sale.lines.indexOf(line)] ?? null;
    if (rate === null) {
      vatNotStatedMinor += line.lineTotalMinor;
    } else {
      const percent = normalRate(rate.ratePercent);
      const key = `${percent}\u0000${rate.name}`;
      const group = byRate.get(key) ?? { name: rate.name, ratePercent: percent, grossMinor: 0, vatMinor: 0, netMinor: 0 };
      const vat = inclusiveVatMinor(line.lineTotalMinor, percent);
      group.grossMinor += line.lineTotalMinor;
      group.vatMinor += vat;
      group.netMinor += line.lineTotalMinor - vat;
      byRate.set(key, group);
    }
    return {
      description: line.description, quantity: line.quantity.replace(/\.?0+$/, '') || '0', unitPriceMinor: line.unitPriceMinor,
      discountRate: line.discountRate, totalMinor: line.lineTotalMinor, rate: rate?.name ?? null,
    };
  });
  // Highest rate first: how VAT summaries usually read.
  const vat = [...byRate.values()].sort((a, b) => Number(parseFloat(b.ratePercent) - parseFloat(a.ratePercent)) || a.name.localeCompare(b.name));
  const vatMinor = vat.reduce((sum, r) => sum + r.vatMinor, 0);
  const paidMinor = input.payments.reduce((sum, p) => sum + p.amountMinor, 0);
  const refundedMinor = input.refunds.reduce((sum, r) => sum + r.amountMinor, 0);
  return {
    fileName: receiptFileName(sale),
    title: `Receipt for ${saleName(sale)}`,
    business: business.name,
    day: dayIn(sale.occurredAt, business.timeZone),
    serviceDate: sale.serviceDate ?? null,
    currency: sale.currency,
    customer: { name: sale.customer.name, email: sale.customer.email },
    lines,
    vat,
    vatNotStatedMinor,
    payments: input.payments.map((p) => ({ day: dayIn(p.receivedAt, business.timeZone), label: input.methodLabel(p.method), amountMinor: p.amountMinor })),
    refunds: input.refunds.map((r) => ({ day: dayIn(r.createdAt, business.timeZone), label: r.method ? `Refund (${input.methodLabel(r.method)})` : 'Refund (credit)', amountMinor: r.amountMinor })),
    totals: {
      totalMinor: sale.totalMinor,
      vatMinor,
      netMinor: sale.totalMinor - vatMinor,
      paidMinor,
      refundedMinor,
      dueMinor: balanceDueMinor({ totalMinor: sale.totalMinor, paidMinor, refunds: input.refunds }),
    },
  };
}
