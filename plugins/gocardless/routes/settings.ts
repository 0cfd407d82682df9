// /plugins/gocardless (admins), on the provider kit's settings page: the access token (a new one is tested
// by reading its creditor, so a wrong token is refused with GoCardless's own message and nothing is stored)
// and the webhook endpoint secret; either left blank keeps the saved one. The page lists recent payouts with
// what became of each, and payments that need a person.
import type { Router } from 'express';
import { AuthRevokedError, PermanentError, RetryableError } from '../../../server/errors';
import type { OutboxItemState, PluginContext } from '../../../server/plugins/contract';
import { CredentialRefused, settingsPage } from '../../providerKit';
import { GoCardlessClient } from '../client';
import type { GoCardlessConfig } from '../config';
import { PAYMENT_RECORD, PAYOUT_INGEST, type PaymentRecordPayload, type PayoutIngestPayload } from '../events';
import { PAYOUTS_TABLE } from '../payouts/ingest';
import { gocardlessSettings } from '../settings';

const PRINTABLE = /^[\x21-\x7e]{8,200}$/;

export function settingsRoutes(ctx: PluginContext<GoCardlessConfig>): Router {
  return settingsPage(ctx, {
    title: 'GoCardless',
    store: gocardlessSettings,
    fields: [
      {
        name: 'accessToken', formField: 'access_token', pattern: PRINTABLE,
        invalid: 'That does not look like a GoCardless access token (8 to 200 printable characters, no spaces).',
        missing: 'Enter the access token (GoCardless dashboard → Developers → Create access token, read-only is enough).',
      },
      {
        name: 'webhookSecret', formField: 'webhook_secret', pattern: PRINTABLE,
        invalid: 'The webhook endpoint secret is 8 to 200 printable characters, no spaces.',
        missing: 'Enter the webhook endpoint secret shown when you created the endpoint in GoCardless.',
      },
    ],
    apiSecret: 'accessToken',
    async check(accessToken) {
      try {
        const creditor = await new GoCardlessClient({ baseUrl: ctx.config.apiBase, accessToken, timeoutMs: ctx.config.httpTimeoutMs }).creditor();
        return { creditorId: creditor.id, creditorName: creditor.name };
      } catch (err) {
        if (err instanceof AuthRevokedError) throw new CredentialRefused('GoCardless refused this access token.');
        if (err instanceof RetryableError) throw new CredentialRefused('GoCardless did not answer; nothing was saved. Try again in a moment.');
        if (err instanceof PermanentError) throw new CredentialRefused(err.message);
        throw err;
      }
    },
    connected: (facts) => `Connected to GoCardless: ${facts.creditorName} (${facts.creditorId}).`,
    activity: {
      payoutsTable: PAYOUTS_TABLE,
      payoutType: PAYOUT_INGEST,
      payoutIdOf: (payload) => (payload as PayoutIngestPayload).payoutId,
      attentionTypes: [PAYMENT_RECORD],
      describe: (item: OutboxItemState) => `Payment ${(item.payload as PaymentRecordPayload).paymentId}`,
    },
    // GoCardless's own APIs (live and sandbox) have a dashboard to add the endpoint in; the emulator has none.
    locals: { webhookUrl: `${ctx.publicUrl.replace(/\/+$/, '')}/webhooks/gocardless`, apiBase: ctx.config.apiBase, atGoCardless: /(^|\.)gocardless\.com$/.test(new URL(ctx.config.apiBase).hostname) },
  });
}
