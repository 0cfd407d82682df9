// The control API (/_emulator, JSON; not part of GoCardless): set up accounts, move payments and the
// clock along, run payouts, steer webhook delivery, faults and the call log. See README.md.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { EmulatorClock } from '../../xero/clock';
import type { GoCardlessBooks } from '../books';
import { GcError } from '../errors';
import { creditorJson, customerJson, eventJson, mandateJson, paymentJson, payoutItemJson, payoutJson } from '../json';
import type { WebhookBehaviour, WebhookSender } from '../webhooks';
import type { CallLog, Faults } from './traffic';

export interface ControlDeps {
  books: GoCardlessBooks;
  clock: EmulatorClock;
  webhooks: WebhookSender;
  faults: Faults;
  callLog: CallLog;
  afterChange(): void;
  reset(): void;
}

const bad = (message: string): GcError => new GcError(400, 'invalid_api_usage', message, [{ reason: 'invalid_control_request', message }]);

export function controlRouter(deps: ControlDeps): Router {
  const { books, clock, webhooks, faults, callLog } = deps;
  const router = Router();
  router.use(express.json({ limit: '5mb' }));
  // Every control call first applies elapsed time, and sends the events it caused once it is done.
  router.use((_req, res, next) => {
    books.tick();
    res.on('finish', deps.afterChange);
    next();
  });

  const body = (req: Request): Record<string, unknown> => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});
  const creditorId = (value: unknown): string => {
    if (typeof value === 'string') {
      if (!books.creditors.has(value)) throw bad(`no creditor ${value}`);
      return value;
    }
    const first = books.creditors.keys().next().value;
    if (!first) throw bad('no creditor: POST /_emulator/creditors first');
    return first;
  };

  router.post('/reset', (_req, res) => {
    deps.reset();
    res.status(204).end();
  });

  router.get('/creditors', (_req, res) => {
    const tokens = [...books.tokens.entries()];
    res.json([...books.creditors.values()].map((c) => ({ ...creditorJson(c), access_tokens: tokens.filter(([, id]) => id === c.id).map(([t]) => t) })));
  });
  router.post('/creditors', (req, res) => {
    const b = body(req);
    const made = books.createCreditor({
      ...(typeof b.name === 'string' ? { name: b.name } : {}),
      ...(typeof b.country_code === 'string' ? { countryCode: b.country_code } : {}),
      ...(b.tax_bps !== undefined ? { taxBps: Number(b.tax_bps) } : {}),
      ...(b.surcharge_minor !== undefined ? { surchargeMinor: Number(b.surcharge_minor) } : {}),
    }, typeof b.access_token === 'string' ? b.access_token : undefined);
    res.status(201).json({ creditor: creditorJson(made.creditor), access_token: made.accessToken });
  });
  router.post('/tokens/revoke', (req, res) => {
    res.json({ revoked: books.revokeToken(String(body(req).access_token ?? '')) });
  });

  router.post('/mandates', (req, res) => {
    const b = body(req);
    const cid = creditorId(b.creditor);
    const customer = books.createCustomer(cid, b.customer ?? { given_name: 'Alex', family_name: 'Payer', email: 'alex@example.test' });
    const mandate = books.createMandate(cid, customer.id);
    res.status(201).json({ customer: customerJson(customer), mandate: mandateJson(mandate, books) });
  });

  router.post('/payments/:id/:action', (req, res) => {
    const payment = books.payments.get(req.params.id as string);
    if (!payment) throw bad(`no payment ${req.params.id}`);
    const cause = typeof body(req).cause === 'string' ? (body(req).cause as string) : undefined;
    switch (req.params.action) {
      case 'submit': books.submitPayment(payment); break;
      case 'confirm': books.confirmPayment(payment); break;
      case 'fail': books.failPayment(payment, 'failed', cause); break;
      case 'charge_back': books.failPayment(payment, 'charged_back', cause); break;
      default: throw bad('action must be submit, confirm, fail or charge_back');
    }
    res.json(paymentJson(payment));
  });

  router.post('/payouts/run', (req, res) => {
    const b = body(req);
    const made = books.runPayouts(books.now, b.creditor === undefined ? undefined : creditorId(b.creditor));
    if (b.paid !== false) for (const p of made) books.markPayoutPaid(p);
    res.json(made.map((p) => ({ ...payoutJson(p), items: p.items.map((e) => payoutItemJson(e, books.creditors.get(p.creditorId)?.taxRateId ?? null, p.currency)) })));
  });
  router.post('/payouts/:id/paid', (req, res) => {
    const payout = books.payouts.get(req.params.id as string);
    if (!payout) throw bad(`no payout ${req.params.id}`);
    books.markPayoutPaid(payout);
    res.json(payoutJson(payout));
  });

  router.get('/clock', (_req, res) => res.json(clockView(clock)));
  router.post('/clock', (req, res) => {
    clock.setSpeed(Number(body(req).speed));
    res.json(clockView(clock));
  });
  router.post('/clock/advance', (req, res) => {
    const ms = Number(body(req).ms);
    if (!Number.isFinite(ms) || ms < 0) throw bad('ms must be a number ≥ 0');
    clock.advance(ms);
    books.tick();
    res.json(clockView(clock));
  });

  router.post('/webhook_endpoints', (req, res) => {
    const b = body(req);
    if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url)) throw bad('url must be an http(s) URL');
    if (typeof b.secret !== 'string' || b.secret.length < 1) throw bad('secret is required');
    res.status(201).json(webhooks.addEndpoint({ creditorId: creditorId(b.creditor), url: b.url, secret: b.secret }));
  });
  router.get('/webhooks', (_req, res) => {
    res.json(webhooks.webhooks.map((w) => ({ id: w.id, endpointId: w.endpointId, url: w.url, eventIds: w.eventIds, state: w.state, attempts: w.attempts })));
  });
  router.post('/webhooks/behaviour', (req, res) => {
    const b = body(req);
    const update: Partial<WebhookBehaviour> = {};
    if (b.duplicates !== undefined) update.duplicates = Math.max(1, Math.floor(Number(b.duplicates)));
    if (b.delayMs !== undefined) update.delayMs = Math.max(0, Number(b.delayMs));
    if (b.hold !== undefined) update.hold = b.hold === true;
    if (Array.isArray(b.retryDelaysMs)) update.retryDelaysMs = b.retryDelaysMs.map(Number);
    if (b.timeoutMs !== undefined) update.timeoutMs = Number(b.timeoutMs);
    res.json(webhooks.setBehaviour(update));
  });
  router.post('/webhooks/release', (req, res) => {
    const order = body(req).order ?? 'fifo';
    if (order !== 'fifo' && order !== 'reverse' && order !== 'shuffle') throw bad('order must be fifo, reverse or shuffle');
    res.json({ released: webhooks.release(order) });
  });
  router.post('/webhooks/:id/replay', async (req, res) => {
    try {
      res.json(await webhooks.replay(req.params.id as string));
    } catch (err) {
      throw bad((err as Error).message);
    }
  });
  router.post('/events/resend', (req, res) => {
    const ids = body(req).event_ids;
    if (!Array.isArray(ids)) throw bad('event_ids must be an array');
    const events = books.events.filter((e) => ids.includes(e.id));
    if (events.length !== ids.length) throw bad('some event_ids do not exist');
    res.json(webhooks.resend(events).map((w) => ({ id: w.id, eventIds: w.eventIds })));
  });
  router.get('/events', (_req, res) => res.json(books.events.map(eventJson)));

  router.use(faults.controlRoutes((err) => bad(err.message)));
  router.get('/calls', (req, res) => res.json(callLog.since(Number(req.query.since ?? 0))));

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err instanceof GcError ? err : bad((err as Error).message);
    res.status(e.status).json({ error: { message: e.message, type: e.type, errors: e.errors } });
  });
  return router;
}

const clockView = (clock: EmulatorClock) => ({ now: clock.now(), iso: new Date(clock.now()).toISOString(), speed: clock.speed });
