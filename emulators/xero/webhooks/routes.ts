// Where a developer sets an app's webhook: the portal page (/portal/apps/:id/webhooks, HTML) and the
// control API (/_emulator/webhooks, JSON; not Xero's). Both configure the same WebhookDispatcher; saving
// runs the intent-to-receive check at once, as Xero's portal does when "Save" is pressed.
import express, { type Response, type Router } from 'express';
import { readForm } from '../portal/multipart';
import { errorBox, html, page } from '../portal/html';
import { WebhookError, type WebhookDispatcher, type WebhookOptions, type WebhookView } from './dispatcher';

export function webhookControlRouter(webhooks: WebhookDispatcher): Router {
  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));
  const fail = (res: Response, err: unknown): void => {
    if (err instanceof WebhookError) {
      res.status(400).json({ error: err.message });
      return;
    }
    throw err;
  };

  router.get('/', (_req, res) => res.json(webhooks.list()));
  router.post('/flush', async (_req, res) => {
    await webhooks.flush();
    res.json(webhooks.list());
  });
  router.post('/options', (req, res) => {
    const body = (req.body ?? {}) as Partial<Record<keyof WebhookOptions, unknown>>;
    const update: Partial<WebhookOptions> = {};
    for (const name of ['batchDelayMs', 'maxBatch', 'disableAfterFailures', 'timeoutMs'] as const) {
      const value = body[name];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return res.status(400).json({ error: `${name}: must be a whole number >= 0` });
      update[name] = value;
    }
    if (body.retryDelaysMs !== undefined) {
      const delays = body.retryDelaysMs;
      if (!Array.isArray(delays) || delays.length === 0 || !delays.every((d) => typeof d === 'number' && d >= 0)) {
        return res.status(400).json({ error: 'retryDelaysMs: must be a non-empty list of milliseconds' });
      }
      update.retryDelaysMs = delays as number[];
    }
    res.json(webhooks.setOptions(update));
  });
  router.get('/:appId', (req, res) => {
    const view = webhooks.get(req.params.appId);
    if (!view) return res.status(404).json({ error: `App ${req.params.appId} has no webhook` });
    res.json(view);
  });
  router.put('/:appId', async (req, res) => {
    const body = (req.body ?? {}) as { url?: unknown; rotateKey?: unknown; verify?: unknown };
    if (typeof body.url !== 'string') return res.status(400).json({ error: 'url: required (the delivery URL)' });
    try {
      const view = webhooks.configure(req.params.appId, { url: body.url, rotateKey: body.rotateKey === true });
      res.json(body.verify === false ? view : await webhooks.verifyIntent(view.appId));
    } catch (err) {
      fail(res, err);
    }
  });
  router.post('/:appId/verify', async (req, res) => {
    try {
      res.json(await webhooks.verifyIntent(req.params.appId));
    } catch (err) {
      fail(res, err);
    }
  });
  router.delete('/:appId', (req, res) => {
    if (!webhooks.remove(req.params.appId)) return res.status(404).json({ error: `App ${req.params.appId} has no webhook` });
    res.status(204).end();
  });
  return router;
}

const STATUS_TEXT: Record<WebhookView['status'], string> = {
  awaiting_intent: 'Waiting for intent to receive',
  ok: 'OK — receiving events',
  intent_failed: 'Intent to receive required',
  disabled: 'Disabled after failed deliveries',
};

function webhookPage(appId: string, view: WebhookView | undefined, error?: string): string {
  return page(
    'Webhooks',
    html`${errorBox(error)}
<p>Deliveries are signed with the key below (header <code>x-xero-signature</code>). Saving sends the intent-to-receive check.</p>
<form method="post" action="/portal/apps/${appId}/webhooks" id="webhook-form">
  <label for="webhook-url">Delivery URL</label>
  <input type="url" id="webhook-url" name="url" required value="${view?.url ?? ''}">
  <button type="submit" id="save-webhook">Save</button>
</form>
${view ? html`<dl>
  <dt>Status</dt><dd id="webhook-status">${STATUS_TEXT[view.status]}</dd>
  <dt>Webhooks key</dt><dd><code id="webhook-key">${view.key}</code></dd>
  ${view.lastError ? html`<dt>Last problem</dt><dd id="webhook-error">${view.lastError}</dd>` : html``}
</dl>` : html``}`,
  );
}

export function webhookPortalRouter(webhooks: WebhookDispatcher): Router {
  const router = express.Router();
  router.get('/portal/apps/:id/webhooks', (req, res) => {
    res.type('html').send(webhookPage(req.params.id, webhooks.get(req.params.id)));
  });
  router.post('/portal/apps/:id/webhooks', async (req, res) => {
    let url: string | undefined;
    try {
      url = (await readForm(req)).fields.get('url')?.[0]?.trim();
    } catch (err) {
      return res.status(400).type('html').send(webhookPage(req.params.id, webhooks.get(req.params.id), (err as Error).message));
    }
    if (!url) return res.status(400).type('html').send(webhookPage(req.params.id, webhooks.get(req.params.id), 'Enter the delivery URL'));
    try {
      const view = webhooks.configure(req.params.id, { url });
      res.type('html').send(webhookPage(req.params.id, await webhooks.verifyIntent(view.appId)));
    } catch (err) {
      if (err instanceof WebhookError) return res.status(400).type('html').send(webhookPage(req.params.id, webhooks.get(req.params.id), err.message));
      throw err;
    }
  });
  return router;
}
