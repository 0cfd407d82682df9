// Document totals the way Xero computes them: every line is rounded on its own (line amount and line
// tax to 2 dp, half away from zero), then the document sums the rounded lines. Pure arithmetic on
// scaled integers (see money.ts); validation and messages live in rules/lines.ts.
import { divRound, FINE_ONE, HUNDRED_PERCENT, type Cents } from './money';

export type LineAmountTypes = 'Exclusive' | 'Inclusive' | 'NoTax';

export interface LineArithmeticInput {
  /** Scaled by 10^4; undefined when not sent. */
  quantity?: bigint;
  /** Scaled by 10^4 (already rounded to 2 dp unless unitdp=4). */
  unitAmount?: bigint;
  /** Percent scaled by 10^4. */
  discountRate?: bigint;
  /** Cents, when the caller sent LineAmount. */
  lineAmount?: Cents;
  /** Effective tax rate, percent scaled by 10^4. */
  taxRate: bigint;
}

export interface LineArithmetic {
  quantity: bigint;
  unitAmount: bigint;
  discountRate?: bigint;
  /** Net of discount; tax-inclusive when LineAmountTypes is Inclusive. */
  lineAmount: Cents;
  taxAmount: Cents;
  /** Quantity × UnitAmount − LineAmount, in cents (0 without a discount). */
  discountAmount: Cents;
  /** The LineAmount Quantity × UnitAmount × (1 − discount) gives, before any sent LineAmount applies. */
  computedLineAmount?: Cents;
}

export interface DocumentTotals {
  subTotal: Cents;
  totalTax: Cents;
  total: Cents;
  totalDiscount: Cents;
}

/** Quantity × UnitAmount × (1 − DiscountRate/100), rounded to cents. */
export function extendedAmount(quantity: bigint, unitAmount: bigint, discountRate: bigint = 0n): Cents {
  // q·u is at scale 8; the discount factor (100 % − d) at scale 6 (percent at 4 dp); cents is scale 2.
  const numerator = quantity * unitAmount * (HUNDRED_PERCENT - discountRate);
  return Number(divRound(numerator, FINE_ONE * FINE_ONE * HUNDRED_PERCENT / 100n));
}

/** Tax on one line, rounded to cents on its own line as Xero does. */
export function lineTax(lineAmount: Cents, taxRate: bigint, types: LineAmountTypes): Cents {
  if (types === 'NoTax' || taxRate === 0n) return 0;
  const amount = BigInt(lineAmount);
  if (types === 'Exclusive') return Number(divRound(amount * taxRate, HUNDRED_PERCENT));
  // Inclusive: the line already contains its tax, tax = amount × r / (1 + r).
  return Number(divRound(amount * taxRate, HUNDRED_PERCENT + taxRate));
}

export function computeLine(input: LineArithmeticInput, types: LineAmountTypes): LineArithmetic {
  let quantity = input.quantity;
  let unitAmount = input.unitAmount;
  let computed: Cents | undefined;
  if (quantity !== undefined || unitAmount !== undefined) {
    quantity ??= FINE_ONE;
    if (unitAmount === undefined && input.lineAmount !== undefined && quantity !== 0n) {
      // Only a quantity and a total were sent: Xero derives the unit amount.
      unitAmount = divRound(BigInt(input.lineAmount) * FINE_ONE * FINE_ONE, quantity * 100n);
    }
    unitAmount ??= 0n;
    computed = extendedAmount(quantity, unitAmount, input.discountRate);
  } else {
    quantity = FINE_ONE;
    unitAmount = BigInt(input.lineAmount ?? 0) * (FINE_ONE / 100n);
  }
  const lineAmount = input.lineAmount ?? computed ?? 0;
  const gross = extendedAmount(quantity, unitAmount);
  return {
    quantity,
    unitAmount,
    ...(input.discountRate !== undefined ? { discountRate: input.discountRate } : {}),
    lineAmount,
    taxAmount: lineTax(lineAmount, input.taxRate, types),
    discountAmount: input.discountRate !== undefined ? gross - lineAmount : 0,
    ...(computed !== undefined ? { computedLineAmount: computed } : {}),
  };
}

/** Sum rounded lines into SubTotal / TotalTax / Total. */
export function computeTotals(lines: Pick<LineArithmetic, 'lineAmount' | 'taxAmount' | 'discountAmount'>[], types: LineAmountTypes): DocumentTotals {
  let lineSum = 0;
  let totalTax = 0;
  let totalDiscount = 0;
  for (const line of lines) {
    lineSum += line.lineAmount;
    totalTax += line.taxAmount;
    totalDiscount += line.discountAmount;
  }
  // Integer cents: these sums are exact.
  if (types === 'Inclusive') return { subTotal: lineSum - totalTax, totalTax, total: lineSum, totalDiscount };
  return { subTotal: lineSum, totalTax, total: lineSum + totalTax, totalDiscount };
}
