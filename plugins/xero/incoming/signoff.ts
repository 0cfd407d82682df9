// The sign-off case (issue 15): a payout line matched onto one of our invoices (signed off by a person, or
// matched automatically) is paid in Xero by the payout posting; the sale records that payment in the same
// flow, as "Paid in Xero", instead of waiting for Xero's webhook to tell us. The webhook that follows finds
// it already on the sale (same PaymentID) and changes nothing.
import { AppError } from '../../../server/errors';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import type { XeroPayment } from '../gateway/documents';
import { paidInXeroNote, XERO_METHOD, xeroCentsToMinor } from './reconcile';

type Ctx = Pick<PluginContext<XeroConfig>, 'db' | 'records' | 'payments' | 'organisations' | 'clock' | 'logger'>;

export async function recordPayoutPaymentOnSale(ctx: Ctx, orgId: number, payment: XeroPayment, xeroPaymentId: string, provider: string): Promise<void> {
  const invoiceId = payment.Invoice?.InvoiceID;
  if (!invoiceId) return;
  const record = (await ctx.db('xero_records').where({ org_id: orgId, record_type: 'invoice', entity_type: 'sale' })
    .whereRaw('lower(xero_id) = ?', [invoiceId.toLowerCase()]).first('entity_id')) as { entity_id: number } | undefined;
  if (!record) return;
  const saleId = Number(record.entity_id);
  const sale = await ctx.records.sale(ctx.db, orgId, saleId);
  if (!sale) return;
  const amountMinor = xeroCentsToMinor(Math.round(payment.Amount * 100), sale.currency);
  if (amountMinor === null || amountMinor <= 0) return;
  const paidAt = Date.parse(`${payment.Date.slice(0, 10)}T12:00:00Z`);
  const receivedAt = Math.min(Number.isFinite(paidAt) ? paidAt : ctx.clock.now(), ctx.clock.now());
  const org = await ctx.organisations.get(ctx.db, orgId);
  try {
    await ctx.payments.record(orgId, saleId, {
      method: XERO_METHOD, amountMinor, currency: sale.currency, providerRef: xeroPaymentId, receivedAt,
      sourceNote: paidInXeroNote({ reference: `${provider} payout`, date: receivedAt }, org.timeZone),
    });
  } catch (err) {
    // The host refused it (more than is outstanding: paid here meanwhile): Xero has it; the sale page keeps
    // what it had. Said in the log; the webhook's read-back will not add it either.
    if (err instanceof AppError && err.statusCode < 500) {
      ctx.logger.warn({ orgId, saleId, xeroPaymentId, problem: err.message }, 'a payout payment made in Xero could not be recorded on its sale');
      return;
    }
    throw err;
  }
}
