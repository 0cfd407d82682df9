// Request shapes for sales, refunds and payments, and the pure validation that turns an untrusted body
// into exact values (minor units, quantities in ten-thousandths). Every problem is collected and thrown
// together as one ValidationError; nothing here touches the database.
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors';
import { isCurrencyCode } from './currency';
import { issuesFromZod } from './fieldIssues';
import { SALE_LINE_KINDS, type SaleLineKind } from './events';
import { CONTROL_CHARACTER_MESSAGE, hasControlCharacters } from './text';
import {
  DISCOUNT_SCALE, MAX_AMOUNT_MINOR, MAX_QUANTITY, QUANTITY_SCALE, checkAmountShape, formatMinor, lineTotalMinor, parseAmount, parseDiscountRate, parseQuantity,
  type AmountRules, type DiscountRate, type Parsed, type Quantity,
} from './money';

/** A payment method id of this install (the host's own or a plugin's; server/plugins/paymentMethods.ts). */
export type PaymentMethod = string;
export const SALE_STATUSES = ['completed', 'partially_refunded', 'refunded'] as const;
export type SaleStatus = (typeof SALE_STATUSES)[number];

export const MAX_LINES = 500;
export const MAX_PAYMENTS_PER_SALE = 50;
/** Clocks drift; a sale stamped a few minutes ahead is a clock, further ahead is a mistake. */
export const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

/** The earliest date accepted: Xero (and any ledger) cannot take year-999 sales, and they are always typos. */
export const EARLIEST_DATE_MS = Date.UTC(1900, 0, 1);

type ErrorFn = (issue: { input?: unknown }) => string;
const requiredOr = (message: string): ErrorFn => (issue) => (issue.input === undefined ? 'is required' : message);

const text = (max: number) =>
  z
    .string({ error: requiredOr('must be a string') })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !hasControlCharacters(v), CONTROL_CHARACTER_MESSAGE);

/** Optional text: absent, null and "" all mean "not given". */
const optionalText = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((v) => !hasControlCharacters(v), CONTROL_CHARACTER_MESSAGE)
    .nullish()
    .transform((v) => (v ? v : null));

const email = z
  .string({ error: 'must be a string' })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'must be an email address' }).max(320, 'must be at most 320 characters'));

const currencyCode = z
  .string({ error: requiredOr('must be a string such as "GBP"') })
  .trim()
  .toUpperCase()
  .refine(isCurrencyCode, 'must be an ISO 4217 currency code such as GBP, EUR or JPY')
  .meta({ description: 'ISO 4217 currency code (case-insensitive); every amount of the sale is in it.', examples: ['GBP'] });

/**
 * One of the organisation's payment methods (the install's and its own). `pluginOnly`: methods only their plugin
 * records ("Paid in Xero"), refused with why (id → reason). `disabled`: its own methods an admin
 * turned off, refused with a message that says so. The API document lists the install's as examples, since
 * each organisation may add its own.
 */
const paymentMethod = (methods: readonly string[], disabled: readonly string[] = [], pluginOnly: ReadonlyMap<string, string> = new Map()) =>
  z
    .string({ error: requiredOr(`must be one of ${methods.join(', ')}`) })
    .superRefine((m, ctx) => {
      if (methods.includes(m)) return;
      const refusal = pluginOnly.get(m);
      if (refusal !== undefined) ctx.addIssue({ code: 'custom', message: `${m}: ${refusal}: one of ${methods.join(', ')}` });
      else ctx.addIssue({ code: 'custom', message: disabled.includes(m) ? `${m} is disabled for this organisation (an admin can enable it under Payment methods)` : `must be one of ${methods.join(', ')}` });
    })
    .meta({
      examples: [...methods],
      description: `A payment method id: one of this install's (${methods.join(', ')}) or one the organisation added under Payment methods.`,
    });

/** A gift voucher's code (payments with method gift_voucher), case-insensitive: GV-7KQ2-M9XD. */
const voucherCode = () =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .toUpperCase()
    .max(20, 'must be at most 20 characters')
    .refine((v) => !hasControlCharacters(v), CONTROL_CHARACTER_MESSAGE)
    .meta({ description: 'The gift voucher paying: required with method gift_voucher, not allowed with any other.', examples: ['GV-7KQ2-M9XD'] })
    .nullish()
    .transform((v) => (v ? v : null));

/** gift_voucher needs the voucher's code; no other method takes one. Checked on the parsed payment. */
function voucherCodeIssues(p: { method: string; voucherCode: string | null }, path: string): FieldIssue[] {
  if (p.method === 'gift_voucher' && p.voucherCode === null) return [{ path: `${path}voucherCode`, message: 'is required with method gift_voucher: the code on the voucher' }];
  if (p.method !== 'gift_voucher' && p.voucherCode !== null) return [{ path: `${path}voucherCode`, message: 'is only for payments with method gift_voucher' }];
  return [];
}

/** How a decimal field reads in the API's OpenAPI document (server/api/openapi): the parser is not JSON Schema. */
interface DecimalDoc {
  description: string;
  examples: (string | number)[];
}

/** A field parsed by one of money.ts's parsers; `undefined` means the field is missing. */
function parsedField<T>(parse: (value: unknown) => Parsed<T>, doc: DecimalDoc) {
  return z.unknown().meta({ type: ['string', 'number'], ...doc }).transform((value, ctx): T => {
    if (value === undefined || value === null) {
      ctx.addIssue({ code: 'custom', message: 'is required' });
      return z.NEVER;
    }
    const result = parse(value);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    }
    return result.value;
  });
}

/**
 * An amount in `currency`. When the currency itself is invalid the amount still gets the checks that do
 * not need it (a number, its sign), so one request reports both problems; its value is then unused.
 */
function amountField(currency: string | null, rules: AmountRules) {
  return parsedField<number>((value) => {
    if (currency) return parseAmount(value, currency, rules);
    const shape = checkAmountShape(value, rules);
    return shape.ok ? { ok: true, value: 0 } : shape;
  }, {
    description: `A decimal amount in the sale's currency, ${rules.allowZero ? 'zero or more' : 'greater than zero'}, with no more decimal places than the currency has (2 for GBP, 0 for JPY); a string keeps it exact.`,
    examples: ['12.50', 12.5],
  });
}

const QUANTITY_DOC: DecimalDoc = { description: `Greater than zero, at most ${MAX_QUANTITY}, at most ${QUANTITY_SCALE} decimal places.`, examples: ['2', '0.5', 1] };
const DISCOUNT_DOC: DecimalDoc = { description: `A percentage off the line, 0 to less than 100, at most ${DISCOUNT_SCALE} decimal places.`, examples: ['10', 12.5] };

/** ISO 8601 with a time zone (Z or ±hh:mm), not further ahead than the clock tolerance. Epoch ms. */
/** A calendar day, YYYY-MM-DD, that exists (no 2026-02-30), from 1900 on. */
const calendarDate = z
  .string({ error: 'must be a date, YYYY-MM-DD' })
  .trim()
  .superRefine((v, ctx) => {
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
    // Date.parse rolls 2026-02-30 over to March: a day that exists reads back as itself.
    if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== v) ctx.addIssue({ code: 'custom', message: 'must be a date that exists, YYYY-MM-DD, e.g. 2026-06-14' });
    else if (v < '1900-01-01') ctx.addIssue({ code: 'custom', message: 'must be on or after 1900-01-01' });
  });

function instantField(now: number) {
  return z
    .iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. 2024-05-01T14:30:00Z' })
    .transform((value, ctx) => {
      const ms = Date.parse(value);
      if (ms > now + FUTURE_TOLERANCE_MS) {
        ctx.addIssue({ code: 'custom', message: 'must not be in the future' });
        return z.NEVER;
      }
      if (!(ms >= EARLIEST_DATE_MS)) {
        ctx.addIssue({ code: 'custom', message: 'must be on or after 1900-01-01' });
        return z.NEVER;
      }
      return ms;
    });
}

/** The currency of a body, if it names a valid one; lets amounts be checked against it in the same pass. */
function currencyOf(input: unknown): string | null {
  if (typeof input !== 'object' || input === null) return null;
  const raw = (input as Record<string, unknown>).currency;
  if (typeof raw !== 'string') return null;
  const code = raw.trim().toUpperCase();
  return isCurrencyCode(code) ? code : null;
}

export function saleInputSchema(currency: string | null, methods: readonly string[], now: number, disabled: readonly string[] = [], pluginOnly: ReadonlyMap<string, string> = new Map()) {
  const line = z.strictObject({
    description: text(4000),
    quantity: parsedField<Quantity>(parseQuantity, QUANTITY_DOC),
    unitPrice: amountField(currency, { allowZero: true }),
    discountRate: parsedField<DiscountRate>(parseDiscountRate, DISCOUNT_DOC).optional().nullable(),
    category: optionalText(100),
    taxCode: optionalText(50),
    kind: z.enum(SALE_LINE_KINDS, { error: `must be one of ${SALE_LINE_KINDS.join(', ')}` }).nullish().transform((v) => v ?? 'item'),
  });
  const payment = z.strictObject({
    method: paymentMethod(methods, disabled, pluginOnly),
    amount: amountField(currency, { allowZero: false }),
    providerRef: optionalText(255),
    voucherCode: voucherCode(),
  });
  return z.strictObject(
    {
      reference: optionalText(100),
      occurredAt: instantField(now).nullish(),
      serviceDate: calendarDate.nullish(),
      currency: currencyCode,
      customer: z.strictObject(
        { name: text(200), email: email.nullish().transform((v) => v ?? null) },
        { error: requiredOr('must be an object with a name') },
      ),
      lines: z
        .array(line, { error: requiredOr('must be a list of lines') })
        .min(1, 'must have at least one line')
        .max(MAX_LINES, `must have at most ${MAX_LINES} lines`),
      payments: z
        .array(payment, { error: 'must be a list of payments' })
        .max(MAX_PAYMENTS_PER_SALE, `must have at most ${MAX_PAYMENTS_PER_SALE} payments`)
        .nullish()
        .transform((v) => v ?? []),
    },
    { error: requiredOr('must be a JSON object') },
  );
}

export interface ValidSaleLine {
  position: number;
  description: string;
  quantity: Quantity;
  unitPriceMinor: number;
  discount: DiscountRate | null;
  category: string | null;
  taxCode: string | null;
  kind: SaleLineKind;
  lineTotalMinor: number;
}

export interface ValidPayment {
  method: PaymentMethod;
  amountMinor: number;
  providerRef: string | null;
  /** The gift voucher paying (method gift_voucher), upper case; null otherwise. */
  voucherCode: string | null;
}

export interface ValidSale {
  reference: string | null;
  /** Null: the sale happened now. */
  occurredAt: number | null;
  /** The day the service is delivered (YYYY-MM-DD); null: the day of the sale. */
  serviceDate: string | null;
  currency: string;
  customer: { name: string; email: string | null };
  lines: ValidSaleLine[];
  totalMinor: number;
  payments: ValidPayment[];
}

/** Validate a sale body; throws a ValidationError listing every problem found. */
export function validateSaleInput(
  input: unknown, methods: readonly string[], now: number = Date.now(), disabled: readonly string[] = [], pluginOnly: ReadonlyMap<string, string> = new Map(),
): ValidSale {
  const currency = currencyOf(input);
  const parsed = saleInputSchema(currency, methods, now, disabled, pluginOnly).safeParse(input);
  if (!parsed.success || currency === null) {
    throw new ValidationError(parsed.success ? [] : issuesFromZod(parsed.error));
  }
  const body = parsed.data;
  const issues: FieldIssue[] = [];
  const maxText = `${formatMinor(MAX_AMOUNT_MINOR, currency)} ${currency}`;

  let totalMinor = 0n;
  const lines = body.lines.map((line, index): ValidSaleLine => {
    const total = lineTotalMinor(line.quantity.units, line.unitPrice, line.discountRate?.units ?? 0n);
    if (total > BigInt(MAX_AMOUNT_MINOR)) {
      issues.push({ path: `lines.${index}`, message: `line total ${formatMinor(total, currency)} ${currency} is more than the maximum of ${maxText}` });
    }
    totalMinor += total;
    return {
      position: index + 1,
      description: line.description,
      quantity: line.quantity,
      unitPriceMinor: line.unitPrice,
      discount: line.discountRate ?? null,
      category: line.category,
      taxCode: line.taxCode,
      kind: line.kind,
      lineTotalMinor: Number(total),
    };
  });
  if (issues.length === 0 && totalMinor > BigInt(MAX_AMOUNT_MINOR)) {
    issues.push({ path: 'lines', message: `sale total ${formatMinor(totalMinor, currency)} ${currency} is more than the maximum of ${maxText}` });
  }

  const paidMinor = body.payments.reduce((sum, p) => sum + BigInt(p.amount), 0n);
  if (paidMinor > totalMinor) {
    issues.push({
      path: 'payments',
      message: `payments add up to ${formatMinor(paidMinor, currency)} ${currency}, more than the sale total of ${formatMinor(totalMinor, currency)} ${currency}`,
    });
  }
  body.payments.forEach((p, index) => issues.push(...voucherCodeIssues(p, `payments.${index}.`)));
  const seenRefs = new Set<string>();
  body.payments.forEach((p, index) => {
    if (p.providerRef === null) return;
    const key = `${p.method}\u0000${p.providerRef}`;
    if (seenRefs.has(key)) issues.push({ path: `payments.${index}.providerRef`, message: 'appears twice in this sale' });
    seenRefs.add(key);
  });
  if (issues.length > 0) throw new ValidationError(issues);

  return {
    reference: body.reference,
    occurredAt: body.occurredAt ?? null,
    serviceDate: body.serviceDate ?? null,
    currency,
    customer: body.customer,
    lines,
    totalMinor: Number(totalMinor),
    payments: body.payments.map((p) => ({ method: p.method, amountMinor: p.amount, providerRef: p.providerRef, voucherCode: p.voucherCode })),
  };
}

// ---------------------------------------------------------------- refunds

export const REFUND_KINDS = ['full', 'amount', 'lines'] as const;
export type RefundKind = (typeof REFUND_KINDS)[number];

export interface RefundLineRequest {
  lineId: number;
  /** At most one of quantity / amount; neither means "whatever is left on the line". */
  quantity: Quantity | null;
  amountMinor: number | null;
}

export interface ValidRefundRequest {
  kind: RefundKind;
  amountMinor: number | null;
  lines: RefundLineRequest[];
  method: PaymentMethod | null;
  providerRef: string | null;
  reason: string | null;
}

const positiveId = z
  .number({ error: requiredOr('must be a line id (a whole number)') })
  .int('must be a whole number')
  .positive('must be a line id (a whole number)');

export function refundInputSchema(saleCurrency: string, methods: readonly string[], disabled: readonly string[] = [], pluginOnly: ReadonlyMap<string, string> = new Map()) {
  const line = z.strictObject({
    lineId: positiveId,
    quantity: parsedField<Quantity>(parseQuantity, QUANTITY_DOC).optional().nullable(),
    amount: amountField(saleCurrency, { allowZero: false }).optional().nullable(),
  });
  return z.strictObject(
    {
      kind: z.enum(REFUND_KINDS, { error: requiredOr(`must be one of ${REFUND_KINDS.join(', ')}`) }),
      amount: amountField(saleCurrency, { allowZero: false }).optional().nullable(),
      lines: z.array(line, { error: 'must be a list of lines' }).max(MAX_LINES, `must have at most ${MAX_LINES} lines`).optional().nullable(),
      currency: currencyMatching(saleCurrency),
      method: paymentMethod(methods, disabled, pluginOnly).nullish(),
      providerRef: optionalText(255),
      reason: optionalText(500),
    },
    { error: requiredOr('must be a JSON object') },
  );
}

/** An optional currency that, when given, must be the sale's: a refund or payment never converts. */
function currencyMatching(saleCurrency: string) {
  return z
    .string({ error: 'must be a string such as "GBP"' })
    .trim()
    .toUpperCase()
    .refine((code) => code === saleCurrency, `must be ${saleCurrency}, the currency of the sale`)
    .meta({ description: "Optional; when given, it must be the sale's currency (nothing is converted)." })
    .nullish();
}

/** Which fields a kind needs: checked on the raw body so these problems are reported with any others. */
function refundKindIssues(input: unknown): FieldIssue[] {
  if (typeof input !== 'object' || input === null) return [];
  const body = input as Record<string, unknown>;
  const has = (key: string) => body[key] !== undefined && body[key] !== null;
  const issues: FieldIssue[] = [];
  if (body.kind === 'amount' && !has('amount')) issues.push({ path: 'amount', message: 'is required for a refund of kind "amount"' });
  if (body.kind !== 'amount' && REFUND_KINDS.includes(body.kind as RefundKind) && has('amount')) {
    issues.push({ path: 'amount', message: `is only for a refund of kind "amount" (this one is "${String(body.kind)}")` });
  }
  if (body.kind === 'lines') {
    if (!Array.isArray(body.lines) || body.lines.length === 0) issues.push({ path: 'lines', message: 'must list at least one line for a refund of kind "lines"' });
  } else if (REFUND_KINDS.includes(body.kind as RefundKind) && has('lines')) {
    issues.push({ path: 'lines', message: `is only for a refund of kind "lines" (this one is "${String(body.kind)}")` });
  }
  if (Array.isArray(body.lines)) {
    const seen = new Set<unknown>();
    body.lines.forEach((line: unknown, index) => {
      if (typeof line !== 'object' || line === null) return;
      const l = line as Record<string, unknown>;
      if (l.quantity != null && l.amount != null) issues.push({ path: `lines.${index}`, message: 'give a quantity or an amount, not both' });
      if (l.lineId !== undefined && seen.has(l.lineId)) issues.push({ path: `lines.${index}.lineId`, message: 'appears twice in this refund' });
      seen.add(l.lineId);
    });
  }
  return issues;
}

/** Validate a refund body against its sale's currency (amounts vs what is left are checked by the service). */
export function validateRefundInput(
  input: unknown, saleCurrency: string, methods: readonly string[], disabled: readonly string[] = [], pluginOnly: ReadonlyMap<string, string> = new Map(),
): ValidRefundRequest {
  const parsed = refundInputSchema(saleCurrency, methods, disabled, pluginOnly).safeParse(input);
  const issues = [...(parsed.success ? [] : issuesFromZod(parsed.error)), ...refundKindIssues(input)];
  if (!parsed.success || issues.length > 0) throw new ValidationError(issues);
  const body = parsed.data;
  return {
    kind: body.kind,
    amountMinor: body.amount ?? null,
    lines: (body.lines ?? []).map((l) => ({ lineId: l.lineId, quantity: l.quantity ?? null, amountMinor: l.amount ?? null })),
    method: body.method ?? null,
    providerRef: body.providerRef,
    reason: body.reason,
  };
}

// ---------------------------------------------------------------- payments

export interface ValidPaymentRequest extends ValidPayment {
  receivedAt: number | null;
}

export function paymentInputSchema(saleCurrency: string, methods: readonly string[], now: number, disabled: readonly string[] = [], pluginOnly: ReadonlyMap<string, string> = new Map()) {
  return z.strictObject(
    {
      method: paymentMethod(methods, disabled, pluginOnly),
      amount: amountField(saleCurrency, { allowZero: false }),
      currency: currencyMatching(saleCurrency),
      providerRef: optionalText(255),
      receivedAt: instantField(now).nullish(),
      voucherCode: voucherCode(),
    },
    { error: requiredOr('must be a JSON object') },
  );
}

export function validatePaymentInput(
  input: unknown, saleCurrency: string, methods: readonly string[], now: number = Date.now(), disabled: readonly string[] = [],
  pluginOnly: ReadonlyMap<string, string> = new Map(),
): ValidPaymentRequest {
  const parsed = paymentInputSchema(saleCurrency, methods, now, disabled, pluginOnly).safeParse(input);
  if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error));
  const body = parsed.data;
  const issues = voucherCodeIssues(body, '');
  if (issues.length > 0) throw new ValidationError(issues);
  return { method: body.method, amountMinor: body.amount, providerRef: body.providerRef, voucherCode: body.voucherCode, receivedAt: body.receivedAt ?? null };
}

// ---------------------------------------------------------------- listing

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export interface SaleListQuery {
  limit: number;
  /** Only sales with a smaller id (the keyset cursor). */
  beforeId: number | null;
  status: SaleStatus | null;
  /** occurredAt ≥ from (inclusive), epoch ms. */
  from: number | null;
  /** occurredAt < to (exclusive), epoch ms. */
  to: number | null;
  reference: string | null;
  q: string | null;
  /** Only sales the customer still owes money on (outstanding > 0, as balanceDueMinor counts it). */
  unpaid: boolean;
}

/** Cursors are opaque to clients: today the last id of the page, base64url-encoded. */
export function encodeCursor(lastId: number): string {
  return Buffer.from(`id:${lastId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number | null {
  const match = /^id:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}

/** A date (taken as midnight UTC) or a date-time with a time zone. */
const boundary = z
  .string()
  .refine((v) => z.iso.date().safeParse(v).success || z.iso.datetime({ offset: true }).safeParse(v).success, {
    message: 'must be a date (2024-05-01) or an ISO 8601 date-time with a time zone',
  })
  .transform((v) => Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v))
  .refine((ms) => ms >= EARLIEST_DATE_MS, 'must be on or after 1900-01-01');

const queryText = (max: number) =>
  z.string().trim().max(max, `must be at most ${max} characters`).refine((v) => !hasControlCharacters(v), CONTROL_CHARACTER_MESSAGE).transform((v) => v || null);

export const SaleListQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .optional(),
  cursor: z
    .string()
    .transform((v, ctx) => {
      const id = decodeCursor(v);
      if (id === null) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
        return z.NEVER;
      }
      return id;
    })
    .optional(),
  status: z.enum(SALE_STATUSES, { error: `must be one of ${SALE_STATUSES.join(', ')}` }).optional(),
  from: boundary.optional(),
  to: boundary.optional(),
  reference: queryText(100).optional(),
  q: queryText(200).optional(),
  unpaid: z.enum(['1', 'true', '0', 'false'], { error: 'must be 1 (only sales with money outstanding) or 0' }).optional(),
});

/** Validate query-string filters (values arrive as strings; a repeated parameter is an error). */
export function validateSaleListQuery(query: unknown): SaleListQuery {
  const parsed = SaleListQuerySchema.safeParse(query ?? {});
  if (!parsed.success) throw new ValidationError(issuesFromZod(parsed.error), 'The query has invalid parameters');
  const q = parsed.data;
  return {
    limit: q.limit ?? DEFAULT_PAGE_SIZE,
    beforeId: q.cursor ?? null,
    status: q.status ?? null,
    from: q.from ?? null,
    to: q.to ?? null,
    reference: q.reference ?? null,
    q: q.q ?? null,
    unpaid: q.unpaid === '1' || q.unpaid === 'true',
  };
}
