// The posting plan of one payout: a pure function of the payout, its lines, the settings, the clearing
// account and what is already known (which lines the sync settles on its own, the match decisions, the
// steps already in Xero). Every step has a stable key and a Reference derived from it, so a crashed
// run finds what it posted (by Reference) and the next run plans exactly the rest.
//
//   charge, sale known      the sync's own Payment on the invoice (into clearing): we wait for it
//   charge, sale known, in  a Payment on the invoice in ITS currency into this payout's clearing account at
//     another currency      the provider's rate (CurrencyRate), posted by fx.ts; Xero books the bank side at
//                           Amount / CurrencyRate and the realised gain or loss against the invoice's rate.
//                           What a 6-dp rate cannot carry on a very large charge (pennies): SPEND/RECEIVE
//                           to the rounding account (FX<line>)
//   charge, matched         Payment on the matched invoice, into clearing
//   charge, suspense        RECEIVE into clearing, to the suspense account
//   charge, to an account   RECEIVE into clearing, to the account (and tax type) the accountant chose or a
//                           payout rule gave (rules.ts); tax-inclusive when taxed
//   charge, not decided     waits for sign-off
//   refund, ours            the sync's credit-note refund payment (out of clearing): we wait for it
//   refund, not ours        SPEND from clearing to the suspense account
//   dispute / failure       SPEND from clearing to the disputes account (else suspense); reversal: RECEIVE
//   adjustment              SPEND or RECEIVE to suspense by its sign
//   fees (every line's)     ONE SPEND from clearing to the fees account, tax-inclusive (RECEIVE if negative)
//   transfer                ONE BankTransfer clearing → bank equal to the payout, once all else is in Xero
import { exactNumber, minorToXeroCents, XERO_AMOUNT_DP } from '../payloads/arithmetic';
import { minorUnitDigits, type PayoutLineKind, type PayoutProvider } from '../../../server/plugins/contract';
import { payoutStepReference } from '../clearing/payoutReferences';
import type { XeroBankTransaction, XeroBankTransfer, XeroLineAmountTypes, XeroPayment } from '../gateway/documents';

export interface PlanPayout {
  id: number;
  provider: PayoutProvider;
  /** The provider as the books name it: the payout's contact and its lines' descriptions (ctx.paymentMethods providerName). */
  providerName: string;
  providerPayoutId: string;
  currency: string;
  amountMinor: number;
  arrivalDate: string;
}

export interface PlanLine {
  id: number;
  kind: PayoutLineKind;
  amountMinor: number;
  feeMinor: number;
  feeTaxMinor: number;
  saleId: number | null;
  sourceId: string;
  chargeRef: string | null;
  description: string | null;
  occurredAt: number;
  /** What the provider converted into amountMinor (another currency), when it did. */
  originalAmountMinor?: number | null;
  originalCurrency?: string | null;
}

export interface PayoutSettings {
  /** Where the payout lands (the real bank account's code). */
  bankAccountCode: string | null;
  feesAccountCode: string;
  /** Tax type of fees that carry tax (fees without tax go as NONE). */
  feeTaxType: string;
  suspenseAccountCode: string | null;
  disputeAccountCode: string | null;
  threshold: number;
  /** Where a converted charge's last penny goes when no 6-dp rate gives the settled amount exactly (the sync's rounding account). */
  roundingAccountCode?: string | null;
}

/** How the sync settles a line by itself (known sale's payment, our own refund). */
export type HostSide =
  /** bankAmountMinor: a converted charge's Payment, what Xero put into clearing (payout currency) when it differs from the line. */
  | { state: 'in_xero'; bankAmountMinor?: number }
  | { state: 'waiting'; reason: string }
  | { state: 'failed'; reason: string };
export type LineMatch =
  | { status: 'auto' | 'confirmed'; invoiceId: string }
  | { status: 'suspense' }
  | { status: 'queued' }
  /**
   * To an account of the chart: the accountant's choice at sign-off, or a payout rule's (ruleName). unavailable:
   * why that account cannot take it (archived or deleted in Xero), which fails the line instead.
   */
  | { status: 'account'; accountCode: string; taxType: string; ruleName: string | null; unavailable?: string };

export interface PlanInput {
  payout: PlanPayout;
  lines: PlanLine[];
  settings: PayoutSettings;
  clearingAccountId: string;
  hostSide: ReadonlyMap<number, HostSide>;
  matches: ReadonlyMap<number, LineMatch>;
  /** Step keys already in Xero. */
  posted: ReadonlySet<string>;
}

export type StepBody =
  | { type: 'payment'; payment: XeroPayment }
  | { type: 'bank_transaction'; transaction: XeroBankTransaction }
  | { type: 'bank_transfer'; transfer: XeroBankTransfer };

export type PlanStep = StepBody & { key: string; lineId: number | null; reference: string; amountMinor: number };
export type PaymentStep = Extract<PlanStep, { type: 'payment' }>;
export type BankTransactionStep = Extract<PlanStep, { type: 'bank_transaction' }>;

export interface PayoutPlan {
  /** Steps still to send, transfer excluded. */
  steps: PlanStep[];
  /** The transfer, when everything else can be (or is) in Xero; null when nothing to transfer or not yet. */
  transfer: PlanStep | null;
  waiting: { lineId: number; reason: string }[];
  queued: number[];
  failed: { lineId: number | null; reason: string }[];
  /** Every step the finished payout consists of (posted or not), for the detail page. */
  allKeys: string[];
}

const stepReference = (payout: PlanPayout, key: string): string => payoutStepReference(payout.id, key, payout.providerPayoutId);

export function xeroAmount(minor: number, currency: string): number {
  return exactNumber(minorToXeroCents(BigInt(minor), minorUnitDigits(currency)), XERO_AMOUNT_DP);
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const RATE_DP = 6n;
const RATE_ONE = 10n ** RATE_DP;
const divHalfAway = (n: bigint, d: bigint): bigint => {
  const neg = n < 0n !== d < 0n;
  const a = n < 0n ? -n : n;
  const b = d < 0n ? -d : d;
  const q = (a * 2n + b) / (b * 2n);
  return neg ? -q : q;
};

export interface Conversion {
  /** Xero's CurrencyRate: units of the invoice currency per unit of the bank account's (base) currency, 6 dp. */
  currencyRate: string;
  /** Amount / CurrencyRate at 2 dp, as Xero books it into the bank account, in the payout currency's minor units. */
  bankAmountMinor: number;
}

/**
 * The CurrencyRate of a Payment of `originalMinor` (invoice currency) that the provider settled as
 * `settledMinor` (payout currency), both positive. Xero takes the rate at 6 dp and books Amount / rate at
 * 2 dp; the rate is the provider's own (its two amounts), nudged within the 6th decimal to the one that
 * books the settled amount exactly when one does (always while the settled amount is below CurrencyRate ×
 * 10,000 of the payout currency); above that, bankAmountMinor says what Xero will book and the plan moves
 * the difference (pennies) through the rounding account.
 */
export function conversionRate(originalMinor: number, originalCurrency: string, settledMinor: number, payoutCurrency: string): Conversion {
  const amount = minorToXeroCents(BigInt(originalMinor), minorUnitDigits(originalCurrency));
  const settled = minorToXeroCents(BigInt(settledMinor), minorUnitDigits(payoutCurrency));
  if (amount <= 0n || settled <= 0n) throw new RangeError('a conversion needs two positive amounts');
  const bank = (rate: bigint) => divHalfAway(amount * RATE_ONE, rate);
  const nearest = divHalfAway(amount * RATE_ONE, settled);
  let rate = nearest < 1n ? 1n : nearest;
  for (const step of [0n, -1n, 1n, -2n, 2n, -3n, 3n]) {
    const r = nearest + step;
    if (r >= 1n && bank(r) === settled) {
      rate = r;
      break;
    }
  }
  const whole = rate / RATE_ONE;
  const fraction = (rate % RATE_ONE).toString().padStart(Number(RATE_DP), '0').replace(/0+$/, '');
  const cents = bank(rate);
  const digits = minorUnitDigits(payoutCurrency);
  const bankMinor = digits >= 2 ? cents * 10n ** BigInt(digits - 2) : divHalfAway(cents, 10n ** BigInt(2 - digits));
  return { currencyRate: fraction ? `${whole}.${fraction}` : `${whole}`, bankAmountMinor: Number(bankMinor) };
}

/**
 * The Payment of a known sale's charge the provider converted: on the invoice, in the invoice's currency
 * (the charge as the customer paid it), into this payout's clearing account at the provider's rate.
 * Xero allows it when the clearing account is in the organisation's base currency (or the invoice's).
 */
export function conversionPaymentStep(payout: PlanPayout, line: PlanLine & { originalAmountMinor: number; originalCurrency: string }, invoiceId: string, clearingAccountId: string, date: string): PaymentStep {
  const key = `L${line.id}`;
  const reference = stepReference(payout, key);
  const { currencyRate, bankAmountMinor } = conversionRate(line.originalAmountMinor, line.originalCurrency, line.amountMinor, payout.currency);
  return {
    key, lineId: line.id, reference, amountMinor: bankAmountMinor, type: 'payment',
    payment: {
      Invoice: { InvoiceID: invoiceId }, Account: { AccountID: clearingAccountId }, Date: date,
      Amount: xeroAmount(line.originalAmountMinor, line.originalCurrency), CurrencyRate: Number(currencyRate), Reference: reference,
    },
  };
}

/**
 * The pay-out of one of our refunds that waited for its payout (clearing/awaitingPayout.ts): a Payment on its credit
 * note out of this payout's clearing account. Converted by the provider: Amount in the note's currency (the
 * refund as the customer got it) at the provider's rate, so Xero takes what the provider settled out of
 * clearing; otherwise the line's own amount.
 */
export function refundPayoutStep(payout: PlanPayout, line: PlanLine, creditNoteId: string, clearingAccountId: string, date: string): PaymentStep {
  const key = `L${line.id}`;
  const reference = stepReference(payout, key);
  const payment = { CreditNote: { CreditNoteID: creditNoteId }, Account: { AccountID: clearingAccountId }, Date: date, Reference: reference };
  if (line.originalAmountMinor == null || !line.originalCurrency) {
    return { key, lineId: line.id, reference, amountMinor: line.amountMinor, type: 'payment', payment: { ...payment, Amount: xeroAmount(Math.abs(line.amountMinor), payout.currency) } };
  }
  const { currencyRate, bankAmountMinor } = conversionRate(Math.abs(line.originalAmountMinor), line.originalCurrency, Math.abs(line.amountMinor), payout.currency);
  return {
    key, lineId: line.id, reference, amountMinor: -bankAmountMinor, type: 'payment',
    payment: { ...payment, Amount: xeroAmount(Math.abs(line.originalAmountMinor), line.originalCurrency), CurrencyRate: Number(currencyRate) },
  };
}

export function buildPayoutPlan(input: PlanInput): PayoutPlan {
  const { payout, settings, clearingAccountId } = input;
  const plan: PayoutPlan = { steps: [], transfer: null, waiting: [], queued: [], failed: [], allKeys: [] };
  const contact = { Name: payout.providerName };
  const clearing = { AccountID: clearingAccountId };
  const add = (step: PlanStep) => {
    plan.allKeys.push(step.key);
    if (!input.posted.has(step.key)) plan.steps.push(step);
  };
  const bankTxn = (key: string, line: PlanLine | null, direction: 'SPEND' | 'RECEIVE', amountMinor: number, accountCode: string, description: string, taxType = 'NONE', lineAmountTypes: XeroLineAmountTypes = 'NoTax') => {
    const reference = stepReference(payout, key);
    add({
      key, lineId: line?.id ?? null, reference, amountMinor: direction === 'SPEND' ? -amountMinor : amountMinor, type: 'bank_transaction',
      transaction: {
        Type: direction, Contact: contact, BankAccount: clearing, Date: line ? isoDay(line.occurredAt) : payout.arrivalDate, Reference: reference,
        CurrencyCode: payout.currency, LineAmountTypes: lineAmountTypes,
        LineItems: [{ Description: description.slice(0, 4000), Quantity: 1, UnitAmount: xeroAmount(amountMinor, payout.currency), AccountCode: accountCode, TaxType: taxType }],
      },
    });
  };
  const needAccount = (line: PlanLine, code: string | null, setting: string): code is string => {
    if (code) return true;
    plan.failed.push({ lineId: line.id, reason: `No ${setting} is set for payouts: set it on the payout settings page, then retry` });
    return false;
  };
  const label = (line: PlanLine) => `${payout.providerName} ${line.kind.replace('_', ' ')} ${line.sourceId}${line.description ? ` — ${line.description}` : ''}`;

  let feesMinor = 0;
  let feeTaxMinor = 0;
  for (const line of input.lines) {
    feesMinor += line.feeMinor;
    feeTaxMinor += line.feeTaxMinor;
    const key = `L${line.id}`;
    const host = input.hostSide.get(line.id);
    if (host) {
      if (host.state === 'in_xero' && host.bankAmountMinor !== undefined && host.bankAmountMinor !== line.amountMinor) {
        // Xero booked Amount / CurrencyRate into clearing; the provider settled amountMinor. The rest (a penny
        // or two on a very large charge) moves between clearing and the rounding account.
        const rest = line.amountMinor - host.bankAmountMinor;
        const code = settings.roundingAccountCode ?? settings.suspenseAccountCode;
        if (needAccount(line, code ?? null, 'rounding account (Xero settings) or suspense account')) {
          bankTxn(`FX${line.id}`, line, rest > 0 ? 'RECEIVE' : 'SPEND', Math.abs(rest), code!, `${label(line)}: conversion rounding`);
        }
      }
      if (host.state === 'waiting') plan.waiting.push({ lineId: line.id, reason: host.reason });
      if (host.state === 'failed') plan.failed.push({ lineId: line.id, reason: host.reason });
      continue;
    }
    const amount = Math.abs(line.amountMinor);
    switch (line.kind) {
      case 'charge': {
        const match = input.matches.get(line.id);
        if (match?.status === 'auto' || match?.status === 'confirmed') {
          const reference = stepReference(payout, key);
          add({
            key, lineId: line.id, reference, amountMinor: line.amountMinor, type: 'payment',
            payment: { Invoice: { InvoiceID: match.invoiceId }, Account: clearing, Date: isoDay(line.occurredAt), Amount: xeroAmount(line.amountMinor, payout.currency), Reference: reference },
          });
        } else if (match?.status === 'account') {
          // A line already in Xero stays there whatever became of its account since.
          if (match.unavailable && !input.posted.has(key)) plan.failed.push({ lineId: line.id, reason: match.unavailable });
          else bankTxn(key, line, 'RECEIVE', line.amountMinor, match.accountCode, label(line), match.taxType, match.taxType === 'NONE' ? 'NoTax' : 'Inclusive');
        } else if (match?.status === 'suspense') {
          if (needAccount(line, settings.suspenseAccountCode, 'suspense account')) bankTxn(key, line, 'RECEIVE', line.amountMinor, settings.suspenseAccountCode, label(line));
        } else {
          plan.queued.push(line.id);
        }
        break;
      }
      case 'fee':
        feesMinor -= line.amountMinor; // a fee line's own amount is a fee too (negative: charged to us)
        break;
      case 'refund':
        if (needAccount(line, settings.suspenseAccountCode, 'suspense account')) bankTxn(key, line, line.amountMinor <= 0 ? 'SPEND' : 'RECEIVE', amount, settings.suspenseAccountCode, label(line));
        break;
      case 'dispute':
      case 'failure':
      case 'dispute_reversal': {
        const code = settings.disputeAccountCode ?? settings.suspenseAccountCode;
        if (needAccount(line, code, 'disputes account (or suspense account)')) bankTxn(key, line, line.amountMinor <= 0 ? 'SPEND' : 'RECEIVE', amount, code, label(line));
        break;
      }
      case 'adjustment':
        if (line.amountMinor !== 0 && needAccount(line, settings.suspenseAccountCode, 'suspense account')) {
          bankTxn(key, line, line.amountMinor < 0 ? 'SPEND' : 'RECEIVE', amount, settings.suspenseAccountCode, label(line));
        }
        break;
    }
  }
  if (feesMinor !== 0) {
    const tax = feeTaxMinor !== 0 ? settings.feeTaxType : 'NONE';
    bankTxn('FEES', null, feesMinor > 0 ? 'SPEND' : 'RECEIVE', Math.abs(feesMinor), settings.feesAccountCode,
      `${payout.providerName} fees, payout ${payout.providerPayoutId}`, tax, tax === 'NONE' ? 'NoTax' : 'Inclusive');
  }

  if (payout.amountMinor !== 0) {
    const key = 'XFER';
    const reference = stepReference(payout, key);
    const bank = settings.bankAccountCode ? { Code: settings.bankAccountCode } : null;
    const outward = payout.amountMinor > 0;
    plan.allKeys.push(key);
    if (!bank) plan.failed.push({ lineId: null, reason: 'No bank account is set for this provider\'s payouts: set it on the payout settings page, then retry' });
    // Offered only when every other line can be in Xero: the caller sends it after the other steps succeeded,
    // so the clearing account is back to zero the moment the transfer lands.
    if (bank && !input.posted.has(key) && plan.waiting.length === 0 && plan.queued.length === 0 && plan.failed.length === 0) {
      plan.transfer = {
        key, lineId: null, reference, amountMinor: -payout.amountMinor, type: 'bank_transfer',
        transfer: {
          FromBankAccount: outward ? clearing : bank, ToBankAccount: outward ? bank : clearing,
          Amount: xeroAmount(Math.abs(payout.amountMinor), payout.currency), Date: payout.arrivalDate, Reference: reference,
        },
      };
    }
  }
  return plan;
}
