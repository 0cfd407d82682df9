// Recording money received against a sale after the fact (a card terminal settling, a direct debit
// collected). Strict: never more than is outstanding (balance.ts: a refund with a method gave money back,
// so it does not reduce what is payable). A provider reference identifies one payment, so a webhook
// delivered twice records it once.
import { ConflictError, ValidationError } from '../errors';
import { nowMs, type Trx } from '../db/knex';
import type { Principal } from '../auth/principal';
import { balanceDueMinor } from './balance';
import { formatMinor } from './money';
import { validatePaymentInput, type ValidPaymentRequest } from './saleSchemas';
import { actorOf, findSaleRow, loadSaleSnapshot, paymentSnapshot, withTransaction, type PaymentRow, type SaleRow, type WriteOptions } from './saleRecords';
import { methodIds, type SaleDeps } from './sales';
import { getSale, paymentView, type PaymentView, type SaleView } from './saleView';

export interface PaymentResult {
  payment: PaymentView;
  sale: SaleView;
  /** False when this repeats an already recorded payment (same method and provider reference). */
  created: boolean;
}

export async function recordPayment(deps: SaleDeps, principal: Principal, saleId: number, input: unknown, opts: WriteOptions = {}): Promise<PaymentResult> {
  const now = opts.now ?? nowMs();
  return withTransaction(deps.db, opts.trx, async (trx) => {
    const sale = await findSaleRow(trx, principal.orgId, saleId, { lock: true });
    const request = validatePaymentInput(input, sale.currency, methodIds(deps), now);

    const repeat = await findRepeat(trx, sale, request);
    if (repeat) return { payment: paymentView(repeat), sale: await getSale(trx, sale.org_id, sale.id), created: false };

    const refunds = (await trx('refunds').where({ sale_id: sale.id }).select('amount_minor', 'method')) as { amount_minor: number; method: string | null }[];
    const outstanding = balanceDueMinor({
      totalMinor: Number(sale.total_minor),
      paidMinor: Number(sale.paid_minor),
      refunds: refunds.map((r) => ({ amountMinor: Number(r.amount_minor), method: r.method })),
      // A booking cancelled with its deposit kept takes no more money.
      cancelled: sale.cancelled_at !== null && sale.cancelled_at !== undefined,
    });
    if (request.amountMinor > outstanding) {
      const money = (minor: number) => `${formatMinor(minor, sale.currency)} ${sale.currency}`;
      throw new ValidationError([
        {
          path: 'amount',
          message: sale.cancelled_at !== null && sale.cancelled_at !== undefined ? 'the booking was cancelled with its deposit kept: it takes no more payments'
            : outstanding > 0 ? `is more than the ${money(outstanding)} outstanding on this sale` : 'nothing is outstanding on this sale',
        },
      ]);
    }

    const [row] = (await trx('payments')
      .insert({
        org_id: sale.org_id,
        sale_id: sale.id,
        method: request.method,
        amount_minor: request.amountMinor,
        currency: sale.currency,
        provider_ref: request.providerRef,
        received_at: request.receivedAt ?? now,
        created_by: actorOf(principal),
        created_at: now,
      })
      .onConflict(['org_id', 'method', 'provider_ref'])
      .ignore()
      .returning('*')) as PaymentRow[];
    // No row: another sale recorded this provider reference between our check and insert.
    if (!row) throw providerRefTaken((await findByProviderRef(trx, sale.org_id, request))!, request);

    await trx('sales').where({ id: sale.id }).increment('paid_minor', request.amountMinor);
    await deps.events.emit(
      trx,
      { type: 'payment.received', orgId: sale.org_id, occurredAt: now, data: { payment: paymentSnapshot(row), sale: await loadSaleSnapshot(trx, sale) } },
      { type: 'payment', id: row.id },
    );
    return { payment: paymentView(row), sale: await getSale(trx, sale.org_id, sale.id), created: true };
  });
}

function findByProviderRef(trx: Trx, orgId: number, request: ValidPaymentRequest): Promise<PaymentRow | undefined> {
  return trx<PaymentRow>('payments').where({ org_id: orgId, method: request.method, provider_ref: request.providerRef! }).first() as Promise<PaymentRow | undefined>;
}

/** The same payment seen before; a provider reference reused for something else is a conflict. */
async function findRepeat(trx: Trx, sale: SaleRow, request: ValidPaymentRequest): Promise<PaymentRow | null> {
  if (request.providerRef === null) return null;
  const existing = await findByProviderRef(trx, sale.org_id, request);
  if (!existing) return null;
  if (existing.sale_id !== sale.id || Number(existing.amount_minor) !== request.amountMinor) throw providerRefTaken(existing, request);
  return existing;
}

function providerRefTaken(existing: PaymentRow, request: ValidPaymentRequest): ConflictError {
  return new ConflictError(
    `Payment ${request.method} "${request.providerRef}" is already recorded as payment ${existing.id} ` +
      `(${formatMinor(Number(existing.amount_minor), existing.currency)} ${existing.currency} on sale ${existing.sale_id})`,
    'PAYMENT_PROVIDER_REF_TAKEN',
    { paymentId: existing.id, saleId: existing.sale_id },
  );
}
