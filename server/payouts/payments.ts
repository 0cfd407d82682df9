// Provider payments recorded on our sales (a Stripe charge or GoCardless payment whose metadata names the
// sale): the host's own recordPayment, acting as the system, so the same rules apply (never more than is
// outstanding) and the same event (payment.received) reaches the plugins. Idempotent on the provider
// reference: a webhook delivered twice records the payment once. The payment's own currency is checked
// against the sale's by recordPayment: money paid in another currency is refused, never recorded as if it
// were the sale's (the provider's payout converts it; the plugin takes that path or shows the reason).
import { NotFoundError, ValidationError } from '../errors';
import type { Db } from '../db/knex';
import type { EventBus } from '../domain/eventBus';
import { formatMinor } from '../domain/money';
import { isCurrencyCode } from '../domain/currency';
import type { PaymentMethodCatalogue } from '../plugins/contract';
import { recordPayment } from '../domain/payments';
import { findSaleRow } from '../domain/saleRecords';
import type { Principal } from '../auth/principal';
import type { ProviderPaymentInput, ProviderPayments } from './types';

export interface ProviderPaymentsDeps {
  db: Db;
  events: EventBus;
  paymentMethods: PaymentMethodCatalogue;
}

/** The actor of payments a provider reported: not a person, not a token; `created_by` reads "system:0". */
export function systemPrincipal(orgId: number): Principal {
  return { kind: 'system', id: 0, orgId, role: 'admin', name: 'payment provider' };
}

export function createProviderPayments(deps: ProviderPaymentsDeps): ProviderPayments {
  return {
    async record(orgId: number, saleId: number, input: ProviderPaymentInput) {
      if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor <= 0) {
        throw new ValidationError([{ path: 'amountMinor', message: 'must be a positive integer (minor units)' }]);
      }
      if (!Number.isFinite(input.receivedAt)) throw new ValidationError([{ path: 'receivedAt', message: 'must be epoch milliseconds' }]);
      if (typeof input.currency !== 'string' || !isCurrencyCode(input.currency)) {
        throw new ValidationError([{ path: 'currency', message: 'must be an upper-case ISO 4217 code' }]);
      }
      return deps.db.transaction(async (trx) => {
        const result = await recordPayment(
          deps,
          systemPrincipal(orgId),
          saleId,
          {
            method: input.method,
            // In the payment's own currency: recordPayment refuses it unless that is the sale's.
            amount: formatMinor(input.amountMinor, input.currency),
            currency: input.currency,
            providerRef: input.providerRef,
            receivedAt: new Date(input.receivedAt).toISOString(),
          },
          // A provider's payment is never more than its sale owes: excess is not banked as credit here.
          // A plugin's own path: it may record the methods only it records ("Paid in Xero").
          { trx, overpayment: 'refuse', recordedBy: 'plugin' },
        );
        if (result.created && input.sourceNote) {
          await trx('payments').where({ id: result.payment.id }).update({ source_note: input.sourceNote.slice(0, 200) });
        }
        return { paymentId: result.payment.id, created: result.created };
      });
    },
    async remove(orgId, input) {
      if (!input.providerRef) throw new ValidationError([{ path: 'providerRef', message: 'is required' }]);
      return deps.db.transaction(async (trx) => {
        const row = (await trx('payments').where({ org_id: orgId, method: input.method, provider_ref: input.providerRef }).first()) as
          { id: number; sale_id: number; amount_minor: number | string; credit_minor?: number | string } | undefined;
        if (!row) return { removed: false, saleId: null };
        // Lock the sale first (as recordPayment does), so a payment being recorded meanwhile sees the new figure.
        await findSaleRow(trx, orgId, row.sale_id, { lock: true });
        await trx('payments').where({ id: row.id }).del();
        // Only what paid the sale was added to it (a part kept as credit never was).
        await trx('sales').where({ id: row.sale_id }).decrement('paid_minor', Number(row.amount_minor) - Number(row.credit_minor ?? 0));
        return { removed: true, saleId: row.sale_id };
      });
    },
    async noteRefundState(orgId, refundId, state) {
      if (state !== null && (typeof state !== 'string' || state.trim() === '' || state.length > 300)) {
        throw new ValidationError([{ path: 'state', message: 'must be null or 1 to 300 characters' }]);
      }
      if (!Number.isSafeInteger(refundId) || refundId <= 0) throw new ValidationError([{ path: 'refundId', message: 'must be a positive integer' }]);
      const row = (await deps.db('refunds').where({ org_id: orgId, id: refundId }).first('downstream_state')) as { downstream_state: string | null } | undefined;
      if (!row) throw new NotFoundError(`Refund ${refundId}`);
      if ((row.downstream_state ?? null) === state) return { changed: false };
      await deps.db('refunds').where({ org_id: orgId, id: refundId }).update({ downstream_state: state });
      return { changed: true };
    },
  };
}
