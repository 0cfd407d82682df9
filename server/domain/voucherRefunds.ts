// Refunding a sold gift voucher. A refund that gives back (part of) a voucher line takes it off the voucher's
// unredeemed balance — the money is no longer owed to the holder as a voucher, it went back (or was credited)
// — and a voucher with nothing left after a refund is cancelled: it cannot be redeemed. A refund asking for
// more of a voucher than is still unredeemed (redeemed, written off or refunded already) is refused, naming
// the line. Which part of a refund is a voucher's is what its credit note posts to the voucher liability: the
// line itself for a refund by line, else its exact proportional share (money.allocateProportionally, the
// split the credit note uses for a refund by amount).
import { ValidationError, type FieldIssue } from '../errors';
import type { Trx } from '../db/knex';
import { allocateProportionally, formatMinor } from './money';
import type { SaleLineRow } from './saleRecords';
import type { ValidRefundRequest } from './saleSchemas';
import type { VoucherRow } from './vouchers';

export interface PlannedRefundLine {
  saleLineId: number;
  amountMinor: number;
}

export interface VoucherShare {
  saleLineId: number;
  /** What of the refund is this voucher line's. */
  amountMinor: number;
  /** The request's field to name when it is refused. */
  path: string;
  /** "line 2": the line as the sale shows it (by position). */
  line: string;
}

/** The part of a refund each voucher line of the sale takes (pure); lines with no share are left out. */
export function voucherShares(
  lines: readonly Pick<SaleLineRow, 'id' | 'position' | 'kind' | 'line_total_minor'>[],
  request: Pick<ValidRefundRequest, 'kind' | 'lines'>,
  plan: { amountMinor: number; lines: readonly PlannedRefundLine[] },
): VoucherShare[] {
  const ordered = [...lines].sort((a, b) => a.position - b.position);
  const lineName = (id: number) => `line ${ordered.findIndex((l) => l.id === id) + 1}`;
  const isVoucher = new Set(ordered.filter((l) => l.kind === 'voucher').map((l) => l.id));
  if (isVoucher.size === 0) return [];
  if (plan.lines.length > 0) {
    return plan.lines.flatMap((p, index) => {
      if (!isVoucher.has(p.saleLineId) || p.amountMinor === 0) return [];
      // A refund by line plans its lines in the request's order, one each; a full refund names no line.
      const wanted = request.kind === 'lines' ? request.lines[index] : undefined;
      const field = wanted?.quantity ? 'quantity' : wanted?.amountMinor !== null && wanted?.amountMinor !== undefined ? 'amount' : 'lineId';
      return [{ saleLineId: p.saleLineId, amountMinor: p.amountMinor, path: wanted ? `lines.${index}.${field}` : 'kind', line: lineName(p.saleLineId) }];
    });
  }
  const shares = allocateProportionally(BigInt(plan.amountMinor), ordered.map((l) => BigInt(l.line_total_minor)));
  return ordered.flatMap((l, i) => {
    const share = Number(shares[i] ?? 0n);
    if (!isVoucher.has(l.id) || share === 0) return [];
    return [{ saleLineId: l.id, amountMinor: share, path: request.kind === 'amount' ? 'amount' : 'kind', line: lineName(l.id) }];
  });
}

/** Why a voucher has less unredeemed than it was sold for, in words for the refusal. */
function whereItWent(v: VoucherRow): string {
  const money = (minor: number) => `${formatMinor(minor, v.currency)} ${v.currency}`;
  const parts: string[] = [];
  const written = Number(v.written_off_minor ?? 0);
  const refunded = Number(v.refunded_minor ?? 0);
  const redeemed = Number(v.amount_minor) - Number(v.balance_minor) - written - refunded;
  if (redeemed > 0) parts.push(`${money(redeemed)} redeemed`);
  if (written > 0) parts.push(`${money(written)} written off when it expired`);
  if (refunded > 0) parts.push(`${money(refunded)} refunded already`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The sale's vouchers by sale line, locked (PostgreSQL) so a redemption at another till waits for the refund. */
async function lockedVouchers(trx: Trx, saleId: number, saleLineIds: readonly number[]): Promise<Map<number, VoucherRow>> {
  const query = trx<VoucherRow>('vouchers').where({ sale_id: saleId }).whereIn('sale_line_id', saleLineIds);
  const rows = (await (trx.client.config.client === 'pg' ? query.forUpdate() : query)) as VoucherRow[];
  return new Map(rows.map((r) => [Number(r.sale_line_id), r]));
}

/** Refuse (422, naming the line) any share larger than what is still unredeemed on its voucher; changes nothing. */
export async function refuseRefundingRedeemedVouchers(trx: Trx, saleId: number, shares: readonly VoucherShare[]): Promise<void> {
  if (shares.length === 0) return;
  const vouchers = await lockedVouchers(trx, saleId, shares.map((s) => s.saleLineId));
  const issues: FieldIssue[] = [];
  for (const s of shares) {
    const v = vouchers.get(s.saleLineId);
    if (!v) continue;
    const left = Number(v.balance_minor);
    if (s.amountMinor <= left) continue;
    const money = (minor: number) => `${formatMinor(minor, v.currency)} ${v.currency}`;
    issues.push({
      path: s.path,
      message: `${s.line} (gift voucher ${v.code}): refunds ${money(s.amountMinor)}, more than the ${money(left)} still unredeemed on the voucher${whereItWent(v)}`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues, 'A gift voucher cannot give back more than is still unredeemed on it');
}

/** Take each share off its voucher's balance; one left with nothing is cancelled. In the refund's transaction, after the check. */
export async function takeRefundsFromVouchers(trx: Trx, saleId: number, shares: readonly VoucherShare[], now: number): Promise<void> {
  for (const s of shares) {
    // The guard keeps the balance from going below zero even without the row lock (SQLite).
    const changed = await trx('vouchers').where({ sale_id: saleId, sale_line_id: s.saleLineId }).andWhere('balance_minor', '>=', s.amountMinor)
      .update({ balance_minor: trx.raw('balance_minor - ?', [s.amountMinor]), refunded_minor: trx.raw('refunded_minor + ?', [s.amountMinor]) });
    if (!changed && (await trx('vouchers').where({ sale_id: saleId, sale_line_id: s.saleLineId }).first('id'))) {
      throw new ValidationError([{ path: s.path, message: `${s.line}: is more than is still unredeemed on its gift voucher` }]);
    }
    await trx('vouchers').where({ sale_id: saleId, sale_line_id: s.saleLineId, balance_minor: 0 }).whereNull('cancelled_at').update({ cancelled_at: now });
  }
}
