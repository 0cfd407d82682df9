// Outbox handlers: all GoCardless network I/O for webhooks and the sweep happens here, retried by the
// outbox (RetryableError), paused when the token is refused (AuthRevokedError), failed for a person to read
// otherwise.
import { AppError, ValidationError } from '../../server/errors';
import type { OutboxHandler, OutboxItem, PluginContext } from '../../server/plugins/contract';
import type { GoCardlessConfig } from './config';
import { PAYMENT_RECORD, PAYOUT_INGEST, type PaymentRecordPayload, type PayoutIngestPayload } from './events';
import { ingestPayout } from './payouts/ingest';
import { recordSalePayment } from './payments';
import { clientFor, getSettings } from './settings';

export function gocardlessHandlers(ctx: PluginContext<GoCardlessConfig>): Record<string, OutboxHandler> {
  const clientOf = async (item: OutboxItem) => {
    if (item.orgId === null) return null;
    const settings = await getSettings(ctx.db, item.orgId);
    return settings ? { orgId: item.orgId, client: await clientFor(ctx.db, ctx.secrets, ctx.config, settings) } : null;
  };
  const notConfigured = { status: 'failed' as const, error: 'GoCardless is not connected for this organisation (settings were removed)' };
  return {
    [PAYOUT_INGEST]: {
      async handle(items) {
        const out = [];
        for (const item of items as OutboxItem<PayoutIngestPayload>[]) {
          const c = await clientOf(item);
          if (!c) {
            out.push(notConfigured);
            continue;
          }
          await ingestPayout(ctx, c.orgId, c.client, item.payload.payoutId);
          out.push({ status: 'done' as const });
        }
        return out;
      },
    },
    [PAYMENT_RECORD]: {
      async handle(items) {
        const out = [];
        for (const item of items as OutboxItem<PaymentRecordPayload>[]) {
          const c = await clientOf(item);
          if (!c) {
            out.push(notConfigured);
            continue;
          }
          try {
            await recordSalePayment(ctx, c.orgId, c.client, item.payload.paymentId);
            out.push({ status: 'done' as const });
          } catch (err) {
            // The host refused it (unknown sale, wrong currency, over-payment): retrying will not help.
            if (!(err instanceof AppError)) throw err;
            const issues = err instanceof ValidationError ? ` (${err.issues.map((i) => `${i.path}: ${i.message}`).join('; ')})` : '';
            out.push({ status: 'failed' as const, error: `Payment ${item.payload.paymentId}: ${err.message}${issues}` });
          }
        }
        return out;
      },
    },
  };
}
