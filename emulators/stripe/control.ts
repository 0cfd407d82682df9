// The control API under /_emulator (JSON, not part of Stripe): accounts, the clock, disputes and fee
// transactions that only Stripe can create, payouts on demand, webhook delivery tricks, faults and the
// call log. Errors are `400 {"error":{"message"}}` naming the bad field.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { CallLog } from '../xero/control/callLog';
import type { EmulatorClock } from '../xero/clock';
import type { Account } from './accounts';
import type { StripeBook } from './book';
import { StripeApiError } from './errors';
import type { StripeFaults } from './faults';
import type { WebhookDispatcher } from './webhooks';

export interface ControlDeps {
  book: StripeBook;
  webhooks: WebhookDispatcher;
  clock: EmulatorClock;
  faults: StripeFaults;
  callLog: CallLog;
  /** Funds become available, arrived payouts are paid, the daily payout runs, due webhooks are sent. */
  tick(): Promise<void>;
  reset(): void;
}

const accountView = (a: Account) => ({ id: a.id, secretKey: a.secretKey, publishableKey: a.publishableKey, name: a.name, email: a.email, created: a.created, settings: a.settings });

export function controlRouter(deps: ControlDeps): Router {
  const { book, webhooks, clock, faults, callLog } = deps;
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  const body = (req: Request): Record<string, unknown> => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});
  const accountId = (req: Request, optional = false): string | undefined => {
    const id = body(req).account ?? req.query.account;
    if (id === undefined || id === '') {
      if (optional) return undefined;
      const all = book.accounts();
      if (all.length === 1) return all[0]!.id;
      throw new TypeError('account is required (there is more than one account)');
    }
    if (typeof id !== 'string' || !book.account(id)) throw new TypeError(`no such account: ${String(id)}`);
    return id;
  };
  const clockView = () => ({ now: clock.now(), iso: new Date(clock.now()).toISOString(), speed: clock.speed });
  const view = (acct: string, obj: Parameters<StripeBook['view']>[1]) => book.view(acct, obj);

  router.post('/reset', (_req, res) => {
    deps.reset();
    res.json({ ok: true, accounts: book.accounts().map(accountView) });
  });

  router.get('/accounts', (_req, res) => {
    res.json(book.accounts().map(accountView));
  });
  router.post('/accounts', (req, res) => {
    res.status(201).json(accountView(book.createAccount(body(req))));
  });
  router.get('/accounts/:id', (req, res) => {
    const a = book.account(req.params.id);
    if (!a) return res.status(404).json({ error: { message: `no such account: ${req.params.id}` } });
    res.json(accountView(a));
  });
  router.patch('/accounts/:id', (req, res) => {
    if (!book.account(req.params.id)) return res.status(404).json({ error: { message: `no such account: ${req.params.id}` } });
    res.json(accountView(book.updateAccount(req.params.id, body(req))));
  });

  router.get('/clock', (_req, res) => {
    res.json(clockView());
  });
  router.post('/clock', async (req, res) => {
    const speed = body(req).speed;
    if (typeof speed !== 'number') throw new TypeError('speed must be a number ≥ 0');
    clock.setSpeed(speed);
    await deps.tick();
    res.json(clockView());
  });
  // Moving time on makes funds available, pays payouts in transit, runs the daily automatic payout and
  // sends webhook retries that have come due.
  router.post('/clock/advance', async (req, res) => {
    const ms = body(req).ms;
    if (typeof ms !== 'number') throw new TypeError('ms must be a number ≥ 0');
    clock.advance(ms);
    await deps.tick();
    res.json(clockView());
  });

  router.post('/payouts/run', async (req, res) => {
    const acct = accountId(req)!;
    const payout = book.runPayout(acct);
    await webhooks.flush();
    if (!payout) return res.status(200).json({ payout: null, reason: 'no positive available balance to pay out' });
    res.status(201).json({ payout: view(acct, payout) });
  });
  router.post('/payouts/:id/paid', async (req, res) => {
    const acct = accountId(req)!;
    const payout = book.payoutArrived(acct, req.params.id);
    await webhooks.flush();
    res.json(view(acct, payout));
  });
  router.post('/payouts/:id/fail', async (req, res) => {
    const acct = accountId(req)!;
    const code = body(req).failureCode;
    const payout = book.failPayout(acct, req.params.id, typeof code === 'string' ? code : undefined);
    await webhooks.flush();
    res.json(view(acct, payout));
  });

  router.post('/disputes', async (req, res) => {
    const acct = accountId(req)!;
    const b = body(req);
    if (typeof b.charge !== 'string') throw new TypeError('charge is required (a ch_… id)');
    if (b.amount !== undefined && !Number.isInteger(b.amount)) throw new TypeError('amount must be an integer');
    const dispute = book.createDispute(acct, b.charge, { ...(typeof b.reason === 'string' ? { reason: b.reason } : {}), ...(b.amount !== undefined ? { amount: b.amount as number } : {}) }, null);
    await webhooks.flush();
    res.status(201).json(view(acct, dispute));
  });
  router.post('/disputes/:id/close', async (req, res) => {
    const acct = accountId(req)!;
    const outcome = body(req).outcome;
    if (outcome !== 'won' && outcome !== 'lost') throw new TypeError('outcome must be won or lost');
    const dispute = book.closeDispute(acct, req.params.id, outcome, null);
    await webhooks.flush();
    res.json(view(acct, dispute));
  });

  router.post('/balance_transactions', (req, res) => {
    const acct = accountId(req)!;
    const b = body(req);
    if (b.type !== 'stripe_fee' && b.type !== 'adjustment' && b.type !== 'stripe_fx_fee') throw new TypeError('type must be stripe_fee, stripe_fx_fee or adjustment');
    res.status(201).json(view(acct, book.addBalanceTransaction(acct, { type: b.type, amount: b.amount as number, ...(typeof b.description === 'string' ? { description: b.description } : {}) })));
  });

  // ---- webhooks ----
  router.post('/webhook_endpoints', (req, res) => {
    const acct = accountId(req)!;
    const b = body(req);
    if (typeof b.url !== 'string') throw new TypeError('url is required');
    const events = b.enabledEvents;
    if (events !== undefined && (!Array.isArray(events) || events.some((e) => typeof e !== 'string'))) throw new TypeError('enabledEvents must be an array of event types');
    res.status(201).json(webhooks.addEndpoint(acct, { url: b.url, ...(events ? { enabledEvents: events as string[] } : {}), ...(typeof b.secret === 'string' ? { secret: b.secret } : {}) }));
  });
  router.get('/webhooks/settings', (req, res) => {
    res.json(webhooks.settings(accountId(req)!));
  });
  router.post('/webhooks/settings', (req, res) => {
    const b = body(req);
    res.json(webhooks.setSettings(accountId(req)!, { ...(b.hold !== undefined ? { hold: b.hold as boolean } : {}), ...(b.delayMs !== undefined ? { delayMs: b.delayMs as number } : {}), ...(b.duplicate !== undefined ? { duplicate: b.duplicate as boolean } : {}) }));
  });
  router.post('/webhooks/release', async (req, res) => {
    const order = body(req).order ?? 'fifo';
    if (order !== 'fifo' && order !== 'reverse' && order !== 'shuffle') throw new TypeError('order must be fifo, reverse or shuffle');
    const released = webhooks.release(accountId(req, true), order);
    await webhooks.flush();
    res.json({ released: released.map((d) => ({ id: d.id, eventId: d.eventId, eventType: d.eventType, kind: d.kind })) });
  });
  router.post('/webhooks/flush', async (_req, res) => {
    await webhooks.flush();
    res.json({ pending: webhooks.deliveries({ state: 'pending' }).length, held: webhooks.deliveries({ state: 'held' }).length });
  });
  router.post('/events/:id/redeliver', async (req, res) => {
    const b = body(req);
    const ts = b.signatureTimestamp;
    if (ts !== undefined && !Number.isInteger(ts)) throw new TypeError('signatureTimestamp must be unix seconds');
    const out = webhooks.redeliver(accountId(req)!, req.params.id, { ...(typeof b.endpoint === 'string' ? { endpointId: b.endpoint } : {}), ...(ts !== undefined ? { signatureTimestamp: ts as number } : {}), ...(typeof b.delayMs === 'number' ? { delayMs: b.delayMs } : {}) });
    await webhooks.flush();
    res.json(webhooks.deliveries({ eventId: req.params.id }).filter((d) => out.some((o) => o.id === d.id)));
  });
  router.post('/events/:id/replay', async (req, res) => {
    const b = body(req);
    const out = webhooks.redeliver(accountId(req)!, req.params.id, { replay: true, ...(typeof b.endpoint === 'string' ? { endpointId: b.endpoint } : {}) });
    await webhooks.flush();
    res.json(webhooks.deliveries({ eventId: req.params.id }).filter((d) => out.some((o) => o.id === d.id)));
  });
  router.get('/events', (req, res) => {
    const acct = accountId(req)!;
    const type = typeof req.query.type === 'string' ? req.query.type : undefined;
    res.json(webhooks.events(acct).filter((e) => !type || e.type === type));
  });
  router.get('/deliveries', (req, res) => {
    const q = req.query;
    res.json(webhooks.deliveries({ ...(typeof q.account === 'string' ? { accountId: q.account } : {}), ...(typeof q.event === 'string' ? { eventId: q.event } : {}), ...(typeof q.state === 'string' ? { state: q.state } : {}) }));
  });

  // ---- faults and calls ----
  router.use(faults.controlRoutes());
  router.get('/calls', (req, res) => {
    res.json(callLog.list(typeof req.query.since === 'string' ? req.query.since : undefined));
  });
  router.delete('/calls', (_req, res) => {
    callLog.clear();
    res.status(204).end();
  });

  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof TypeError || err instanceof RangeError) return res.status(400).json({ error: { message: err.message } });
    if (err instanceof StripeApiError) return res.status(err.status).json({ error: err.body });
    next(err);
  });
  return router;
}
