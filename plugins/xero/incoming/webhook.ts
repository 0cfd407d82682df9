// POST /webhooks/xero, as Xero calls it. The raw body is verified against XERO_WEBHOOK_KEY
// (x-xero-signature, constant time) before anything is parsed. Answers are what Xero requires: 200 with an
// empty body for a correctly signed payload (the intent-to-receive check and every delivery), 401 with an
// empty body for anything else. A delivery's events are recorded once and their work queued in one
// transaction; nothing is read from Xero here, so the answer comes well within Xero's 5 seconds. Events of
// tenants no organisation is connected to are acknowledged and ignored. Should recording fail, the answer
// is 500 and Xero delivers again (recording is idempotent).
import { Router, type Request, type Response } from 'express';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { parseWebhookBody, WebhookBodyError } from './payload';
import { verifyXeroSignature } from './signature';
import { noteReceipt, organisationsOfTenants, recordIncoming, type IncomingEvent } from './store';

export function xeroWebhooks(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  router.post('/', async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const key = ctx.config.webhookKey;
    if (!key || !verifyXeroSignature(body, req.get('x-xero-signature'), key)) {
      // Nothing is written for a refused request: a forged or unsigned one must change nothing (and Xero's own
      // intent-to-receive check sends wrongly signed payloads on purpose). The log line is the trace.
      ctx.logger.warn({ bytes: body.length, keyConfigured: Boolean(key) }, 'xero webhook refused: the signature does not verify');
      res.status(401).end();
      return;
    }
    let parsed;
    try {
      parsed = parseWebhookBody(body);
    } catch (err) {
      // Signed with our key but not Xero's shape: nothing Xero would send; refused without a body as well.
      if (err instanceof WebhookBodyError) {
        ctx.logger.warn({ problem: err.message }, 'xero webhook refused: not a Xero webhook body');
        res.status(401).end();
        return;
      }
      throw err;
    }
    const now = ctx.clock.now();
    try {
      if (parsed.events.length === 0) {
        await noteReceipt(ctx.db, 'intent', now);
        res.status(200).end();
        return;
      }
      const orgs = await organisationsOfTenants(ctx.db, parsed.events.map((e) => e.tenantId));
      const events: IncomingEvent[] = parsed.events.flatMap((e) =>
        (orgs.get(e.tenantId) ?? []).map((o) => ({ orgId: o.orgId, tenantId: e.tenantId, key: e.key, category: e.category, type: e.type, resourceId: e.resourceId, at: e.at, source: 'webhook' as const })));
      const result = await ctx.db.transaction(async (trx) => {
        const recorded = await recordIncoming(ctx, trx, events);
        await noteReceipt(trx, 'delivery', now);
        return recorded;
      });
      ctx.logger.info({ events: parsed.events.length, ...result, ignored: parsed.events.length - events.length, first: parsed.firstEventSequence, last: parsed.lastEventSequence }, 'xero webhook recorded');
      res.status(200).end();
    } catch (err) {
      ctx.logger.error({ err }, 'xero webhook could not be recorded; Xero will deliver it again');
      res.status(500).end();
    }
  });
  return router;
}
