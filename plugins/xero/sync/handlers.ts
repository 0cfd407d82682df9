// The sync engine's outbox handlers, by type. Each is one small service per step (see README.md); the
// retry policy is declared here: batches of 50 (Xero's advice per call), and more attempts than the
// host default because a rate-limit deferral spends one.
import type { OutboxHandler, OutboxHandlerContext, OutboxItem, OutboxOutcome, PluginContext } from '../../../server/plugins/contract';
import { RetryableError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { addHistoryNotes } from './historyNotes';
import { pushCreditNotes } from './pushCreditNotes';
import { pushInvoices } from './pushInvoices';
import { pushPayments } from './pushPayments';
import { createSyncServices, type SyncServiceOptions } from './services';
import { payoutHandler } from '../payouts/post';
import { PAYOUT_POST } from '../payouts/store';
import { CREDIT_NOTE_PUSH, HISTORY_NOTE, INVOICE_PUSH, PAYMENT_PUSH, type CreditNotePushPayload, type HistoryNotePayload, type InvoicePushPayload, type PaymentPushPayload } from './types';

export const SYNC_BATCH_SIZE = 50;
export const SYNC_MAX_ATTEMPTS = 50;
/** Transient failures (5xx, timeouts, network) back off 0.5 s, 1 s, 2 s … up to a minute, jittered. */
export const SYNC_RETRY_BASE_MS = 500;
export const SYNC_RETRY_CAP_MS = 60_000;

/**
 * The sync's retry policy, declared here rather than left to the host default (which grows to an hour):
 * Xero's transient failures are short, and the reconcile-before-retry lookup makes retrying safe, so a
 * failed call comes back within a minute at most; 50 attempts cover roughly 45 minutes of Xero outage
 * before an item is shown to the admin as failed. A wait Xero or the rate budget named (Retry-After) wins.
 */
export function syncRetryDelayMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(SYNC_RETRY_CAP_MS, SYNC_RETRY_BASE_MS * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function withRetryPolicy<P>(handle: (items: OutboxItem<P>[], h: OutboxHandlerContext) => Promise<OutboxOutcome[]>) {
  return async (items: OutboxItem<P>[], h: OutboxHandlerContext): Promise<OutboxOutcome[]> => {
    const attempts = Math.max(...items.map((i) => i.attempts));
    try {
      const outcomes = await handle(items, h);
      return outcomes.map((o, i) => (o.status === 'retry' && o.retryAfterMs === undefined ? { ...o, retryAfterMs: syncRetryDelayMs(items[i]!.attempts) } : o));
    } catch (err) {
      if (err instanceof RetryableError && err.retryAfterMs === undefined) throw new RetryableError(err.message, { retryAfterMs: syncRetryDelayMs(attempts), cause: err });
      if (!(err instanceof Error) || err.name === 'Error' || err.name === 'TypeError') {
        // Anything unexpected is retried too, on the same schedule (and logged by the worker).
        throw new RetryableError(err instanceof Error ? err.message : String(err), { retryAfterMs: syncRetryDelayMs(attempts), cause: err });
      }
      throw err;
    }
  };
}

export function syncHandlers(ctx: PluginContext<XeroConfig>, opts: SyncServiceOptions = {}): Record<string, OutboxHandler> {
  const svc = createSyncServices(ctx, opts);
  const invoice: OutboxHandler<InvoicePushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: withRetryPolicy((items, h) => pushInvoices(svc, items, h)) };
  const creditNote: OutboxHandler<CreditNotePushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: withRetryPolicy((items, h) => pushCreditNotes(svc, items, h)) };
  const payment: OutboxHandler<PaymentPushPayload> = { batchSize: SYNC_BATCH_SIZE, maxAttempts: SYNC_MAX_ATTEMPTS, handle: withRetryPolicy((items, h) => pushPayments(svc, items, h)) };
  const history: OutboxHandler<HistoryNotePayload> = { batchSize: 10, maxAttempts: 100, handle: withRetryPolicy((items, h) => addHistoryNotes(svc, items, h)) };
  return {
    [INVOICE_PUSH]: invoice as OutboxHandler,
    [CREDIT_NOTE_PUSH]: creditNote as OutboxHandler,
    [PAYMENT_PUSH]: payment as OutboxHandler,
    [HISTORY_NOTE]: history as OutboxHandler,
    // Payout reconciliation (../payouts): one payout per item, retried on the sync's schedule.
    [PAYOUT_POST]: { ...payoutHandler(svc), handle: withRetryPolicy((items, h) => payoutHandler(svc).handle(items as OutboxItem<never>[], h)) } as OutboxHandler,
  };
}
