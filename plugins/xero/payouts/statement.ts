// The accountant's line-level CSV of payouts (issue 14): every charge, refund, dispute, fee and the transfer
// to the bank as one row each, shaped like Xero's bank statement import (Date, Amount, Payee, Description,
// Reference first, in that order; ISO dates; one signed amount with a dot and no thousands separator), then
// what Xero's import does not need but an accountant does: currency, kind, payout, the Xero record and its
// link. The rows of one payout are the provider's clearing account's statement: they add up to zero (money
// in from the customers, less refunds and fees, less the transfer to the bank). Pure: the route reads the rows.
import { money, type PayoutLineView } from '../../../server/plugins/contract';

const { formatMinor } = money;

export const STATEMENT_HEADER = ['Date', 'Amount', 'Payee', 'Description', 'Reference', 'Currency', 'Type', 'Payout', 'Xero record', 'Xero link'] as const;

export interface StatementPayout {
  providerPayoutId: string;
  /** "Stripe": the provider's name, the payee of its fees. */
  providerName: string;
  currency: string;
  amountMinor: number;
  /** YYYY-MM-DD: the day the transfer reaches the bank. */
  arrivalDate: string;
}

/** Where a row went in Xero: what to look for there, and the page that shows it (null when it has none). */
export interface XeroPlace {
  text: string;
  href: string | null;
}

export interface StatementPlaces {
  /** The Xero record of a line's own amount (the payment on its invoice, a refund, a dispute's spend…). */
  line(line: PayoutLineView): XeroPlace | null;
  /** Where a line's provider fee went: the payout's one fees spend. */
  fees: XeroPlace | null;
  /** The one bank transfer from the clearing account to the bank. */
  transfer: XeroPlace | null;
}

export interface StatementRow {
  date: string;
  amountMinor: number;
  payee: string;
  description: string;
  reference: string;
  currency: string;
  type: string;
  payout: string;
  place: XeroPlace | null;
}

const KIND_WORDS: Record<string, string> = {
  charge: 'Charge', refund: 'Refund', dispute: 'Dispute', dispute_reversal: 'Dispute won back', failure: 'Failed payment', fee: 'Fee', adjustment: 'Adjustment',
};

/** YYYY-MM-DD of a moment in a time zone (Xero's import reads ISO dates whatever the organisation's region). */
export function isoDay(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** One payout's rows, in the order of its lines, then the transfer to the bank. */
export function payoutStatementRows(payout: StatementPayout, lines: readonly PayoutLineView[], places: StatementPlaces, timeZone: string): StatementRow[] {
  const rows: StatementRow[] = [];
  const base = { currency: payout.currency, payout: payout.providerPayoutId };
  for (const line of [...lines].sort((a, b) => a.position - b.position)) {
    const date = isoDay(line.occurredAt, timeZone);
    const kind = KIND_WORDS[line.kind] ?? line.kind;
    const about = line.chargeRef && line.chargeRef !== line.sourceId ? ` (${line.chargeRef})` : '';
    if (line.amountMinor !== 0) {
      rows.push({
        ...base, date, amountMinor: line.amountMinor, type: kind,
        payee: line.kind === 'fee' ? payout.providerName : line.counterpartyName ?? line.counterpartyEmail ?? '',
        description: line.description ?? `${kind}${about}`,
        reference: line.reference ?? line.sourceId,
        place: line.kind === 'fee' ? places.fees : places.line(line),
      });
    }
    // The provider's fee on the line: money out of the clearing account, into the fees spend.
    if (line.feeMinor !== 0) {
      rows.push({
        ...base, date, amountMinor: -line.feeMinor, type: 'Fee', payee: payout.providerName,
        description: `${payout.providerName} fee on ${kind.toLowerCase()} ${line.sourceId}`, reference: line.sourceId, place: places.fees,
      });
    }
  }
  rows.push({
    ...base, date: payout.arrivalDate, amountMinor: -payout.amountMinor, type: 'Transfer to bank', payee: payout.providerName,
    description: `${payout.providerName} payout ${payout.providerPayoutId} to the bank`, reference: payout.providerPayoutId, place: places.transfer,
  });
  return rows;
}

/** A cell as a spreadsheet reads it safely: quoted when needed, and never a formula. */
export function csvCell(value: string | number): string {
  const s = String(value);
  // A leading = + - @ (or a tab/CR) would make a spreadsheet run it as a formula; a signed number is a number.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV text: a header row, then the rows, CRLF line ends (what spreadsheets and Xero's import expect). */
export function csvText(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** A statement row as CSV cells, in STATEMENT_HEADER's order. */
export function statementCells(row: StatementRow): string[] {
  return [row.date, formatMinor(row.amountMinor, row.currency), row.payee, row.description, row.reference, row.currency, row.type, row.payout, row.place?.text ?? '', row.place?.href ?? ''];
}
