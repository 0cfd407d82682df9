// The settings form: what the admin submitted → a typed form → (checked against Xero) the rows to save.
// Pure. Field names are flat (category_account_3) so any category text survives urlencoding.
import type { TrackingAssignment } from './types';
import type { Catalogue, CatalogueAccount } from './catalogue';
import { formatDueDateRule, parseDueDateRule } from './load';
import type { MappingEntry, MappingKind, MappingRow } from './store';
import { checkAccount, checkTaxType, checkTracking, type SettingIssue } from './validate';

export interface CategoryForm {
  name: string;
  account: string;
  tax: string;
  /** Up to two "trackingCategoryId:optionId" values ('' = none). */
  tracking: [string, string];
}

/** A booking-system tax code and the Xero TaxType its lines post with. */
export interface TaxCodeForm {
  code: string;
  taxType: string;
}

export interface SettingsForm {
  defaultSalesAccount: string;
  defaultTax: string;
  categories: CategoryForm[];
  /** Null: the form had no tax-code section (an older form): the saved ones are kept as they are. */
  taxCodes: TaxCodeForm[] | null;
  /** Account code by payment method id: one entry per method of the install. */
  methods: Record<string, string>;
  defaultTracking: [string, string];
  roundingAccount: string;
  roundingTax: string;
  /** Tips and service charges: each kind's account and tax rate ('' = not set / default). */
  lineKinds: Record<'tip' | 'service_charge', { account: string; tax: string }>;
  /** A cancelled booking's kept deposit: the income account ('' = not set). */
  cancellationAccount?: string;
  /** Gift vouchers: the liability account and the voucher line's tax rate; the revenue account expired balances move to. */
  vouchers?: { account: string; tax: string; expiryAccount: string };
  invoiceStatus: 'DRAFT' | 'AUTHORISED';
  invoiceDate: 'sale_date' | 'service_date';
  lockedPeriod: 'first_open_day' | 'hold';
  /** Attach each sale's receipt (the host's PDF) to its invoice in Xero. */
  attachReceipts: 'off' | 'on';
  dueRuleKind: string;
  dueRuleNumber: string;
  invoicePrefix: string;
  referenceSource: 'sale_reference' | 'invoice_number';
  lineAmountHandling: 'auto' | 'inclusive';
}

/** Kinds the form does not edit: kept as they are on save. */
const KEPT_KINDS: MappingKind[] = ['branding_theme'];
// The host parses at most 2,000 form fields; five per category row, two per tax code row.
const MAX_CATEGORY_ROWS = 300;
const MAX_TAX_CODE_ROWS = 100;
/** A booking system's tax code: what a sale line's `taxCode` holds (the host allows 50 characters). */
const TAX_CODE = /^[A-Za-z0-9][A-Za-z0-9 _.%/+-]{0,49}$/;

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : Array.isArray(v) && typeof v[0] === 'string' ? v[0].trim() : '');

/** `methodIds`: the install's payment methods (ctx.paymentMethods), each with its own account field. */
export function parseSettingsForm(body: Record<string, unknown>, methodIds: readonly string[]): SettingsForm {
  const categories: CategoryForm[] = [];
  for (let i = 0; i < MAX_CATEGORY_ROWS; i += 1) {
    if (!(`category_name_${i}` in body)) break;
    const name = text(body[`category_name_${i}`]);
    if (!name) continue;
    categories.push({
      name,
      account: text(body[`category_account_${i}`]),
      tax: text(body[`category_tax_${i}`]),
      tracking: [text(body[`category_tracking1_${i}`]), text(body[`category_tracking2_${i}`])],
    });
  }
  let taxCodes: TaxCodeForm[] | null = null;
  for (let i = 0; i < MAX_TAX_CODE_ROWS; i += 1) {
    if (!(`tax_code_code_${i}` in body)) break;
    taxCodes ??= [];
    const code = text(body[`tax_code_code_${i}`]);
    const taxType = text(body[`tax_code_type_${i}`]);
    taxCodes.push({ code, taxType }); // blank rows too: an issue's field index is the row's own
  }
  const methods = Object.fromEntries(methodIds.map((m) => [m, text(body[`method_account_${m}`])]));
  return {
    defaultSalesAccount: text(body.default_sales_account),
    defaultTax: text(body.default_tax),
    categories,
    taxCodes,
    methods,
    defaultTracking: [text(body.default_tracking1), text(body.default_tracking2)],
    roundingAccount: text(body.rounding_account),
    roundingTax: text(body.rounding_tax),
    lineKinds: {
      tip: { account: text(body.tip_account), tax: text(body.tip_tax) },
      service_charge: { account: text(body.service_charge_account), tax: text(body.service_charge_tax) },
    },
    cancellationAccount: text(body.cancellation_account),
    vouchers: { account: text(body.voucher_account), tax: text(body.voucher_tax), expiryAccount: text(body.voucher_expiry_account) },
    invoiceStatus: text(body.invoice_status) === 'DRAFT' ? 'DRAFT' : 'AUTHORISED',
    invoiceDate: text(body.invoice_date) === 'service_date' ? 'service_date' : 'sale_date',
    lockedPeriod: text(body.locked_period) === 'hold' ? 'hold' : 'first_open_day',
    attachReceipts: text(body.attach_receipts) === 'on' ? 'on' : 'off',
    dueRuleKind: text(body.due_rule_kind) || 'on_receipt',
    dueRuleNumber: text(body.due_rule_number),
    invoicePrefix: text(body.invoice_prefix),
    referenceSource: text(body.reference_source) === 'invoice_number' ? 'invoice_number' : 'sale_reference',
    lineAmountHandling: text(body.line_amount_handling) === 'inclusive' ? 'inclusive' : 'auto',
  };
}

/** The saved rows as a form (for GET), with one row per category the organisation sells in. */
export function formFromRows(rows: Pick<MappingRow, 'kind' | 'key' | 'value'>[], soldCategories: string[], methodIds: readonly string[]): SettingsForm {
  const single = (kind: MappingKind) => rows.find((r) => r.kind === kind && r.key === '')?.value ?? '';
  const keyed = (kind: MappingKind, key: string) => rows.find((r) => r.kind === kind && r.key === key)?.value ?? '';
  const trackingPair = (json: string): [string, string] => {
    let list: TrackingAssignment[] = [];
    try {
      list = json ? (JSON.parse(json) as TrackingAssignment[]) : [];
    } catch {
      list = [];
    }
    const ids = list.map((t) => (t.trackingCategoryId && t.trackingOptionId ? `${t.trackingCategoryId}:${t.trackingOptionId}` : ''));
    return [ids[0] ?? '', ids[1] ?? ''];
  };
  const mapped = rows.filter((r) => ['category_account', 'category_tax', 'category_tracking'].includes(r.kind)).map((r) => r.key);
  const names = [...new Set([...soldCategories, ...mapped])].filter(Boolean).sort((a, b) => a.localeCompare(b));
  const rule = parseDueDateRule(single('due_date_rule') || undefined);
  return {
    defaultSalesAccount: single('default_sales_account'),
    defaultTax: single('default_tax'),
    categories: names.map((name) => ({
      name, account: keyed('category_account', name), tax: keyed('category_tax', name), tracking: trackingPair(keyed('category_tracking', name)),
    })),
    taxCodes: rows.filter((r) => r.kind === 'tax_code_tax' && r.key !== '').map((r) => ({ code: r.key, taxType: r.value }))
      .sort((a, b) => a.code.localeCompare(b.code)),
    methods: Object.fromEntries(methodIds.map((m) => [m, keyed('method_account', m)])),
    defaultTracking: trackingPair(single('default_tracking')),
    roundingAccount: single('rounding_account'),
    roundingTax: single('rounding_tax'),
    lineKinds: {
      tip: { account: single('tip_account'), tax: single('tip_tax') },
      service_charge: { account: single('service_charge_account'), tax: single('service_charge_tax') },
    },
    cancellationAccount: single('cancellation_account'),
    vouchers: { account: single('voucher_account'), tax: single('voucher_tax'), expiryAccount: single('voucher_expiry_account') },
    invoiceStatus: single('invoice_status') === 'DRAFT' ? 'DRAFT' : 'AUTHORISED',
    invoiceDate: single('invoice_date') === 'service_date' ? 'service_date' : 'sale_date',
    lockedPeriod: single('locked_period') === 'hold' ? 'hold' : 'first_open_day',
    attachReceipts: single('attach_receipts') === 'on' ? 'on' : 'off',
    dueRuleKind: rule.kind,
    dueRuleNumber: rule.kind === 'days_after' ? String(rule.days) : rule.kind === 'day_of_following_month' ? String(rule.day) : '',
    invoicePrefix: single('invoice_prefix'),
    referenceSource: single('reference_source') === 'invoice_number' ? 'invoice_number' : 'sale_reference',
    lineAmountHandling: single('line_amount_handling') === 'inclusive' ? 'inclusive' : 'auto',
  };
}

/**
 * Check the form against the organisation's chart and turn it into rows. Any issue → no rows are to be
 * saved (the caller saves only when `issues` is empty).
 */
export function checkSettingsForm(form: SettingsForm, cat: Catalogue, existing: Pick<MappingRow, 'kind' | 'key' | 'value'>[]): { issues: SettingIssue[]; entries: MappingEntry[] } {
  const issues: SettingIssue[] = [];
  const entries: MappingEntry[] = [];
  const usedTaxTypes = new Set<string>();
  const add = (kind: MappingKind, key: string, value: string) => entries.push({ kind, key, value });

  // Organisation defaults: an empty default means "the built-in default" (200 / OUTPUT2), checked too.
  const defaultAccountCode = form.defaultSalesAccount || '200';
  const defaultAccount = checkAccount(defaultAccountCode, 'sales', cat);
  if (defaultAccount.issue) issues.push({ field: 'default_sales_account', message: defaultAccount.issue });
  if (form.defaultSalesAccount) add('default_sales_account', '', form.defaultSalesAccount);
  const defaultTax = form.defaultTax || 'OUTPUT2';
  const defaultTaxIssue = checkTaxType(defaultTax, defaultAccount.account, cat);
  if (defaultTaxIssue) issues.push({ field: 'default_tax', message: defaultTaxIssue });
  usedTaxTypes.add(defaultTax.toUpperCase());
  if (form.defaultTax) add('default_tax', '', form.defaultTax.toUpperCase());

  const seen = new Set<string>();
  form.categories.forEach((c, i) => {
    if (seen.has(c.name)) {
      issues.push({ field: `category_name_${i}`, message: `Category '${c.name}' is listed twice` });
      return;
    }
    seen.add(c.name);
    let account = defaultAccount.account;
    if (c.account) {
      const checked = checkAccount(c.account, 'sales', cat);
      if (checked.issue) issues.push({ field: `category_account_${i}`, message: checked.issue });
      account = checked.account;
      add('category_account', c.name, c.account);
    }
    // The category's tax (or the default one) must suit the account the category's lines go to.
    const tax = c.tax || (c.account ? defaultTax : '');
    if (tax) {
      const issue = checkTaxType(tax, account, cat);
      if (issue) issues.push({ field: c.tax ? `category_tax_${i}` : `category_account_${i}`, message: issue });
      usedTaxTypes.add(tax.toUpperCase());
    }
    if (c.tax) add('category_tax', c.name, c.tax.toUpperCase());
    const tracking = trackingOf(c.tracking, `category_tracking`, i, cat, issues);
    if (tracking.length) add('category_tracking', c.name, JSON.stringify(tracking));
  });

  checkTaxCodes(form.taxCodes, defaultAccount.account, cat, issues, usedTaxTypes, add);

  for (const [method, code] of Object.entries(form.methods)) {
    if (!code) continue;
    const checked = checkAccount(code, 'payments', cat);
    if (checked.issue) issues.push({ field: `method_account_${method}`, message: checked.issue });
    add('method_account', method, code);
  }

  const defaultTracking = trackingOf(form.defaultTracking, 'default_tracking', null, cat, issues);
  if (defaultTracking.length) add('default_tracking', '', JSON.stringify(defaultTracking));

  if (form.roundingAccount) {
    const checked = checkAccount(form.roundingAccount, 'rounding', cat);
    if (checked.issue) issues.push({ field: 'rounding_account', message: checked.issue });
    const roundingTax = form.roundingTax || 'NONE';
    const issue = checked.account ? checkTaxType(roundingTax, checked.account, cat) : undefined;
    if (issue) issues.push({ field: 'rounding_tax', message: issue });
    usedTaxTypes.add(roundingTax.toUpperCase());
    add('rounding_account', '', form.roundingAccount);
  }
  if (form.roundingTax) add('rounding_tax', '', form.roundingTax.toUpperCase());

  for (const kind of ['tip', 'service_charge'] as const) {
    const { account, tax } = form.lineKinds[kind];
    if (!account) {
      if (tax) issues.push({ field: `${kind}_account`, message: `Choose the account ${kind === 'tip' ? 'tips' : 'service charges'} post to (the tax rate goes with it)` });
      continue;
    }
    const checked = checkAccount(account, 'tips', cat);
    if (checked.issue) issues.push({ field: `${kind}_account`, message: checked.issue });
    add(`${kind}_account`, '', account);
    // A tip without a rate is outside the scope of VAT (NONE); a service charge, its line's usual rate.
    const rate = tax || (kind === 'tip' ? 'NONE' : '');
    if (rate) {
      const issue = checked.account ? checkTaxType(rate, checked.account, cat) : undefined;
      if (issue) issues.push({ field: `${kind}_tax`, message: issue });
      usedTaxTypes.add(rate.toUpperCase());
    }
    if (tax) add(`${kind}_tax`, '', tax.toUpperCase());
  }

  if (form.cancellationAccount) {
    const checked = checkAccount(form.cancellationAccount, 'sales', cat);
    if (checked.issue) issues.push({ field: 'cancellation_account', message: checked.issue });
    add('cancellation_account', '', form.cancellationAccount);
  }
  checkVouchers(form.vouchers, cat, issues, usedTaxTypes, add);

  add('invoice_status', '', form.invoiceStatus);
  add('invoice_date', '', form.invoiceDate);
  add('locked_period', '', form.lockedPeriod);
  add('attach_receipts', '', form.attachReceipts);
  const rule = dueRule(form, issues);
  if (rule) add('due_date_rule', '', rule);
  if (form.invoicePrefix) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_./-]{0,11}$/.test(form.invoicePrefix)) {
      issues.push({ field: 'invoice_prefix', message: 'Invoice number prefix: up to 12 letters, digits, "-", "_", "/" or "."' });
    }
    add('invoice_prefix', '', form.invoicePrefix);
  }
  add('reference_source', '', form.referenceSource);
  add('line_amount_handling', '', form.lineAmountHandling);

  // What each used rate was when checked, so the builders can predict Xero's TotalTax.
  for (const taxType of usedTaxTypes) {
    const rate = cat.taxRates.find((t) => t.taxType.toUpperCase() === taxType);
    if (rate) add('tax_rate', rate.taxType, rate.rate);
  }
  for (const row of existing) {
    if (KEPT_KINDS.includes(row.kind) || (form.taxCodes === null && row.kind === 'tax_code_tax')) add(row.kind, row.key, row.value);
  }
  return { issues, entries };
}

/**
 * The booking system's tax codes, each mapped to a Xero sales TaxType that exists and is active now (and
 * suits the default sales account, where lines without a category go). A code is kept as typed; two
 * codes differing only in case are one code (the host matches them so).
 */
function checkTaxCodes(
  rows: TaxCodeForm[] | null, account: CatalogueAccount | undefined, cat: Catalogue, issues: SettingIssue[], used: Set<string>,
  add: (kind: MappingKind, key: string, value: string) => void,
): void {
  if (rows === null) return;
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    if (!row.code && !row.taxType) return;
    if (!row.code) return issues.push({ field: `tax_code_code_${i}`, message: `Give the booking system's tax code that lines post with ${row.taxType}` });
    if (!TAX_CODE.test(row.code)) {
      return issues.push({ field: `tax_code_code_${i}`, message: `Tax code "${row.code}": up to 50 letters, digits, spaces and _ . % / + -, starting with a letter or digit` });
    }
    if (seen.has(row.code.toUpperCase())) return issues.push({ field: `tax_code_code_${i}`, message: `Tax code ${row.code} is listed twice` });
    seen.add(row.code.toUpperCase());
    if (!row.taxType) return issues.push({ field: `tax_code_type_${i}`, message: `Choose the Xero tax rate for tax code ${row.code}` });
    const issue = checkTaxType(row.taxType, account, cat);
    if (issue) issues.push({ field: `tax_code_type_${i}`, message: `Tax code ${row.code}: ${issue}` });
    used.add(row.taxType.toUpperCase());
    add('tax_code_tax', row.code, row.taxType.toUpperCase());
  });
}

/** Gift vouchers: a liability account that accepts payments, the voucher line's rate (default NONE), a revenue account for expiries. */
function checkVouchers(
  v: SettingsForm['vouchers'], cat: Catalogue, issues: SettingIssue[], used: Set<string>, add: (kind: MappingKind, key: string, value: string) => void,
): void {
  if (!v) return;
  if (!v.account) {
    if (v.tax || v.expiryAccount) issues.push({ field: 'voucher_account', message: 'Choose the liability account gift vouchers are held in (the tax rate and the expiry account go with it)' });
    return;
  }
  const checked = checkAccount(v.account, 'vouchers', cat);
  if (checked.issue) issues.push({ field: 'voucher_account', message: checked.issue });
  add('voucher_account', '', v.account);
  const rate = v.tax || 'NONE';
  const issue = checked.account ? checkTaxType(rate, checked.account, cat) : undefined;
  if (issue) issues.push({ field: 'voucher_tax', message: issue });
  used.add(rate.toUpperCase());
  if (v.tax) add('voucher_tax', '', v.tax.toUpperCase());
  if (v.expiryAccount) {
    const expiry = checkAccount(v.expiryAccount, 'sales', cat);
    if (expiry.issue) issues.push({ field: 'voucher_expiry_account', message: expiry.issue });
    add('voucher_expiry_account', '', v.expiryAccount);
  }
}

function trackingOf(values: [string, string], field: string, index: number | null, cat: Catalogue, issues: SettingIssue[]): TrackingAssignment[] {
  const out: TrackingAssignment[] = [];
  values.forEach((value, n) => {
    if (!value) return;
    const name = `${field}${n + 1}${index === null ? '' : `_${index}`}`;
    const [categoryId = '', optionId = ''] = value.split(':');
    const issue = checkTracking(categoryId, optionId, cat);
    if (issue) return issues.push({ field: name, message: issue });
    const category = cat.tracking.find((c) => c.id === categoryId)!;
    if (out.some((t) => t.trackingCategoryId === categoryId)) {
      return issues.push({ field: name, message: `Tracking category '${category.name}' is chosen twice: Xero allows each once per line` });
    }
    const option = category.options.find((o) => o.id === optionId)!;
    out.push({ name: category.name, option: option.name, trackingCategoryId: categoryId, trackingOptionId: optionId });
  });
  return out;
}

function dueRule(form: SettingsForm, issues: SettingIssue[]): string | null {
  const n = Number(form.dueRuleNumber);
  switch (form.dueRuleKind) {
    case 'on_receipt':
    case 'end_of_following_month':
      return form.dueRuleKind;
    case 'days_after':
      if (!Number.isInteger(n) || n < 0 || n > 365 || form.dueRuleNumber === '') {
        issues.push({ field: 'due_rule_number', message: 'Days after the invoice date: a whole number from 0 to 365' });
        return null;
      }
      return formatDueDateRule({ kind: 'days_after', days: n });
    case 'day_of_following_month':
      if (!Number.isInteger(n) || n < 1 || n > 31) {
        issues.push({ field: 'due_rule_number', message: 'Day of the following month: a whole number from 1 to 31' });
        return null;
      }
      return formatDueDateRule({ kind: 'day_of_following_month', day: n });
    default:
      issues.push({ field: 'due_rule_kind', message: 'Choose a due date rule' });
      return null;
  }
}
