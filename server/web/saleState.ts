// How a sale reads to a person: whether it is paid (what they chase) before how much was refunded. The
// stored status only tracks refunds, so a sale with money outstanding used to read "completed".
import type { SaleView } from '../domain/saleView';
import { minorUnitDigits } from '../domain/currency';
import { formatMinor } from '../domain/money';

export interface SaleState {
  label: string;
  tone: 'ok' | 'warn' | 'bad';
}

export function saleState(sale: Pick<SaleView, 'status' | 'paid' | 'outstanding'>): SaleState {
  if (sale.status === 'refunded') return { label: 'Refunded', tone: 'bad' };
  const partly = sale.status === 'partially_refunded' ? ', partly refunded' : '';
  if (Number(sale.outstanding) > 0) return { label: `${Number(sale.paid) > 0 ? 'Part paid' : 'Unpaid'}${partly}`, tone: 'warn' };
  return { label: `Paid${partly}`, tone: 'ok' };
}

const REFUND_KINDS: Record<string, string> = { full: 'Everything left', amount: 'An amount', lines: 'By line' };
export const refundKindLabel = (kind: string): string => REFUND_KINDS[kind] ?? kind;

/**
 * What refunds by amount took off the sale as a whole, as decimal text ('' for none): they belong to no
 * line, so the lines table cannot show them (its "Refunded" column stayed 0.00 after one).
 */
export function refundedAsAmount(sale: Pick<SaleView, 'refunds' | 'currency'>): string {
  const digits = minorUnitDigits(sale.currency);
  const minor = sale.refunds.filter((r) => r.lines.length === 0).reduce((sum, r) => sum + Math.round(Number(r.amount) * 10 ** digits), 0);
  return minor === 0 ? '' : formatMinor(minor, sale.currency);
}
