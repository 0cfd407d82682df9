// The sync's outbox handlers, by type. Each is one small service per step (see README.md); batches of 50
// (Xero's advice per call), and more attempts than the host default because a rate-limit deferral spends
// one. The retry delays are the engine's (engine/retryPolicy.ts).
import type { OutboxHandler } from '../../../server/plugins/contract';
import type { XeroServices } from '../engine/services';
import { withRetryPolicy } from '../engine/retryPolicy';
import { addHistoryNotes, HISTORY_NOTE_BATCH } from './historyNotes';
import { pushCreditNotes } from './creditNotes/push';
import { pushInvoices } from './invoices/push';
import { pushPayments } from './payments/push';
import { pushDeposits } from './deposits/push';
import { attachReceipts, RECEIPT_BATCH } from './receipts';
import {
  CREDIT_NOTE_PUSH, DEPOSIT_PUSH, HISTORY_NOTE, INVOICE_PUSH, PAYMENT_PUSH, RECEIPT_ATTACH,
  type CreditNotePushPayload, type DepositPushPayload, type HistoryNotePayload, type InvoicePushPayload, type PaymentPushPayload, type ReceiptAttachPayload,
} from './types';

export const SYNC_BATCH_SIZE = 50;
export const SYNC_MAX_ATTEMPTS = 50;

export function syncHandlers(svc: XeroServices): Record<string, OutboxHandler> {
  const invoice: OutboxHandler<InvoicePushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: withRetryPolicy((items, h) => pushInvoices(svc, items, h)) };
  const creditNote: OutboxHandler<CreditNotePushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: withRetryPolicy((items, h) => pushCreditNotes(svc, items, h)) };
  const payment: OutboxHandler<PaymentPushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: withRetryPolicy((items, h) => pushPayments(svc, items, h)) };
  // One sale per item, 50 at a time like the others: the batch's prepayments go in one call (deposits/prepayments.ts).
  const deposit: OutboxHandler<DepositPushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: withRetryPolicy((items, h) => pushDeposits(svc, items, h)) };
  const history: OutboxHandler<HistoryNotePayload> = { batchSize: HISTORY_NOTE_BATCH, maxAttempts: 100, handle: withRetryPolicy((items, h) => addHistoryNotes(svc, items, h)) };
  const receipt: OutboxHandler<ReceiptAttachPayload> = { batchSize: RECEIPT_BATCH, maxAttempts: SYNC_MAX_ATTEMPTS, handle: withRetryPolicy((items, h) => attachReceipts(svc, items, h)) };
  return {
    [INVOICE_PUSH]: invoice as OutboxHandler,
    [CREDIT_NOTE_PUSH]: creditNote as OutboxHandler,
    [PAYMENT_PUSH]: payment as OutboxHandler,
    [HISTORY_NOTE]: history as OutboxHandler,
    [DEPOSIT_PUSH]: deposit as OutboxHandler,
    [RECEIPT_ATTACH]: receipt as OutboxHandler,
  };
}
