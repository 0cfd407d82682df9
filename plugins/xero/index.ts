// The Xero plugin: wiring only. The layout (README.md): gateway/ calls Xero, connection/ connects, engine/ is
// what every step uses, sync/ and payouts/ do the work (handlers.ts), pages in routes/ with views/.
import { onVoucherExpired } from './sync/voucherJournals';
import { fileURLToPath } from 'node:url';
import { definePlugin } from '../../server/plugins/contract';
import { XeroConfigSchema, type XeroConfig } from './config';
import { xero0001 } from './migrations/0001_connections';
import { xeroRoutes } from './routes';
import { registerXeroCommands } from './cli';
import { xero0002 } from './migrations/0002_sync';
import { xero0003 } from './migrations/0003_mappings';
import { xero0004 } from './migrations/0004_schedule_backfill';
import { xero0005 } from './migrations/0005_payouts';
import { xero0006 } from './migrations/0006_send_marks';
import { xero0007 } from './migrations/0007_send_marks_start';
import { xero0008 } from './migrations/0008_record_amounts';
import { xero0009 } from './migrations/0009_incoming';
import { xeroWebhooks } from './incoming/webhook';
import { startPollSweep } from './incoming/schedule';
import { XERO_METHOD } from './incoming/reconcile';
import { xero0010 } from './migrations/0010_tax_types';
import { xero0010LockDates } from './migrations/0010_lock_dates';
import { xero0016 } from './migrations/0016_incoming_hashes';
import { xero0013 } from './migrations/0013_prepayments';
import { xero0014Overpayments } from './migrations/0014_overpayments';
import { xero0015 } from './migrations/0015_attachments';
import { xero0017 } from './migrations/0017_invoice_totals';
import { xero0018Log } from './migrations/0018_log';
import { xero0019PayoutRules } from './migrations/0019_payout_rules';
import { xero0020RateCallLeases } from './migrations/0020_rate_call_leases';
import { taxCodeVocabulary } from './mappings/taxTypes';
import { lineTaxRates } from './mappings/lineRates';
import { onPayoutPaid } from './payouts/enqueue';
import { startPayoutSweep } from './payouts/schedule';
import { xeroHandlers } from './handlers';
import { onPaymentReceived, onRefundIssued, onSaleCancelled, onSaleCompleted } from './sync/enqueue';
import { xeroHealth } from './health';
import { HISTORY_NOTE } from './sync/types';
import { organisationLinks } from './connection/links';
import { xeroSaleFigures } from './routes/saleFigures';
import { connectionSealedColumns } from './connection/store';
import { oauthStateSealedColumns } from './connection/oauth2/states';

export const xeroPlugin = definePlugin<XeroConfig>({
  id: 'xero',
  title: 'Xero',
  configSchema: XeroConfigSchema,
  migrations: [xero0001, xero0002, xero0003, xero0004, xero0005, xero0006, xero0007, xero0008, xero0009, xero0010, xero0010LockDates, xero0013, xero0014Overpayments, xero0015, xero0016, xero0017, xero0018Log, xero0019PayoutRules, xero0020RateCallLeases],
  viewsDir: fileURLToPath(new URL('./views', import.meta.url)),
  sealedColumns: [...connectionSealedColumns, oauthStateSealedColumns],
  nav: [
    { label: 'Xero connection', href: '/plugins/xero/connection', roles: ['admin'] },
    { label: 'Xero settings', href: '/plugins/xero/settings', roles: ['admin'] },
    { label: 'Xero failures', href: '/plugins/xero/sync/failures', roles: ['admin'] },
    { label: 'Xero sync log', href: '/plugins/xero/sync/log', roles: ['admin', 'accountant'] },
    { label: 'Xero history import', href: '/plugins/xero/history', roles: ['admin'] },
    { label: 'Payouts', href: '/plugins/xero/payouts', roles: ['accountant', 'admin'] },
    { label: 'Sign-off queue', href: '/plugins/xero/payouts/signoff', roles: ['accountant', 'admin'] },
    { label: 'Payout rules', href: '/plugins/xero/payouts/rules', roles: ['accountant', 'admin'] },
    { label: 'Payout settings', href: '/plugins/xero/payouts/settings', roles: ['admin'] },
  ],
  // Payments recorded in Xero (by the accountant, or by a payout sign-off) as they appear on the sale. Only
  // this plugin records them: one recorded at the desk would never reach Xero (payments from Xero are not pushed).
  paymentMethods: [{
    id: XERO_METHOD, label: 'Paid in Xero', recordedBy: 'plugin',
    recordedByReason: 'payments in Xero are brought back by the Xero plugin when the invoice is paid there',
  }],
  // The booking system's tax codes mapped on the settings page, and Xero's own sales TaxTypes as last read;
  // each line's rate as the invoice posts it (the host's receipts state VAT by rate).
  taxCodes: () => ({ ...taxCodeVocabulary(), lineRates: lineTaxRates }),
  routes: (ctx) => xeroRoutes(ctx),
  // What Xero tells us (incoming/): verified, recorded once and queued; read back by the handlers.
  webhooks: (ctx) => xeroWebhooks(ctx),
  cli: (program, context) => registerXeroCommands(program, context),
  // Subscribers only enqueue, in the host's transaction; handlers (sync/, payouts/) do the Xero calls.
  subscribers: { 'sale.completed': onSaleCompleted, 'refund.issued': onRefundIssued, 'payment.received': onPaymentReceived, 'payout.paid': onPayoutPaid, 'sale.cancelled': onSaleCancelled, 'voucher.expired': onVoucherExpired },
  handlers: (ctx) => xeroHandlers(ctx),
  // History notes step aside whenever the rate budget is busy: not records waiting to reach Xero.
  backgroundOutboxTypes: [HISTORY_NOTE],
  saleActions: (ctx, saleId) => [{
    label: 'Send to Xero now',
    action: `${ctx.mountPath}/sync/sale/${saleId}/send`,
    roles: ['admin', 'staff'],
    hint: 'Checks the invoice against Xero and sends it if it is not there yet, without waiting for the schedule.',
  }],
  // Xero's deep links, through the organisation login with the connection's ShortCode when it is known.
  externalLinks: async (ctx, orgId) => {
    const links = await organisationLinks(ctx.db, ctx.config.appUrl, orgId);
    return (record) => {
      const href = links.record(record.recordType, record.externalId);
      return href ? { href, label: 'Open in Xero' } : null;
    };
  },
  // The sale page's Xero invoice panel: net / VAT / total as Xero computed them, and each default tax code.
  saleFigures: (ctx, sale) => xeroSaleFigures(ctx, sale.orgId, sale.saleId),
  health: (ctx, orgId) => xeroHealth(ctx, orgId),
  // The nightly payout sweep (in processes that run background work); none when XERO_PAYOUT_SWEEP_CRON=off.
  // And the polling sweep (XERO_POLL_CRON) for connections Xero sends no webhooks for.
  start: async (ctx) => {
    const stops = [startPayoutSweep(ctx), startPollSweep(ctx)].filter((s): s is () => Promise<void> => s !== undefined);
    return async () => {
      for (const stop of stops) await stop();
    };
  },
});
