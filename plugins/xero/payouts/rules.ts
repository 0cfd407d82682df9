// Payout rules (issue 16): what the accountant taught while signing off a charge that pays none of our
// sales — "post lines like this to account X from now on" — as Xero's own bank rules work: conditions
// prefilled from the line, description compared with "equals", the rules tried in order and the first
// that fits wins. Pure: which rule takes a line, whether a line names anything of ours (then no rule may
// take it), and the checks of a rule's input (zod, then the live chart).
//
// A rule is only ever asked about a line the matching would queue for a person AND that names nothing
// of ours: no sale id, no open invoice's number in its reference or description, no payer email equal to
// an open invoice's contact's. A line that names a sale is a person's question (or the matching's), never
// a rule's: a rule that took it could put a customer's payment on an income account.
import { z } from 'zod';
import { minorUnitDigits, type PayoutProvider } from '../../../server/plugins/contract';
import type { Catalogue } from '../mappings/catalogue';
import type { SettingIssue } from '../mappings/validate';
import { checkTaxType } from '../mappings/validate';
import { mentionsNumber, type OpenInvoice } from './scoring';

/** The line kinds that reach the sign-off queue (plan.ts queues undecided charges only). */
export const RULE_LINE_KINDS = ['charge'] as const;
export type RuleLineKind = (typeof RULE_LINE_KINDS)[number];

export interface RuleConditions {
  provider: PayoutProvider;
  lineKind: RuleLineKind;
  currency: string;
  /** Equals, trimmed and case-insensitive; '' matches a line without a description. */
  description: string;
  /** Inclusive, in the currency's minor units; null: no bound. */
  amountMinMinor: number | null;
  amountMaxMinor: number | null;
}

export interface PayoutRule extends RuleConditions {
  id: number;
  position: number;
  name: string;
  accountCode: string;
  taxType: string;
  enabled: boolean;
}

/** What a rule is asked about: one payout line, with its payout's provider and currency. */
export interface RuleLine {
  provider: string;
  currency: string;
  kind: string;
  amountMinor: number;
  saleId: number | null;
  description: string | null;
  reference: string | null;
  counterpartyEmail: string | null;
}

export const sameDescription = (a: string | null | undefined, b: string | null | undefined): boolean =>
  (a ?? '').trim().toLowerCase() === (b ?? '').trim().toLowerCase();

export function ruleFits(rule: PayoutRule, line: RuleLine): boolean {
  if (!rule.enabled) return false;
  if (rule.provider !== line.provider || rule.lineKind !== line.kind || rule.currency !== line.currency) return false;
  if (!sameDescription(rule.description, line.description)) return false;
  if (rule.amountMinMinor !== null && line.amountMinor < rule.amountMinMinor) return false;
  if (rule.amountMaxMinor !== null && line.amountMinor > rule.amountMaxMinor) return false;
  return true;
}

/** The first rule in order (position, then id) that fits the line; null when none does. */
export function firstFittingRule(rules: readonly PayoutRule[], line: RuleLine): PayoutRule | null {
  const ordered = [...rules].sort((a, b) => a.position - b.position || a.id - b.id);
  return ordered.find((r) => ruleFits(r, line)) ?? null;
}

/**
 * What of ours the line names, if anything (why no rule may take it): its sale, an open invoice's number
 * in its reference or description, or the payer's email as an open invoice's contact's. All open invoices
 * count, whatever they still owe: naming one is enough to make the line a person's question.
 */
export function namesOurs(line: RuleLine, openInvoices: readonly Pick<OpenInvoice, 'invoiceNumber' | 'contactEmail'>[]): string | null {
  if (line.saleId !== null) return 'it names one of our sales';
  const text = `${line.reference ?? ''} ${line.description ?? ''}`;
  const named = openInvoices.find((i) => mentionsNumber(text, i.invoiceNumber));
  if (named) return `it names invoice ${named.invoiceNumber}`;
  const email = line.counterpartyEmail?.trim().toLowerCase();
  if (email && openInvoices.some((i) => i.contactEmail?.trim().toLowerCase() === email)) return 'the payer\'s email is an open invoice\'s contact\'s';
  return null;
}

/** Which rule takes the line: only one that would be queued for a person and names nothing of ours. */
export function ruleForQueuedLine(rules: readonly PayoutRule[], line: RuleLine, openInvoices: readonly Pick<OpenInvoice, 'invoiceNumber' | 'contactEmail'>[]): PayoutRule | null {
  if (rules.length === 0 || namesOurs(line, openInvoices) !== null) return null;
  return firstFittingRule(rules, line);
}

// ---- input ------------------------------------------------------------------------------------------

/** A rule as a form sends it (every field text); amounts in the currency's major units ("12.50"). */
export interface RuleForm {
  name: string;
  provider: string;
  line_kind: string;
  currency: string;
  description: string;
  amount_min: string;
  amount_max: string;
  account_code: string;
  tax_type: string;
}

export const RULE_FORM_FIELDS: readonly (keyof RuleForm)[] = ['name', 'provider', 'line_kind', 'currency', 'description', 'amount_min', 'amount_max', 'account_code', 'tax_type'];

export function ruleFormOf(body: Record<string, unknown>): RuleForm {
  const text = (k: keyof RuleForm) => (typeof body[k] === 'string' ? (body[k] as string) : '');
  return Object.fromEntries(RULE_FORM_FIELDS.map((k) => [k, text(k)])) as unknown as RuleForm;
}

export type RuleInput = Omit<PayoutRule, 'id' | 'position' | 'enabled'>;

const AMOUNT = /^\d{1,12}(\.\d{1,3})?$/;

function toMinor(text: string, currency: string): number | null {
  const digits = minorUnitDigits(currency);
  const [whole, fraction = ''] = text.split('.');
  if (fraction.length > digits) return null;
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/**
 * Check a submitted rule (shape only: the chart is checkRuleAgainstChart's). Every problem comes back named
 * by its form field; nothing is returned to save unless there is none.
 */
export function parseRuleForm(form: RuleForm, providers: readonly string[]): { ok: true; rule: RuleInput } | { ok: false; issues: SettingIssue[] } {
  const optionalAmount = z.string().trim().refine((s) => s === '' || AMOUNT.test(s), 'an amount such as 12.50, or empty for no bound');
  const schema = z.object({
    name: z.string().trim().min(1, 'give the rule a name').max(120, 'at most 120 characters'),
    provider: z.string().refine((p) => providers.includes(p), `one of: ${providers.join(', ') || 'no payout provider is installed'}`),
    line_kind: z.enum(RULE_LINE_KINDS, { error: 'charge (only charges wait for sign-off)' }),
    currency: z.string().trim().toUpperCase().regex(/^[A-Z]{3}$/, 'a three-letter currency code such as GBP'),
    description: z.string().trim().max(500, 'at most 500 characters'),
    amount_min: optionalAmount,
    amount_max: optionalAmount,
    account_code: z.string().trim().min(1, 'choose the account these lines go to').max(10, 'at most 10 characters'),
    tax_type: z.string().trim().min(1, 'choose a tax rate (No VAT / NONE when none applies)').max(50, 'at most 50 characters'),
  });
  const parsed = schema.safeParse(form);
  if (!parsed.success) {
    const issues: SettingIssue[] = [];
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'name');
      if (!issues.some((i) => i.field === field)) issues.push({ field, message: issue.message });
    }
    return { ok: false, issues };
  }
  const v = parsed.data;
  const issues: SettingIssue[] = [];
  const min = v.amount_min === '' ? null : toMinor(v.amount_min, v.currency);
  const max = v.amount_max === '' ? null : toMinor(v.amount_max, v.currency);
  if (v.amount_min !== '' && min === null) issues.push({ field: 'amount_min', message: `${v.currency} has ${minorUnitDigits(v.currency)} decimal places` });
  if (v.amount_max !== '' && max === null) issues.push({ field: 'amount_max', message: `${v.currency} has ${minorUnitDigits(v.currency)} decimal places` });
  if (min !== null && max !== null && min > max) issues.push({ field: 'amount_max', message: 'must not be below the lowest amount' });
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    rule: {
      name: v.name, provider: v.provider as PayoutProvider, lineKind: v.line_kind, currency: v.currency, description: v.description,
      amountMinMinor: min, amountMaxMinor: max, accountCode: v.account_code.toUpperCase(), taxType: v.tax_type.toUpperCase(),
    },
  };
}

/**
 * The account and tax type against the organisation's live chart: an active account that can take money
 * in (income as a rule, but any non-bank, non-system account fits, as the suspense account does) and an
 * active tax rate that fits it (a revenue account needs a sales rate).
 */
export function checkRuleAgainstChart(accountCode: string, taxType: string, cat: Catalogue, fields = { account: 'account_code', tax: 'tax_type' }): SettingIssue[] {
  const where = `in Xero (${cat.organisationName})`;
  const account = cat.accounts.find((a) => a.code.toUpperCase() === accountCode.trim().toUpperCase());
  const issues: SettingIssue[] = [];
  if (!account) issues.push({ field: fields.account, message: `Account ${accountCode} does not exist ${where}` });
  else if (account.status !== 'ACTIVE') issues.push({ field: fields.account, message: `Account ${accountCode} (${account.name}) is ${account.status.toLowerCase()} ${where}` });
  else if (account.type === 'BANK') issues.push({ field: fields.account, message: `Account ${accountCode} is a bank account: choose an income or balance-sheet account` });
  else if (account.systemAccount) issues.push({ field: fields.account, message: `Account ${accountCode} (${account.name}) is a Xero system account` });
  const taxIssue = checkTaxType(taxType, account?.status === 'ACTIVE' ? account : undefined, cat);
  if (taxIssue) issues.push({ field: fields.tax, message: taxIssue });
  return issues;
}

/** The accounts and tax rates a rule (or the sign-off's "post to an account") offers, from the chart. */
export function ruleChoices(cat: Catalogue | null): { accounts: { value: string; label: string; type: string }[]; taxRates: { value: string; label: string }[] } {
  if (!cat) return { accounts: [], taxRates: [] };
  const accounts = cat.accounts
    .filter((a) => a.status === 'ACTIVE' && a.type !== 'BANK' && !a.systemAccount)
    // Income first: what a charge that pays none of our sales most often is.
    .sort((a, b) => Number(!REVENUE.has(a.type)) - Number(!REVENUE.has(b.type)) || a.code.localeCompare(b.code))
    .map((a) => ({ value: a.code, label: `${a.code} · ${a.name}`, type: a.type }));
  const taxRates = cat.taxRates.filter((t) => t.status === 'ACTIVE' && t.canApplyToRevenue).map((t) => ({ value: t.taxType, label: `${t.name} (${t.taxType})` }));
  return { accounts, taxRates };
}

const REVENUE = new Set(['REVENUE', 'SALES', 'OTHERINCOME']);
