// A customer's credit, from the database: what their overpayments left over, less what later payments
// (method "customer_credit") spent. Kept per currency: credit paid in GBP is only ever spent in GBP.
import { ValidationError } from '../errors';
import { isPostgres, type Queryable, type Trx } from '../db/knex';
import { formatMinor } from './money';
import { drawCredit, type CreditDraw, type CreditSource } from './overpayment';

/** The payment method that pays a sale from the customer's credit. Not a way money arrives, so not in the catalogue. */
export const CUSTOMER_CREDIT_METHOD = 'customer_credit';
export const CUSTOMER_CREDIT_LABEL = 'Customer credit';

/** What later payments spent of each overpayment, as a column of a query over `payments`. */
const USED = '(select coalesce(sum(u.amount_minor), 0) from customer_credit_uses u where u.source_payment_id = payments.id) as used_minor';

/** The overpayments of this customer in this currency with credit left, oldest first. */
export async function creditSources(db: Queryable, orgId: number, customerId: number, currency: string): Promise<CreditSource[]> {
  const rows = (await db('payments')
    .join('sales', 'sales.id', 'payments.sale_id')
    .where({ 'payments.org_id': orgId, 'sales.customer_id': customerId, 'payments.currency': currency })
    .where('payments.credit_minor', '>', 0)
    .select('payments.id', 'payments.credit_minor', db.raw(USED))
    .orderBy('payments.id')) as { id: number; credit_minor: number | string; used_minor: number | string }[];
  return rows
    .map((r) => ({ paymentId: Number(r.id), remainingMinor: Number(r.credit_minor) - Number(r.used_minor) }))
    .filter((s) => s.remainingMinor > 0);
}

/** Each customer's credit by currency (only currencies with credit left). One query for any number of customers. */
export async function creditBalances(db: Queryable, orgId: number, customerIds: readonly number[]): Promise<Map<number, Map<string, number>>> {
  const balances = new Map<number, Map<string, number>>();
  if (customerIds.length === 0) return balances;
  const rows = (await db('payments')
    .join('sales', 'sales.id', 'payments.sale_id')
    .where('payments.org_id', orgId)
    .whereIn('sales.customer_id', [...new Set(customerIds)])
    .where('payments.credit_minor', '>', 0)
    .select('sales.customer_id', 'payments.currency', 'payments.credit_minor', db.raw(USED))) as
    { customer_id: number; currency: string; credit_minor: number | string; used_minor: number | string }[];
  for (const r of rows) {
    const byCurrency = balances.get(Number(r.customer_id)) ?? new Map<string, number>();
    byCurrency.set(r.currency, (byCurrency.get(r.currency) ?? 0) + Number(r.credit_minor) - Number(r.used_minor));
    balances.set(Number(r.customer_id), byCurrency);
  }
  for (const [customerId, byCurrency] of balances) {
    for (const [currency, left] of byCurrency) if (left <= 0) byCurrency.delete(currency);
    if (byCurrency.size === 0) balances.delete(customerId);
  }
  return balances;
}

/**
 * Serialises spending of one customer's credit: on PostgreSQL two sales paid from the same credit at once
 * (each holding only its own sale's lock) would otherwise both see it unspent. SQLite runs one at a time.
 */
export async function lockCustomerCredit(trx: Trx, orgId: number, customerId: number): Promise<void> {
  if (isPostgres(trx)) await trx.raw('select pg_advisory_xact_lock(?::int, hashtext(?::text))', [orgId, `customer-credit:${customerId}`]);
}

export async function recordCreditUses(trx: Trx, orgId: number, paymentId: number, currency: string, draws: readonly CreditDraw[], now: number): Promise<void> {
  if (draws.length === 0) return;
  await trx('customer_credit_uses').insert(draws.map((d) => ({
    org_id: orgId, payment_id: paymentId, source_payment_id: d.paymentId, amount_minor: d.amountMinor, currency, created_at: now,
  })));
}

/** The overpayments each payment drew on (payments from credit only). */
export async function creditUsesOf(db: Queryable, paymentIds: readonly number[]): Promise<Map<number, CreditDraw[]>> {
  const uses = new Map<number, CreditDraw[]>();
  if (paymentIds.length === 0) return uses;
  const rows = (await db('customer_credit_uses').whereIn('payment_id', [...paymentIds]).orderBy('source_payment_id')) as
    { payment_id: number; source_payment_id: number; amount_minor: number | string }[];
  for (const r of rows) {
    const list = uses.get(Number(r.payment_id)) ?? [];
    list.push({ paymentId: Number(r.source_payment_id), amountMinor: Number(r.amount_minor) });
    uses.set(Number(r.payment_id), list);
  }
  return uses;
}

/** A payment from the customer's credit, with the request's fields to name when it is refused. */
export interface CreditSpend {
  amountMinor: number;
  methodPath: string;
  amountPath: string;
}

/**
 * Which of the customer's overpayments pay each spend, in order, oldest credit first: credit in the sale's
 * currency only (credit paid in another currency is never spent as if it were this one). Locks the customer's
 * credit for the transaction. 422 on the spend's method when there is none in this currency, on its amount when
 * what is left (after the spends before it) is too little.
 */
export async function drawCustomerCredit(
  trx: Trx, customer: { orgId: number; customerId: number; currency: string }, spends: readonly CreditSpend[],
): Promise<CreditDraw[][]> {
  if (spends.length === 0) return [];
  const { orgId, customerId, currency } = customer;
  await lockCustomerCredit(trx, orgId, customerId);
  let sources = await creditSources(trx, orgId, customerId, currency);
  const held = sources.reduce((sum, s) => sum + s.remainingMinor, 0);
  if (held === 0) {
    const other = (await trx('payments').join('sales', 'sales.id', 'payments.sale_id')
      .where({ 'payments.org_id': orgId, 'sales.customer_id': customerId }).where('payments.credit_minor', '>', 0)
      .whereNot('payments.currency', currency).distinct('payments.currency')) as { currency: string }[];
    const elsewhere = other.length ? ` (their credit is in ${other.map((o) => o.currency).sort().join(', ')}, which this ${currency} sale cannot use)` : '';
    throw new ValidationError([{ path: spends[0]!.methodPath, message: `the customer has no credit in ${currency}${elsewhere}` }]);
  }
  const all: CreditDraw[][] = [];
  for (const spend of spends) {
    const draws = drawCredit(sources, spend.amountMinor);
    if (!draws) throw new ValidationError([{ path: spend.amountPath, message: `is more than the customer's credit of ${formatMinor(held, currency)} ${currency}` }]);
    all.push(draws);
    const taken = new Map(draws.map((d) => [d.paymentId, d.amountMinor]));
    sources = sources.map((s) => ({ ...s, remainingMinor: s.remainingMinor - (taken.get(s.paymentId) ?? 0) })).filter((s) => s.remainingMinor > 0);
  }
  return all;
}
