// The events an embedding host emits, checked at the door: a snapshot with an amount read as text, a
// missing line or a refund of another organisation's sale fails inside the host's own transaction with the
// field named, instead of reaching a plugin's handler hours later as a failed invoice.
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors';
import { isCurrencyCode } from '../domain/currency';
import type { HostEvent } from '../domain/events';
import type { PaymentMethodInfo } from '../plugins/contract';
import { pluginOnlyRefusal, recordableByPeople } from '../plugins/paymentMethods';

/** What a host emits; `payout.paid` is the runtime's own (a provider plugin records the payout). */
export type EmittedHostEvent = HostEvent<'sale.completed' | 'refund.issued' | 'payment.received'>;

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const minor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const epochMs = z.number().int().min(0);
const currency = z.string().refine(isCurrencyCode, { message: 'must be an upper-case ISO 4217 code' });
const decimal = (what: string) => z.string().regex(/^\d+(\.\d+)?$/, { message: `must be ${what} as decimal text, e.g. "1.5"` });

const sale = z.object({
  id, orgId: id, reference: z.string().max(100).nullable(), currency, totalMinor: minor, occurredAt: epochMs,
  serviceDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date, YYYY-MM-DD' }).nullish(),
  customer: z.object({ id, name: z.string().min(1), email: z.string().nullable() }),
  lines: z.array(z.object({
    id, position: z.number().int().min(0), description: z.string().min(1), quantity: decimal('a quantity'), unitPriceMinor: minor,
    discountRate: decimal('a percentage').nullable(), category: z.string().nullable(), taxCode: z.string().nullable(), kind: z.enum(['item', 'tip', 'service_charge', 'voucher']).optional(), lineTotalMinor: minor,
  })).min(1, { message: 'a sale has at least one line' }),
});

const refund = z.object({
  id, orgId: id, saleId: id, kind: z.enum(['full', 'amount', 'lines']), amountMinor: minor.min(1), currency,
  method: z.string().nullable(), providerRef: z.string().nullable(), reason: z.string().nullable(), createdAt: epochMs,
  lines: z.array(z.object({ saleLineId: id, quantity: decimal('a quantity').nullable(), amountMinor: minor })),
});

const payment = z.object({
  id, orgId: id, saleId: id, method: z.string().min(1), amountMinor: minor.min(1), currency, providerRef: z.string().nullable(), receivedAt: epochMs,
});

const envelope = { orgId: id, occurredAt: epochMs };
const eventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sale.completed'), ...envelope, data: z.object({ sale }) }),
  z.object({ type: z.literal('refund.issued'), ...envelope, data: z.object({ refund, sale }) }),
  z.object({ type: z.literal('payment.received'), ...envelope, data: z.object({ payment, sale }) }),
]);

/** A host's bug, not a user's input: the message lists every issue so the host's log says what to fix. */
function refused(type: string, issues: FieldIssue[]): ValidationError {
  return new ValidationError(issues, `Ledgerbridge cannot use this ${type} event: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
}

/**
 * The event checked (every problem at once, by path) and the domain_events subject it is filed under.
 * `byPlugin`: the host emits it while recording a plugin's payment (ctx.payments.record), the one path that
 * may name a method only its plugin records; the host's own payments and refunds may not, as on the API.
 */
export function checkHostEvent(
  event: EmittedHostEvent, methodOf: (id: string) => PaymentMethodInfo | undefined, opts: { byPlugin?: boolean } = {},
): { type: string; id: number } {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    throw refused(String((event as { type?: unknown } | null)?.type), parsed.error.issues.map((i) => ({ path: i.path.join('.') || 'event', message: i.message })));
  }
  const e = parsed.data;
  const issues: FieldIssue[] = [];
  const sameOrg = (path: string, orgId: number) => {
    if (orgId !== e.orgId) issues.push({ path, message: `belongs to organisation ${orgId}, not the event's ${e.orgId}` });
  };
  const checkMethod = (path: string, id: string) => {
    const method = methodOf(id);
    if (!method) issues.push({ path, message: `"${id}" is not a payment method of this install` });
    else if (!opts.byPlugin && !recordableByPeople(method)) issues.push({ path, message: pluginOnlyRefusal(method) });
  };
  sameOrg('data.sale.orgId', e.data.sale.orgId);
  let subject: { type: string; id: number };
  if (e.type === 'sale.completed') {
    subject = { type: 'sale', id: e.data.sale.id };
  } else if (e.type === 'refund.issued') {
    const r = e.data.refund;
    sameOrg('data.refund.orgId', r.orgId);
    if (r.saleId !== e.data.sale.id) issues.push({ path: 'data.refund.saleId', message: `is ${r.saleId}, but the event's data.sale.id is ${e.data.sale.id}` });
    if (r.method !== null) checkMethod('data.refund.method', r.method);
    subject = { type: 'refund', id: r.id };
  } else {
    const p = e.data.payment;
    sameOrg('data.payment.orgId', p.orgId);
    if (p.saleId !== e.data.sale.id) issues.push({ path: 'data.payment.saleId', message: `is ${p.saleId}, but the event's data.sale.id is ${e.data.sale.id}` });
    checkMethod('data.payment.method', p.method);
    subject = { type: 'payment', id: p.id };
  }
  if (issues.length) throw refused(e.type, issues);
  return subject;
}
