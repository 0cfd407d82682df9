// Refund → ACCRECCREDIT credit note, allocated later to the sale's invoice.
//
// By line (and a full refund the host itemised per line): each refunded line is credited at its own
// account, tax type and tracking, with the refunded quantity and the line's unit price and discount when
// Xero's arithmetic gives exactly the refunded amount (else 1 × amount, the terms kept in the text).
//
// By amount (and a full refund of a partly refunded sale): the amount is spread over the sale's lines in
// proportion to what each charged, then lines with the same coding are merged. Proportional, not one line
// at the sale's "main" rate, because VAT must be reversed at the rates it was charged: refunding £10 of a
// sale that was half 20 % and half 5 % reverses £0.95 of VAT proportionally, but £1.67 on a single 20 %
// line — VAT the shop never collected. Shares are exact (largest remainder), so they add up to the refund.
import { PermanentError } from '../../../server/errors';
import { money, type RefundSnapshot, type SaleSnapshot } from '../../../server/plugins/contract';
import { resolveAccount, resolveTaxType, resolveTracking } from '../mappings/resolve';
import { allocateProportionally, centsText } from './arithmetic';
import { xeroDate } from './dates';
import { saleLines, saleReference } from './invoice';
import { buildLines, type ChargedLine } from './lines';
import { creditNoteNumberFor } from './numbers';
import type { ResolvedMappings } from '../mappings/types';
import { saleNameFallback, type BuiltCreditNote, type CreditNoteBuildOptions } from './types';
import { buildingPayload, clipText } from './guard';

const { quantityUnits } = money;

const MAX_REFERENCE = 255;
const ONE = 10_000n;

export function buildCreditNote(refund: RefundSnapshot, sale: SaleSnapshot, m: ResolvedMappings, opts: CreditNoteBuildOptions): BuiltCreditNote {
  const saleName = opts.saleName ?? saleNameFallback;
  return buildingPayload(`the credit note of refund ${refund.id} of ${saleName(refund.saleId)}`, () => {
    if (refund.saleId !== sale.id) throw new PermanentError(`Refund ${refund.id} belongs to ${saleName(refund.saleId)}, not ${saleName(sale.id)}`);
    if (refund.currency !== sale.currency) throw new PermanentError(`Refund ${refund.id} is in ${refund.currency} but its sale is in ${sale.currency}`);
    const number = creditNoteNumberFor(refund.id, m);
    const saleRef = saleReference(sale, m);
    const itemised = refund.lines.length > 0;
    const lines = itemised ? refundedLines(refund, sale, saleName(sale.id)) : proportionalLines(refund, sale, saleRef, m);
    const built = buildLines(lines, BigInt(refund.amountMinor), refund.currency, m, `Refund ${number}`);
    const reason = refund.reason?.trim();
    return {
      payload: {
        Type: 'ACCRECCREDIT',
        Contact: opts.contact,
        CreditNoteNumber: number,
        Reference: clipText(`Refund of ${saleRef}${reason ? `: ${reason}` : ''}`, MAX_REFERENCE),
        CurrencyCode: refund.currency,
        Date: xeroDate(refund.createdAt || opts.now, opts.timeZone),
        // Only an AUTHORISED credit note can be allocated or paid out.
        Status: 'AUTHORISED',
        LineAmountTypes: built.lineAmountTypes,
        LineItems: built.lineItems,
        ...(m.brandingThemeId ? { BrandingThemeID: m.brandingThemeId } : {}),
      },
      unitdp: built.unitdp,
      expected: built.expected,
      coding: built.coding,
      ...(built.rounding ? { rounding: built.rounding } : {}),
      allocationAmount: centsText(built.xeroTotalCents),
      basis: itemised ? (refund.kind === 'full' ? 'full' : 'lines') : 'proportional',
    };
  });
}

function refundedLines(refund: RefundSnapshot, sale: SaleSnapshot, saleName: string): ChargedLine[] {
  const bySaleLine = new Map(saleLines(sale).map((l) => [l.saleLineId, l]));
  return refund.lines.map((r) => {
    const line = bySaleLine.get(r.saleLineId);
    if (!line) throw new PermanentError(`Refund ${refund.id} names sale line ${r.saleLineId}, which is not on ${saleName}`);
    const amount = BigInt(r.amountMinor);
    const description = `Refund: ${line.description}`;
    if (r.quantity !== null) return { ...line, description, quantity4: quantityUnits(r.quantity), chargedMinor: amount };
    // The whole (rest of the) line: its own terms when that is exactly what it charged, else 1 × amount.
    if (amount === line.chargedMinor) return { ...line, description, chargedMinor: amount };
    return { ...line, description, quantity4: ONE, unitPriceMinor: amount, discount2: 0n, chargedMinor: amount };
  });
}

function proportionalLines(refund: RefundSnapshot, sale: SaleSnapshot, saleRef: string, m: ResolvedMappings): ChargedLine[] {
  const lines = saleLines(sale);
  const shares = allocateProportionally(BigInt(refund.amountMinor), lines.map((l) => l.chargedMinor));
  // Merge shares that would be coded alike: a 500-line sale refunded by amount is one or two lines in Xero.
  const groups = new Map<string, { first: ChargedLine; amount: bigint; count: number }>();
  lines.forEach((line, i) => {
    const share = shares[i] ?? 0n;
    if (share === 0n) return;
    const key = JSON.stringify([resolveAccount(line, m).value, resolveTaxType(line, m).value, resolveTracking(line, m).value]);
    const group = groups.get(key);
    if (group) {
      group.amount += share;
      group.count += 1;
    } else groups.set(key, { first: line, amount: share, count: 1 });
  });
  const many = groups.size > 1;
  return [...groups.values()].map(({ first, amount, count }) => ({
    saleLineId: count === 1 ? first.saleLineId : null,
    description: many ? `Refund of ${saleRef}: share of ${count} line${count === 1 ? '' : 's'} (${resolveTaxType(first, m).value})` : `Refund of ${saleRef}`,
    quantity4: ONE,
    unitPriceMinor: amount,
    discount2: 0n,
    chargedMinor: amount,
    category: first.category,
    taxCode: first.taxCode,
    kind: first.kind,
  }));
}
