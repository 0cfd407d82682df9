// The GoCardless Pro API surface the product uses. Fixed order per call: body (JSON) → authenticate
// (Bearer access token → creditor) → GoCardless-Version → idempotency (POST) → resource route. Every
// call first applies what the clock says has happened (books.tick()).
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Creditor, GcEvent, GoCardlessBooks, Payout } from '../books';
import { GcError, notFound, sendGcError } from '../errors';
import { creditorJson, customerJson, eventJson, mandateJson, paymentJson, payoutItemJson, payoutJson, refundJson } from '../json';
import { paginate } from './pagination';

export const API_VERSION = '2015-07-06';

declare module 'express-serve-static-core' {
  interface Locals {
    gcCreditor?: Creditor;
  }
}

const authError = (): GcError =>
  new GcError(401, 'invalid_api_usage', 'The access token you\'ve used is not a valid live API access token', [
    { reason: 'access_token_not_found', message: 'The access token you\'ve used is not a valid live API access token' },
  ]);

/** Filters on created_at[gt|gte|lt|lte] (ISO timestamps), as GoCardless's list endpoints take them. */
function createdFilter(query: Record<string, unknown>): (ms: number) => boolean {
  const bounds: [string, (a: number, b: number) => boolean][] = [
    ['gt', (a, b) => a > b], ['gte', (a, b) => a >= b], ['lt', (a, b) => a < b], ['lte', (a, b) => a <= b],
  ];
  const checks: ((ms: number) => boolean)[] = [];
  for (const [op, cmp] of bounds) {
    const raw = query[`created_at[${op}]`];
    if (raw === undefined) continue;
    const at = typeof raw === 'string' ? Date.parse(raw) : NaN;
    if (Number.isNaN(at)) throw new GcError(422, 'validation_failed', 'Validation failed', [{ field: `created_at[${op}]`, message: 'must be an ISO 8601 timestamp' }]);
    checks.push((ms) => cmp(ms, at));
  }
  return (ms) => checks.every((c) => c(ms));
}

/** The `include` values of GET /events the emulator can answer (the resources it has). */
const INCLUDABLE = { payment: true, payout: true, refund: true, mandate: true, creditor: true } as const;

const newestFirst = <T extends { createdAt: number }>(list: Iterable<T>): T[] => [...list].sort((a, b) => b.createdAt - a.createdAt);

export interface ApiDeps {
  books: GoCardlessBooks;
  /** Called once a request's changes are made: sends their events as webhooks. */
  afterChange(): void;
}

export function apiRouter({ books, afterChange }: ApiDeps): Router {
  const router = Router();
  const idempotency = new Map<string, { resource: string; id: string }>();

  router.use(express.json({ type: () => true, limit: '1mb' }));
  router.use((req: Request, res: Response, next: NextFunction) => {
    res.on('finish', afterChange);
    const header = req.get('authorization') ?? '';
    const match = /^Bearer (\S+)$/.exec(header);
    const creditor = match ? books.creditorForToken(match[1]!) : undefined;
    if (!creditor) return sendGcError(res, authError());
    const version = req.get('gocardless-version');
    if (!version) {
      return sendGcError(res, new GcError(400, 'invalid_api_usage', 'GoCardless-Version header is required', [{ reason: 'missing_version_header', message: 'GoCardless-Version header is required' }]));
    }
    if (version !== API_VERSION) {
      return sendGcError(res, new GcError(400, 'invalid_api_usage', 'Version not found', [{ reason: 'version_not_found', message: `Version "${version}" not found; use ${API_VERSION}` }]));
    }
    res.locals.gcCreditor = creditor;
    books.tick();
    next();
  });

  const creditorOf = (res: Response): Creditor => res.locals.gcCreditor!;

  /** POST bodies come wrapped: {"payments": {...}}. */
  const envelope = (req: Request, key: string): unknown => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || typeof body[key] !== 'object' || body[key] === null) {
      throw new GcError(400, 'invalid_api_usage', 'Invalid document structure', [{ reason: 'invalid_document_structure', message: `The body must be a JSON object with a "${key}" object` }]);
    }
    return body[key];
  };

  /** Creation with Idempotency-Key: a key used before answers 409 naming the resource it created. */
  const create = (resource: string, make: (req: Request, creditor: Creditor) => { id: string; json: unknown }) =>
    (req: Request, res: Response) => {
      const creditor = creditorOf(res);
      const key = req.get('idempotency-key');
      if (key !== undefined && (key.length < 1 || key.length > 128)) {
        throw new GcError(400, 'invalid_api_usage', 'Idempotency-Key must be 1 to 128 characters', [{ reason: 'invalid_idempotency_key', message: 'Idempotency-Key must be 1 to 128 characters' }]);
      }
      const slot = key ? `${creditor.id}:${resource}:${key}` : undefined;
      const seen = slot ? idempotency.get(slot) : undefined;
      if (seen) {
        throw new GcError(409, 'invalid_state', 'A resource has already been created with this idempotency key', [{
          reason: 'idempotent_creation_conflict',
          message: 'A resource has already been created with this idempotency key',
          links: { conflicting_resource_id: seen.id },
        }]);
      }
      const made = make(req, creditor);
      if (slot) idempotency.set(slot, { resource, id: made.id });
      res.status(201).json({ [resource]: made.json });
    };

  router.get('/creditors', (req, res) => {
    const page = paginate([creditorOf(res)], (c) => c.id, req.query);
    res.json({ creditors: page.items.map(creditorJson), meta: page.meta });
  });
  router.get('/creditors/:id', (req, res) => {
    const creditor = creditorOf(res);
    if (req.params.id !== creditor.id) throw notFound();
    res.json({ creditors: creditorJson(creditor) });
  });

  router.post('/customers', create('customers', (req, c) => {
    const customer = books.createCustomer(c.id, envelope(req, 'customers'));
    return { id: customer.id, json: customerJson(customer) };
  }));
  router.get('/customers', (req, res) => {
    const c = creditorOf(res);
    const page = paginate(newestFirst([...books.customers.values()].filter((x) => x.creditorId === c.id)), (x) => x.id, req.query);
    res.json({ customers: page.items.map(customerJson), meta: page.meta });
  });
  router.get('/customers/:id', (req, res) => {
    res.json({ customers: customerJson(books.get(books.customers, creditorOf(res).id, req.params.id as string)) });
  });

  router.get('/mandates', (req, res) => {
    const c = creditorOf(res);
    const page = paginate(newestFirst([...books.mandates.values()].filter((x) => x.creditorId === c.id)), (x) => x.id, req.query);
    res.json({ mandates: page.items.map((m) => mandateJson(m, books)), meta: page.meta });
  });
  router.get('/mandates/:id', (req, res) => {
    res.json({ mandates: mandateJson(books.get(books.mandates, creditorOf(res).id, req.params.id as string), books) });
  });

  router.post('/payments', create('payments', (req, c) => {
    const payment = books.createPayment(c.id, envelope(req, 'payments'));
    return { id: payment.id, json: paymentJson(payment) };
  }));
  router.get('/payments', (req, res) => {
    const c = creditorOf(res);
    const created = createdFilter(req.query);
    const q = req.query as Record<string, string | undefined>;
    const list = [...books.payments.values()].filter((p) => p.creditorId === c.id && created(p.createdAt)
      && (!q.status || q.status.split(',').includes(p.status)) && (!q.mandate || p.mandateId === q.mandate) && (!q.currency || p.currency === q.currency));
    const page = paginate(newestFirst(list), (p) => p.id, req.query);
    res.json({ payments: page.items.map(paymentJson), meta: page.meta });
  });
  router.get('/payments/:id', (req, res) => {
    res.json({ payments: paymentJson(books.get(books.payments, creditorOf(res).id, req.params.id as string)) });
  });

  router.post('/refunds', create('refunds', (req, c) => {
    const refund = books.createRefund(c.id, envelope(req, 'refunds'));
    return { id: refund.id, json: refundJson(refund) };
  }));
  router.get('/refunds', (req, res) => {
    const c = creditorOf(res);
    const created = createdFilter(req.query);
    const q = req.query as Record<string, string | undefined>;
    const list = [...books.refunds.values()].filter((r) => r.creditorId === c.id && created(r.createdAt) && (!q.payment || r.paymentId === q.payment));
    const page = paginate(newestFirst(list), (r) => r.id, req.query);
    res.json({ refunds: page.items.map(refundJson), meta: page.meta });
  });
  router.get('/refunds/:id', (req, res) => {
    res.json({ refunds: refundJson(books.get(books.refunds, creditorOf(res).id, req.params.id as string)) });
  });

  router.get('/payouts', (req, res) => {
    const c = creditorOf(res);
    const created = createdFilter(req.query);
    const q = req.query as Record<string, string | undefined>;
    const list = [...books.payouts.values()].filter((p) => p.creditorId === c.id && created(p.createdAt)
      && (!q.status || p.status === q.status) && (!q.currency || p.currency === q.currency));
    const page = paginate(newestFirst(list), (p) => p.id, req.query);
    res.json({ payouts: page.items.map(payoutJson), meta: page.meta });
  });
  router.get('/payouts/:id', (req, res) => {
    res.json({ payouts: payoutJson(books.get(books.payouts, creditorOf(res).id, req.params.id as string)) });
  });

  router.get('/payout_items', (req, res) => {
    const c = creditorOf(res);
    const payoutId = req.query.payout;
    if (typeof payoutId !== 'string' || !payoutId) {
      throw new GcError(422, 'validation_failed', 'Validation failed', [{ field: 'payout', message: 'is required', request_pointer: '/payout' }]);
    }
    let payout: Payout;
    try {
      payout = books.get(books.payouts, c.id, payoutId);
    } catch {
      throw new GcError(422, 'validation_failed', 'Validation failed', [{ field: 'payout', message: 'does not exist', request_pointer: '/payout' }]);
    }
    if (books.payoutItemsGone(payout)) {
      throw new GcError(410, 'invalid_api_usage', 'Payout items are only available for payouts created in the last 6 months', [{ reason: 'payout_items_unavailable', message: 'Payout items are only available for payouts created in the last 6 months' }]);
    }
    // Items have no ids; their cursor is their position's sequence number.
    const page = paginate(payout.items, (e) => `PI${e.seq}`, req.query);
    res.json({ payout_items: page.items.map((e) => payoutItemJson(e, c.taxRateId, payout.currency)), meta: page.meta });
  });

  router.get('/events', (req, res) => {
    const c = creditorOf(res);
    const created = createdFilter(req.query);
    const q = req.query as Record<string, string | undefined>;
    const linkFilters = (['payment', 'payout', 'refund', 'mandate'] as const).filter((k) => q[k]);
    const list = books.events.filter((e) => e.creditorId === c.id && created(e.at)
      && (!q.resource_type || e.resource_type === q.resource_type) && (!q.action || e.action === q.action)
      && linkFilters.every((k) => e.links[k] === q[k]));
    list.sort((a, b) => b.at - a.at || b.seq - a.seq);
    const include = q.include;
    if (include !== undefined && !(include in INCLUDABLE)) {
      throw new GcError(422, 'validation_failed', 'Validation failed', [{ field: 'include', message: `must be one of ${Object.keys(INCLUDABLE).join(', ')}`, request_pointer: '/include' }]);
    }
    const page = paginate(list, (e) => e.id, req.query);
    res.json({ events: page.items.map(eventJson), meta: page.meta, ...(include ? { linked: linkedResources(include as keyof typeof INCLUDABLE, page.items, c) } : {}) });
  });
  /** ?include=payment: the page's linked payments (each once), under linked.payments, as GoCardless answers. */
  const linkedResources = (include: keyof typeof INCLUDABLE, events: GcEvent[], c: Creditor): Record<string, unknown[]> => {
    const ids = [...new Set(events.map((e) => e.links[include]).filter((id): id is string => typeof id === 'string'))];
    const found = <T extends { creditorId: string }>(map: Map<string, T>, id: string): T | undefined => {
      try {
        return books.get(map, c.id, id);
      } catch {
        return undefined; // a linked resource gone from the books is left out, not an error
      }
    };
    const present = <T>(items: (T | undefined)[]): T[] => items.filter((x): x is T => x !== undefined);
    switch (include) {
      case 'payment': return { payments: present(ids.map((id) => found(books.payments, id))).map(paymentJson) };
      case 'payout': return { payouts: present(ids.map((id) => found(books.payouts, id))).map(payoutJson) };
      case 'refund': return { refunds: present(ids.map((id) => found(books.refunds, id))).map(refundJson) };
      case 'mandate': return { mandates: present(ids.map((id) => found(books.mandates, id))).map((m) => mandateJson(m, books)) };
      case 'creditor': return { creditors: ids.includes(c.id) ? [creditorJson(c)] : [] };
    }
  };

  router.get('/events/:id', (req, res) => {
    const e = books.events.find((x) => x.id === req.params.id && x.creditorId === creditorOf(res).id);
    if (!e) throw notFound();
    res.json({ events: eventJson(e) });
  });

  // The sandbox's scenario simulators: move a payment along at once instead of waiting for the banks.
  router.post('/scenario_simulators/:identity/actions/run', (req, res) => {
    const c = creditorOf(res);
    const body = (req.body as { data?: { links?: { resource?: string } } } | undefined) ?? {};
    const resourceId = body.data?.links?.resource;
    if (typeof resourceId !== 'string') {
      throw new GcError(422, 'validation_failed', 'Validation failed', [{ field: 'links.resource', message: 'is required' }]);
    }
    const payment = books.get(books.payments, c.id, resourceId);
    switch (req.params.identity) {
      case 'payment_submitted': books.submitPayment(payment); break;
      case 'payment_confirmed': books.confirmPayment(payment); break;
      case 'payment_paid_out':
        if (payment.status !== 'confirmed') books.confirmPayment(payment);
        books.runPayouts(books.now, c.id);
        break;
      case 'payment_failed': books.failPayment(payment, 'failed'); break;
      case 'payment_late_failure':
        if (payment.status !== 'confirmed' && payment.status !== 'paid_out') books.confirmPayment(payment);
        books.failPayment(payment, 'failed');
        break;
      case 'payment_charged_back': books.failPayment(payment, 'charged_back'); break;
      default: throw notFound();
    }
    res.json({ scenario_simulators: { id: req.params.identity } });
  });

  router.use(() => {
    throw notFound();
  });
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof GcError) return sendGcError(res, err);
    if ((err as { type?: string }).type === 'entity.parse.failed') {
      return sendGcError(res, new GcError(400, 'invalid_api_usage', 'Invalid JSON', [{ reason: 'invalid_json', message: 'The body is not valid JSON' }]));
    }
    console.error('gocardless emulator: request failed', err);
    sendGcError(res, new GcError(500, 'gocardless', 'Uh-oh! Something went wrong', [{ reason: 'internal_server_error', message: (err as Error).message }]));
  });
  return router;
}
