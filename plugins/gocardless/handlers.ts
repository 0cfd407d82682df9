// Outbox handlers (provider kit's work handler): all GoCardless network I/O for webhooks and the sweep
// happens here, retried by the outbox (RetryableError), paused when the token is refused (AuthRevokedError),
// failed for a person to read otherwise (GoCardless's or the host's own words).
import type { OutboxHandler, PluginContext } from '../../server/plugins/contract';
import { workHandler } from '../providerKit';
import type { GoCardlessClient } from './client';
import type { GoCardlessConfig } from './config';
import { PAYMENT_RECORD, PAYOUT_INGEST, type PaymentRecordPayload, type PayoutIngestPayload } from './events';
import { ingestPayout } from './payouts/ingest';
import { recordSalePayment } from './payments';
import { clientFor } from './settings';

export function gocardlessHandlers(ctx: PluginContext<GoCardlessConfig>): Record<string, OutboxHandler> {
  const connect = (orgId: number) => clientFor(ctx, orgId);
  return {
    [PAYOUT_INGEST]: workHandler<PayoutIngestPayload, GoCardlessClient>('GoCardless', {
      connect, describe: (p) => `Payout ${p.payoutId}`,
      run: async (client, orgId, p) => {
        await ingestPayout(ctx, orgId, client, p.payoutId);
      },
    }),
    [PAYMENT_RECORD]: workHandler<PaymentRecordPayload, GoCardlessClient>('GoCardless', {
      connect, describe: (p) => `Payment ${p.paymentId}`,
      run: async (client, orgId, p) => {
        await recordSalePayment(ctx, orgId, client, p.paymentId);
      },
    }),
  };
}
