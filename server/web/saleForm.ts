// The "new sale" form ⇄ the domain's sale input. Pure functions: the form has fixed rows (works without
// JavaScript); blank rows are dropped, and the service's error paths (`lines.1.unitPrice`, indexes into
// the lines actually sent) are mapped back to the row the person typed in.
import type { FieldIssue } from '../errors';

export const DEFAULT_LINE_ROWS = 5;
export const MAX_LINE_ROWS = 100;

export interface LineRow {
  description: string;
  quantity: string;
  unitPrice: string;
  discountRate: string;
  taxCode: string;
  category: string;
  /** '' or 'item': what was sold; 'tip'; 'service_charge'. */
  kind: string;
}

export interface SaleFormValues {
  customer: { name: string; email: string };
  reference: string;
  currency: string;
  /** The day the service is delivered (YYYY-MM-DD, a date input); '' for the day of the sale. */
  serviceDate: string;
  lines: LineRow[];
  payment: { method: string; amount: string; providerRef: string; voucherCode?: string };
}

const LINE_FIELDS: (keyof LineRow)[] = ['description', 'quantity', 'unitPrice', 'discountRate', 'taxCode', 'category', 'kind'];

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export const blankLine = (): LineRow => ({ description: '', quantity: '1', unitPrice: '', discountRate: '', taxCode: '', category: '', kind: '' });

export function emptySaleForm(currency: string, rows = DEFAULT_LINE_ROWS): SaleFormValues {
  return {
    customer: { name: '', email: '' },
    reference: '',
    currency,
    serviceDate: '',
    lines: Array.from({ length: rows }, blankLine),
    payment: { method: '', amount: '', providerRef: '' },
  };
}

/**
 * Rows as submitted. The extended body parser gives an array for `lines[0][…]`…, or an object keyed by
 * index once indexes pass its array limit; both are read in index order.
 */
function submittedRows(value: unknown): LineRow[] {
  const entries: [number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(obj(value)).flatMap(([k, v]) => (/^\d{1,3}$/.test(k) ? [[Number(k), v] as [number, unknown]] : []));
  return entries
    .sort((a, b) => a[0] - b[0])
    .slice(0, MAX_LINE_ROWS)
    .map(([, v]) => {
      const row = obj(v);
      return Object.fromEntries(LINE_FIELDS.map((f) => [f, str(row[f])])) as unknown as LineRow;
    });
}

export function readSaleForm(body: unknown, defaultCurrency: string): SaleFormValues {
  const b = obj(body);
  const customer = obj(b.customer);
  const payment = obj(b.payment);
  return {
    customer: { name: str(customer.name), email: str(customer.email) },
    reference: str(b.reference),
    currency: str(b.currency) || defaultCurrency,
    serviceDate: str(b.serviceDate),
    lines: submittedRows(b.lines),
    payment: { method: str(payment.method), amount: str(payment.amount), providerRef: str(payment.providerRef), voucherCode: str(payment.voucherCode) },
  };
}

/** A row with nothing but the pre-filled quantity is not a line. */
export const isBlankRow = (row: LineRow): boolean =>
  [row.description, row.unitPrice, row.discountRate, row.taxCode, row.category].every((v) => v.trim() === '');

export interface SaleInputFromForm {
  input: Record<string, unknown>;
  /** input.lines[i] came from form row rowOf[i]. */
  rowOf: number[];
}

/** The body for createSale: empty optional fields are left out (the service treats "" as a value). */
export function saleInputFromForm(form: SaleFormValues): SaleInputFromForm {
  const rowOf: number[] = [];
  const lines: Record<string, string>[] = [];
  form.lines.forEach((row, index) => {
    if (isBlankRow(row)) return;
    rowOf.push(index);
    const line: Record<string, string> = { description: row.description, quantity: row.quantity.trim() || '1', unitPrice: row.unitPrice.trim() };
    if (row.discountRate.trim()) line.discountRate = row.discountRate.trim();
    if (row.taxCode.trim()) line.taxCode = row.taxCode.trim();
    if (row.category.trim()) line.category = row.category.trim();
    if (row.kind.trim() && row.kind.trim() !== 'item') line.kind = row.kind.trim();
    lines.push(line);
  });
  const input: Record<string, unknown> = {
    currency: form.currency.trim(),
    customer: { name: form.customer.name, ...(form.customer.email.trim() ? { email: form.customer.email.trim() } : {}) },
    lines,
  };
  if (form.reference.trim()) input.reference = form.reference.trim();
  if (form.serviceDate.trim()) input.serviceDate = form.serviceDate.trim();
  const { method, amount, providerRef, voucherCode = '' } = form.payment;
  if (method.trim() || amount.trim()) {
    input.payments = [{
      method: method.trim(), amount: amount.trim(), ...(providerRef.trim() ? { providerRef: providerRef.trim() } : {}), ...(voucherCode.trim() ? { voucherCode: voucherCode.trim() } : {}),
    }];
  }
  return { input, rowOf };
}

/** Service issue paths → form field keys (`lines.<row>.<field>`, `payment.amount`, `customer.name`…). */
export function formErrors(issues: FieldIssue[], rowOf: number[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const key = formPath(issue.path, rowOf);
    errors[key] ??= issue.message;
  }
  return errors;
}

function formPath(path: string, rowOf: number[]): string {
  const parts = path.split('.');
  if (parts[0] === 'lines' && parts.length >= 2) {
    const row = rowOf[Number(parts[1])];
    return ['lines', String(row ?? parts[1]), ...parts.slice(2)].join('.');
  }
  if (parts[0] === 'lines') return rowOf.length === 0 ? 'lines.0.description' : 'lines';
  if (parts[0] === 'payments') return parts.length >= 3 ? `payment.${parts[2]}` : 'payment.amount';
  return path;
}
