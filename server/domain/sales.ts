// Recording a sale: validate everything first (nothing is written for a bad body), then write the
// customer, sale, lines and any payments and emit the events in ONE transaction, so a plugin's outbox
// rows commit with the sale or not at all.
import { ConflictError, ValidationError } from '../errors';
import { unknownTaxCodeIssues } from '../plugins/taxCodes';
import { recordableByPeople } from '../plugins/paymentMethods';
import { nowMs, type Queryable, type Trx } from '../db/knex';
import type { HostDeps } from '../hostDeps';
import type { Principal } from '../auth/principal';
import { findOrCreateCustomer } from './customers';
import { methodChoices } from './organisationMethods';
import { getOrganisation } from './organisations';
import { createVouchersForSale, dayIn, redeemVouchers } from './vouchers';
import { CUSTOMER_CREDIT_METHOD, drawCustomerCredit, recordCreditUses } from './customerCredit';
import type { CreditDraw } from './overpayment';
import type { SaleSnapshot } from './events';
import { validateSaleInput, type ValidSale } from './saleSchemas';
import { saleName, saleNameById } from './saleName';
import { actorOf, lineSnapshot, paymentSnapshot, withTransaction, type PaymentRow, type SaleLineRow, type SaleRow, type WriteOptions } from './saleRecords';
import { getSale, type SaleView } from './saleView';

/** `plugins`: when given, lines' tax codes are checked against what the installed plugins can post. */
export type SaleDeps = Pick<HostDeps, 'db' | 'events' | 'paymentMethods'> & Partial<Pick<HostDeps, 'plugins'>>;

/** The install's payment method ids people may record (the API document's examples): not those only a plugin records. */
export const methodIds = (deps: Pick<SaleDeps, 'paymentMethods'>): string[] => deps.paymentMethods.list().filter(recordableByPeople).map((m) => m.id);

export async function createSale(deps: SaleDeps, principal: Principal, input: unknown, opts: WriteOptions = {}): Promise<SaleView> {
  const now = opts.now ?? nowMs();
  const methods = await methodChoices(deps.paymentMethods, opts.trx ?? deps.db, principal.orgId);
  // A payment may come from the customer's credit (their earlier overpayments), as on a later payment.
  const sale = validateSaleInput(input, [...methods.enabled, CUSTOMER_CREDIT_METHOD], now, methods.disabled, methods.pluginOnly);
  await refuseUnknownTaxCodes(deps, opts.trx ?? deps.db, principal.orgId, sale.lines);
  return withTransaction(deps.db, opts.trx, async (trx) => {
    const saleId = await writeSale(deps, trx, principal, sale, now);
    return getSale(trx, principal.orgId, saleId);
  });
}

async function writeSale(deps: SaleDeps, trx: Trx, principal: Principal, sale: ValidSale, now: number): Promise<number> {
  const orgId = principal.orgId;
  const actor = actorOf(principal);
  await rejectTakenPaymentRefs(deps, trx, orgId, sale);
  const customer = await findOrCreateCustomer(trx, orgId, sale.customer);
  const occurredAt = sale.occurredAt ?? now;
  const paidMinor = sale.payments.reduce((sum, p) => sum + p.amountMinor, 0);

  // ON CONFLICT DO NOTHING rather than a read-then-insert: under concurrency on PostgreSQL the loser
  // waits for the winner's commit and gets no row back, instead of a failed (aborted) transaction.
  const [saleRow] = (await trx('sales')
    .insert({
      org_id: orgId,
      customer_id: customer.id,
      reference: sale.reference,
      currency: sale.currency,
      total_minor: sale.totalMinor,
      paid_minor: paidMinor,
      refunded_minor: 0,
      status: 'completed',
      occurred_at: occurredAt,
      service_date: sale.serviceDate,
      created_by: actor,
      created_at: now,
    })
    .onConflict(['org_id', 'reference'])
    .ignore()
    .returning('*')) as SaleRow[];
  if (!saleRow) throw await referenceTaken(trx, orgId, sale.reference);

  const lineRows = (await trx('sale_lines')
    .insert(
      sale.lines.map((line) => ({
        sale_id: saleRow.id,
        position: line.position,
        description: line.description,
        quantity: line.quantity.text,
        unit_price_minor: line.unitPriceMinor,
        discount_rate: line.discount?.text ?? null,
        category: line.category,
        tax_code: line.taxCode,
        kind: line.kind,
        line_total_minor: line.lineTotalMinor,
        refunded_minor: 0,
      })),
    )
    .returning('*')) as SaleLineRow[];

  const { timezone } = await getOrganisation(trx, orgId);
  await createVouchersForSale(trx, { id: saleRow.id, org_id: orgId, currency: sale.currency, occurredAt, timeZone: timezone }, lineRows, now);
  await redeemVouchers(trx, orgId, sale.currency, dayIn(now, timezone), sale.payments.flatMap((p, index) => (p.voucherCode === null ? [] : [{
    code: p.voucherCode, amountMinor: p.amountMinor, codePath: `payments.${index}.voucherCode`, amountPath: `payments.${index}.amount`,
  }])));

  // Which earlier overpayments pay each payment from credit (422 naming payments.N when there is too little).
  const creditPayments = sale.payments.flatMap((p, index) => (p.method === CUSTOMER_CREDIT_METHOD ? [index] : []));
  const creditDraws = await drawCustomerCredit(trx, { orgId, customerId: customer.id, currency: sale.currency },
    creditPayments.map((index) => ({ amountMinor: sale.payments[index]!.amountMinor, methodPath: `payments.${index}.method`, amountPath: `payments.${index}.amount` })));
  const drawsOf = new Map(creditPayments.map((index, i) => [index, creditDraws[i]!]));

  const paymentRows = sale.payments.length
    ? ((await trx('payments')
        .insert(
          sale.payments.map((p) => ({
            org_id: orgId,
            sale_id: saleRow.id,
            method: p.method,
            amount_minor: p.amountMinor,
            currency: sale.currency,
            provider_ref: p.providerRef,
            voucher_code: p.voucherCode,
            received_at: occurredAt,
            created_by: actor,
            created_at: now,
          })),
        )
        .onConflict(['org_id', 'method', 'provider_ref'])
        .ignore()
        .returning('*')) as PaymentRow[])
    : [];
  // Fewer rows back means a concurrent request recorded one of these provider references first.
  if (paymentRows.length < sale.payments.length) await rejectTakenPaymentRefs(deps, trx, orgId, sale, new Set(paymentRows.map((p) => p.id)));
  // Rows come back one per payment, in the order inserted (ids ascending): the request's order.
  const ordered = [...paymentRows].sort((a, b) => a.id - b.id);
  const paymentDraws = new Map<number, CreditDraw[]>();
  for (const [index, row] of ordered.entries()) {
    const draws = drawsOf.get(index);
    if (!draws) continue;
    await recordCreditUses(trx, orgId, row.id, sale.currency, draws, now);
    paymentDraws.set(row.id, draws);
  }

  const snapshot: SaleSnapshot = {
    id: saleRow.id,
    orgId,
    reference: sale.reference,
    currency: sale.currency,
    totalMinor: sale.totalMinor,
    occurredAt,
    serviceDate: sale.serviceDate,
    customer: { id: customer.id, name: customer.name, email: customer.email },
    lines: [...lineRows].sort((a, b) => a.position - b.position).map(lineSnapshot),
  };
  // sale.completed first: a subscriber pushing the invoice can rely on it existing before its payments.
  await deps.events.emit(trx, { type: 'sale.completed', orgId, occurredAt: now, data: { sale: snapshot } }, { type: 'sale', id: saleRow.id });
  for (const payment of ordered) {
    await deps.events.emit(
      trx,
      { type: 'payment.received', orgId, occurredAt: now, data: { payment: paymentSnapshot(payment, paymentDraws.get(payment.id)), sale: snapshot } },
      { type: 'payment', id: payment.id },
    );
  }
  return saleRow.id;
}

/**
 * A line whose tax code no installed plugin can post is refused (422 naming the line, listing the known
 * codes): recorded, it would make a "completed" sale whose invoice fails downstream until someone notices.
 */
async function refuseUnknownTaxCodes(deps: SaleDeps, db: Queryable, orgId: number, lines: readonly { taxCode: string | null }[]): Promise<void> {
  if (!deps.plugins || lines.every((l) => l.taxCode === null)) return;
  const known = await deps.plugins.taxCodes.known(db, orgId);
  if (known === null) return;
  const issues = unknownTaxCodeIssues(lines, known);
  if (issues.length) throw new ValidationError(issues, `Unknown tax code: ${issues.length === 1 ? 'a line carries' : 'lines carry'} a tax code this organisation has not mapped`);
}

async function referenceTaken(trx: Trx, orgId: number, reference: string | null): Promise<ConflictError> {
  const existing = (await trx('sales').where({ org_id: orgId, reference }).first('id')) as { id: number } | undefined;
  // The sale that holds it goes by that reference ("Sale DUP-1", saleName.ts); its id is in the details.
  return new ConflictError(`Reference "${reference}" is already used by ${saleName({ id: existing?.id ?? 0, reference })}`, 'SALE_REFERENCE_TAKEN', {
    reference,
    saleId: existing?.id ?? null,
  });
}

/** A provider reference (a Stripe charge id…) records one payment; a second sale cannot claim it. */
async function rejectTakenPaymentRefs(deps: Pick<SaleDeps, 'paymentMethods'>, trx: Trx, orgId: number, sale: ValidSale, ownPaymentIds = new Set<number>()): Promise<void> {
  for (const [index, p] of sale.payments.entries()) {
    if (p.providerRef === null) continue;
    const existing = (await trx('payments').where({ org_id: orgId, method: p.method, provider_ref: p.providerRef }).first('id', 'sale_id')) as
      | { id: number; sale_id: number }
      | undefined;
    if (existing && !ownPaymentIds.has(existing.id)) {
      throw new ConflictError(
        `Payment "${p.providerRef}" (${deps.paymentMethods.get(p.method)?.label ?? p.method}) is already recorded (payment ${existing.id} on ${await saleNameById(trx, orgId, existing.sale_id)})`,
        'PAYMENT_PROVIDER_REF_TAKEN',
        { path: `payments.${index}.providerRef`, paymentId: existing.id, saleId: existing.sale_id },
      );
    }
  }
}
