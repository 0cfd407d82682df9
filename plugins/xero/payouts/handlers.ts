// Payout reconciliation's outbox handler: one payout per item (each is up to hundreds of Xero records,
// batched inside), retried on the sync's schedule (engine/retryPolicy.ts). payload.fx is not the payout
// itself but one converted charge or waiting refund of a known sale, queued on the sale's subject (fx.ts).
import type { OutboxHandler } from '../../../server/plugins/contract';
import type { XeroServices } from '../engine/services';
import { withRetryPolicy } from '../engine/retryPolicy';
import { postConvertedCharge } from './fx';
import { PAYOUT_MAX_ATTEMPTS, postPayout } from './post';
import { PAYOUT_POST, type PayoutPostPayload } from './store';

export function payoutHandlers(svc: XeroServices): Record<string, OutboxHandler> {
  const payout: OutboxHandler<PayoutPostPayload> = {
    batchSize: 1,
    maxAttempts: PAYOUT_MAX_ATTEMPTS,
    handle: withRetryPolicy((items, hctx) => Promise.all(items.map((i) => (i.payload.fx ? postConvertedCharge(svc, i, hctx) : postPayout(svc, i, hctx))))),
  };
  return { [PAYOUT_POST]: payout as OutboxHandler };
}
