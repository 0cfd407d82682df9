// Manual journals (PUT/POST /ManualJournals) with Xero's rules: a narration; at least two lines; each line an
// amount (debits positive, credits negative) on an account that exists and is active, and not a control
// account Xero keeps for itself (receivables, payables, VAT…); the lines must balance to zero. DRAFT (the
// default) or POSTED. Which messages Xero words how is in the README.
import { parseXeroDate, startOfDay } from './dates';
import { failed, type ElementOutcome } from './http';
import { newId } from './ids';
import type { Book, ManualJournalLineRecord, ManualJournalRecord } from './model';
import { formatCents, toCents } from './money';
import { findAccountByCode, invalidAccountCodeMessage, invalidTaxTypeMessage } from './rules/accounts';
import { serializeManualJournal } from './serialize';

interface Ctx { book: Book; now: number }

/** Control accounts a manual journal cannot post to: their balances come from documents and payments. */
const CONTROL_ACCOUNTS = new Set(['DEBTORS', 'CREDITORS', 'GST', 'RETAINEDEARNINGS', 'TRACKINGTRANSFERS', 'UNPAIDEXPCLM']);
const LINE_AMOUNT_TYPES = ['NoTax', 'Exclusive', 'Inclusive'] as const;

export function writeManualJournal(raw: unknown, ctx: Ctx): ElementOutcome {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return failed(raw, ['ManualJournal must be an object.']);
  const input = raw as Record<string, unknown>;
  const { book, now } = ctx;
  const errors: string[] = [];
  const narration = typeof input.Narration === 'string' ? input.Narration.trim() : '';
  if (!narration) errors.push('Narration is a required field.');
  const status = String(input.Status ?? 'DRAFT').toUpperCase();
  if (status !== 'DRAFT' && status !== 'POSTED') errors.push(`Invalid status '${status}': a new manual journal is DRAFT or POSTED.`);
  const date = input.Date === undefined ? startOfDay(now) : parseXeroDate(input.Date);
  if (date === undefined) errors.push(`The date '${String(input.Date)}' is not a valid date.`);
  const lineAmountTypes = (input.LineAmountTypes ?? 'NoTax') as (typeof LINE_AMOUNT_TYPES)[number];
  if (!LINE_AMOUNT_TYPES.includes(lineAmountTypes)) errors.push(`'${String(input.LineAmountTypes)}' is not a valid LineAmountTypes value.`);

  const rawLines = Array.isArray(input.JournalLines) ? input.JournalLines : [];
  const lines: ManualJournalLineRecord[] = [];
  rawLines.forEach((rawLine: unknown, i) => {
    const line = (rawLine && typeof rawLine === 'object' ? rawLine : {}) as Record<string, unknown>;
    const amount = toCents(line.LineAmount);
    if (amount === undefined) errors.push(`Journal line ${i + 1}: LineAmount must be a number with at most 2 decimal places.`);
    const code = typeof line.AccountCode === 'string' ? line.AccountCode : '';
    const account = code ? findAccountByCode(book, code) : typeof line.AccountID === 'string' ? book.accounts.get(line.AccountID.toLowerCase()) : undefined;
    if (!account || account.Status !== 'ACTIVE') errors.push(invalidAccountCodeMessage(code || String(line.AccountID ?? '')));
    else if (account.SystemAccount && CONTROL_ACCOUNTS.has(account.SystemAccount)) errors.push(`Account ${account.Code ?? ''} (${account.Name}) is a system account that manual journals cannot post to.`);
    const taxType = typeof line.TaxType === 'string' && line.TaxType ? line.TaxType.toUpperCase() : (account?.TaxType ?? 'NONE');
    if (!book.taxRates.has(taxType)) errors.push(invalidTaxTypeMessage(taxType));
    if (amount !== undefined && account) {
      lines.push({ AccountID: account.AccountID, LineAmount: amount, TaxType: taxType, ...(typeof line.Description === 'string' ? { Description: line.Description } : {}) });
    }
  });
  if (rawLines.length < 2) errors.push('A manual journal must have at least two journal lines.');
  const debits = lines.filter((l) => l.LineAmount > 0).reduce((s, l) => s + l.LineAmount, 0);
  const credits = -lines.filter((l) => l.LineAmount < 0).reduce((s, l) => s + l.LineAmount, 0);
  if (lines.length === rawLines.length && debits !== credits) {
    errors.push(`The journal does not balance: debits ${formatCents(debits)} and credits ${formatCents(credits)} must be equal.`);
  }
  if (errors.length > 0 || date === undefined) return failed(raw, errors);

  const record: ManualJournalRecord = {
    ManualJournalID: newId(), Narration: narration, Date: date, Status: status as ManualJournalRecord['Status'], LineAmountTypes: lineAmountTypes,
    ShowOnCashBasisReports: input.ShowOnCashBasisReports !== false, ...(typeof input.Url === 'string' ? { Url: input.Url } : {}), lines, UpdatedDateUTC: now,
  };
  book.manualJournals.set(record.ManualJournalID, record);
  return { ok: true, json: serializeManualJournal(book, record) };
}
