// The sync engine's outbox handlers, by type. Each is one small service per step (see README.md); the
// retry policy is declared here: batches of 50 (Xero's advice per call), and more attempts than the
// host default because a rate-limit deferral spends one.
import type { OutboxHandler, PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { addHistoryNotes } from './historyNotes';
import { pushCreditNotes } from './pushCreditNotes';
import { pushInvoices } from './pushInvoices';
import { pushPayments } from './pushPayments';
import { createSyncServices, type SyncServiceOptions } from './services';
import { CREDIT_NOTE_PUSH, HISTORY_NOTE, INVOICE_PUSH, PAYMENT_PUSH, type CreditNotePushPayload, type HistoryNotePayload, type InvoicePushPayload, type PaymentPushPayload } from './types';

export const SYNC_BATCH_SIZE = 50;
export const SYNC_MAX_ATTEMPTS = 30;

export function syncHandlers(ctx: PluginContext<XeroConfig>, opts: SyncServiceOptions = {}): Record<string, OutboxHandler> {
  const svc = createSyncServices(ctx, opts);
  const invoice: OutboxHandler<InvoicePushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: (items, h) => pushInvoices(svc, items, h) };
  const creditNote: OutboxHandler<CreditNotePushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: (items, h) => pushCreditNotes(svc, items, h) };
  const payment: OutboxHandler<PaymentPushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: (items, h) => pushPayments(svc, items, h) };
  const history: OutboxHandler<HistoryNotePayload> = { batchSize: 10, maxAttempts: 100, handle: (items, h) => addHistoryNotes(svc, items, h) };
  return {
    [INVOICE_PUSH]: invoice as OutboxHandler,
    [CREDIT_NOTE_PUSH]: creditNote as OutboxHandler,
    [PAYMENT_PUSH]: payment as OutboxHandler,
    [HISTORY_NOTE]: history as OutboxHandler,
  };
}
