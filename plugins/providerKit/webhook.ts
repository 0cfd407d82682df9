// POST /webhooks/<provider>: the one pipeline both payment providers share.
//   raw body → the organisation whose webhook secret verifies its signature → the provider's events read
//   from the body → each recorded once in the plugin's events table, its work queued in the same
//   transaction → 200.
// Nothing is read from the provider inside the request: the answer is quick, and the work (in outbox
// handlers) is retried and never lost. Every other answer is JSON `{ error: { code, message } }`: 400 for a
// signature no organisation's secret verifies or a body that is not the provider's, 500 when the event
// could not be recorded (the provider sends it again; recording is idempotent).
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { AppError } from '../../server/errors';
import type { Logger, PluginContext } from '../../server/plugins/contract';
import { acceptEvents, type ProviderEvent } from './events';
import type { SealedSettingsStore } from './settingsStore';

/** A webhook refused for what it is (bad signature, not the provider's body): nothing was read or written. */
export class WebhookRefusal extends AppError {
  constructor(code: string, message: string) {
    super({ statusCode: 400, code, message });
  }
}

export interface WebhookReceiver<S extends string> {
  /** Whose settings to try, and which of their secrets signs webhooks. */
  store: SealedSettingsStore<S, string>;
  webhookSecret: S;
  /** The plugin's events table (columns org_id, event_id, received_at and the provider's row). */
  eventsTable: string;
  signatureHeader: string;
  /** True when `secret` signed this body (and, where the provider signs one, its timestamp is fresh). */
  verifies(body: Buffer, signature: string, secret: string): boolean;
  /**
   * The events of a verified body; throws a WebhookRefusal when it is not what the provider sends.
   * `counts` are added to the answer (e.g. how many events were too old to take).
   */
  read(body: Buffer, now: number): { events: ProviderEvent[]; counts?: Record<string, number> };
}

/** The organisation whose saved webhook secret verifies the signature, or null. */
async function signer<S extends string>(ctx: PluginContext<unknown>, receiver: WebhookReceiver<S>, body: Buffer, signature: string): Promise<number | null> {
  for (const settings of await receiver.store.all(ctx.db)) {
    const secret = await receiver.store.open(ctx.db, ctx.secrets, settings, receiver.webhookSecret);
    if (secret && receiver.verifies(body, signature, secret)) return settings.orgId;
  }
  return null;
}

export function webhookRouter<S extends string>(ctx: PluginContext<unknown>, receiver: WebhookReceiver<S>): Router {
  const router = Router();
  router.post('/', async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.get(receiver.signatureHeader) ?? '';
    if (body.length === 0) throw new WebhookRefusal('INVALID_BODY', 'The webhook has no body');
    const orgId = signature ? await signer(ctx, receiver, body, signature) : null;
    if (orgId === null) {
      ctx.logger.warn({ bytes: body.length }, 'webhook refused: no organisation\'s webhook secret verifies its signature');
      throw new WebhookRefusal('INVALID_SIGNATURE', `${receiver.signatureHeader} does not verify with any connected organisation's webhook secret`);
    }
    const { events, counts } = receiver.read(body, ctx.clock.now());
    const result = await ctx.db.transaction((trx) => acceptEvents(ctx, trx, receiver.eventsTable, orgId, events));
    ctx.logger.info({ orgId, ...result, ...counts }, 'webhook recorded');
    res.status(200).json({ ...result, ...counts });
  });
  router.use(webhookErrors(ctx.logger));
  return router;
}

/** Every error of a webhook route as JSON `{ error: { code, message } }`; never an HTML page. */
export function webhookErrors(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof AppError) {
      res.status(err.statusCode).json({ error: { code: err.code, message: err.message } });
      return;
    }
    logger.error({ err }, 'webhook could not be recorded');
    res.status(500).json({ error: { code: 'WEBHOOK_NOT_RECORDED', message: 'The webhook could not be recorded; send it again later' } });
  };
}
