// Recording money received against a sale after the fact (a card terminal settling, a direct debit
// collected). What is outstanding follows balance.ts (a refund with a method gave money back, so it does not
// reduce what is payable). A payment above it, taken at the desk or through the API, pays the sale up to
// what is outstanding and keeps the excess as the customer's credit (payments.credit_minor, in the
// payment's currency); a payment with method "customer_credit" spends that credit on a later sale of the
// same customer. Provider payments (webhooks, payouts) stay strict: never more than is outstanding. A
// provider reference identifies one payment, so a webhook delivered twice records it once.
import { ConflictError, ValidationError } from '../errors';
import { nowMs, type Trx } from '../db/knex';
import type { Principal } from '../auth/principal';
import { saleNameById } from './saleName';
import { balanceDueMinor } from './balance';
import { CUSTOMER_CREDIT_METHOD, drawCustomerCredit, recordCreditUses } from './customerCredit';
import { formatMinor } from './money';
import { splitPayment } from './overpayment';
import { validatePaymentInput, type ValidPaymentRequest } from './saleSchemas';
import { actorOf, findSaleRow, loadSaleSnapshot, paymentSnapshot, withTransaction, type PaymentRow, type SaleRow, type WriteOptions } from './saleRecords';
import type { SaleDeps } from './sales';
import { methodChoices } from './organisationMethods';
import { getOrganisation } from './organisations';
import { dayIn, redeemVouchers } from './vouchers';
import { getSale, paymentView, type PaymentView, type SaleView } from './saleView';

export interface PaymentResult {
  payment: PaymentView;
  sale: SaleView;
  /** False when this repeats an already recorded payment (same method and provider reference). */
  created: boolean;
}

export interface PaymentOptions extends WriteOptions {
  /**
   * 'credit' (the desk and the API): the excess over what is outstanding becomes the customer's credit, and
   * a payment may be taken from that credit. 'refuse' (provider payments): more than is outstanding is a 422.
   */
  overpayment?: 'credit' | 'refuse';
  /**
   * 'people' (the desk and the API, the default): methods only a plugin records ("Paid in Xero") are refused.
   * 'plugin': a plugin's own recording path (ctx.payments), which may name them.
   */
  recordedBy?: 'people' | 'plugin';
}

export async function recordPayment(deps: SaleDeps, principal: Principal, saleId: number, input: unknown, opts: PaymentOptions = {}): Promise<PaymentResult> {
  const now = opts.now ?? nowMs();
  const overpayment = opts.overpayment ?? 'credit';
  return withTransaction(deps.db, opts.trx, async (trx) => {
    const sale = await findSaleRow(trx, principal.orgId, saleId, { lock: true });
    const methods = await methodChoices(deps.paymentMethods, trx, sale.org_id, { recordedBy: opts.recordedBy ?? 'people' });
    // The customer's credit (their earlier overpayments) pays only where the excess may become credit.
    const enabled = overpayment === 'credit' ? [...methods.enabled, CUSTOMER_CREDIT_METHOD] : methods.enabled;
    const request = validatePaymentInput(input, sale.currency, enabled, now, methods.disabled, methods.pluginOnly);

    const repeat = await findRepeat(deps, trx, sale, request);
    if (repeat) return { payment: paymentView(repeat), sale: await getSale(trx, sale.org_id, sale.id), created: false };

    const refunds = (await trx('refunds').where({ sale_id: sale.id }).select('amount_minor', 'method')) as { amount_minor: number; method: string | null }[];
    const outstanding = balanceDueMinor({
      totalMinor: Number(sale.total_minor),
      paidMinor: Number(sale.paid_minor),
      refunds: refunds.map((r) => ({ amountMinor: Number(r.amount_minor), method: r.method })),
      // A booking cancelled with its deposit kept takes no more money.
      cancelled: sale.cancelled_at !== null && sale.cancelled_at !== undefined,
    });
    const money = (minor: number) => `${formatMinor(minor, sale.currency)} ${sale.currency}`;
    if (sale.cancelled_at !== null && sale.cancelled_at !== undefined) {
      throw new ValidationError([{ path: 'amount', message: 'the booking was cancelled with its deposit kept: it takes no more payments' }]);
    }
    // Credit is what is left over once a sale is paid: a payment to a sale owing nothing is refused, not banked.
    if (outstanding <= 0) {
      const cancelled = sale.cancelled_at !== null && sale.cancelled_at !== undefined;
      throw new ValidationError([{ path: 'amount', message: cancelled ? 'the booking was cancelled with its deposit kept: it takes no more payments' : 'nothing is outstanding on this sale' }]);
    }
    const fromCredit = request.method === CUSTOMER_CREDIT_METHOD;
    // Credit and a gift voucher are already the customer's money held by us: only cash-like money may overpay.
    if (request.amountMinor > outstanding && (overpayment === 'refuse' || fromCredit || request.voucherCode !== null)) {
      throw new ValidationError([{ path: 'amount', message: `is more than the ${money(outstanding)} outstanding on this sale` }]);
    }
    const split = splitPayment(request.amountMinor, outstanding);
    const [draws = []] = fromCredit
      ? await drawCustomerCredit(trx, { orgId: sale.org_id, customerId: sale.customer_id, currency: sale.currency }, [{ amountMinor: request.amountMinor, methodPath: 'method', amountPath: 'amount' }])
      : [];

    if (request.voucherCode !== null) {
      const { timezone } = await getOrganisation(trx, sale.org_id);
      await redeemVouchers(trx, sale.org_id, sale.currency, dayIn(now, timezone), [{ code: request.voucherCode, amountMinor: request.amountMinor, codePath: 'voucherCode', amountPath: 'amount' }]);
    }

    const [row] = (await trx('payments')
      .insert({
        org_id: sale.org_id,
        sale_id: sale.id,
        method: request.method,
        amount_minor: request.amountMinor,
        credit_minor: split.creditMinor,
        currency: sale.currency,
        provider_ref: request.providerRef,
        voucher_code: request.voucherCode,
        received_at: request.receivedAt ?? now,
        created_by: actorOf(principal),
        created_at: now,
      })
      .onConflict(['org_id', 'method', 'provider_ref'])
      .ignore()
      .returning('*')) as PaymentRow[];
    // No row: another sale recorded this provider reference between our check and insert.
    if (!row) throw await providerRefTaken(deps, trx, (await findByProviderRef(trx, sale.org_id, request))!, request);

    await recordCreditUses(trx, sale.org_id, row.id, sale.currency, draws, now);
    await trx('sales').where({ id: sale.id }).increment('paid_minor', split.appliedMinor);
    await deps.events.emit(
      trx,
      { type: 'payment.received', orgId: sale.org_id, occurredAt: now, data: { payment: paymentSnapshot(row, draws), sale: await loadSaleSnapshot(trx, sale) } },
      { type: 'payment', id: row.id },
    );
    return { payment: paymentView(row), sale: await getSale(trx, sale.org_id, sale.id), created: true };
  });
}

function findByProviderRef(trx: Trx, orgId: number, request: ValidPaymentRequest): Promise<PaymentRow | undefined> {
  return trx<PaymentRow>('payments').where({ org_id: orgId, method: request.method, provider_ref: request.providerRef! }).first() as Promise<PaymentRow | undefined>;
}

/** The same payment seen before; a provider reference reused for something else is a conflict. */
async function findRepeat(deps: Pick<SaleDeps, 'paymentMethods'>, trx: Trx, sale: SaleRow, request: ValidPaymentRequest): Promise<PaymentRow | null> {
  if (request.providerRef === null) return null;
  const existing = await findByProviderRef(trx, sale.org_id, request);
  if (!existing) return null;
  if (existing.sale_id !== sale.id || Number(existing.amount_minor) !== request.amountMinor) throw await providerRefTaken(deps, trx, existing, request);
  return existing;
}

/** Names the method as people write it ("Card terminal") and the other sale by its one name. */
async function providerRefTaken(deps: Pick<SaleDeps, 'paymentMethods'>, trx: Trx, existing: PaymentRow, request: ValidPaymentRequest): Promise<ConflictError> {
  return new ConflictError(
    `Payment "${request.providerRef}" (${deps.paymentMethods.get(request.method)?.label ?? request.method}) is already recorded as payment ${existing.id} ` +
      `(${formatMinor(Number(existing.amount_minor), existing.currency)} ${existing.currency} on ${await saleNameById(trx, existing.org_id, existing.sale_id)})`,
    'PAYMENT_PROVIDER_REF_TAKEN',
    { paymentId: existing.id, saleId: existing.sale_id },
  );
}
