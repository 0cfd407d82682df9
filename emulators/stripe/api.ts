// The /v1 API: authentication by secret key (Bearer or Basic), Idempotency-Key, then the resources
// Ledgerbridge uses, in the one API version the emulator implements (version.ts). Bodies are form-encoded
// with bracket notation; answers are the objects in their API shape (every answer in the tests is checked
// against Stripe's OpenAPI document by test/conformance.ts).
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Account } from './accounts';
import type { RequestInfo, StripeBook, StripeObject } from './book';
import { StripeApiError, invalidRequest, missingResource, sendStripeError } from './errors';
import { stripeId } from './ids';
import type { IdempotencyStore } from './idempotency';
import { expand, expandParam, listResponse } from './lists';
import { bool, checkKnown, int, list, metadata, range, str, type Params } from './params';
import { versionGate, versionProblem } from './version';
import type { WebhookDispatcher } from './webhooks';

interface Locals {
  account: Account;
  request: RequestInfo;
}

const locals = (res: Response): Locals => res.locals.stripe as Locals;
const params = (req: Request): Params => (req.method === 'GET' || req.method === 'DELETE' ? (req.query as Params) : ((req.body ?? {}) as Params));

function authenticate(book: StripeBook) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    let key: string | undefined;
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    const basic = /^Basic\s+(\S+)$/i.exec(header);
    if (bearer) key = bearer[1];
    else if (basic) key = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0];
    if (!key) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Stripe"');
      return sendStripeError(res, new StripeApiError(401, { type: 'invalid_request_error', message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/." }));
    }
    const account = book.accountByKey(key);
    if (!account) {
      const shown = key.length > 8 ? `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}` : key;
      return sendStripeError(res, new StripeApiError(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${shown}` }));
    }
    res.locals.stripe = { account, request: { id: String(res.getHeader('Request-Id')), idempotencyKey: req.get('idempotency-key') ?? null } } satisfies Locals;
    next();
  };
}

export function apiRouter(book: StripeBook, webhooks: WebhookDispatcher, idempotency: IdempotencyStore, afterWrite: () => void): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('Request-Id', stripeId('req', 14));
    res.setHeader('Stripe-Version', book.apiVersion);
    next();
  });
  router.use(authenticate(book));
  router.use(versionGate());
  router.use(idempotency.middleware((res) => locals(res).account.id));
  router.use((req, res, next) => {
    if (req.method !== 'GET') res.on('finish', afterWrite);
    next();
  });

  type Handler = (p: Params, l: Locals, req: Request) => unknown;
  const route = (method: 'get' | 'post' | 'delete', path: string, handler: Handler): void => {
    router[method](path, (req, res) => {
      const l = locals(res);
      res.json(handler(params(req), l, req));
    });
  };
  const one = (l: Locals, obj: StripeObject, p: Params): StripeObject => expand(book, l.account.id, book.view(l.account.id, obj), expandParam(p));
  const id = (req: Request): string => String(req.params.id);

  route('get', '/account', (p, l) => {
    checkKnown(p, ['expand']);
    const a = l.account;
    return {
      id: a.id, object: 'account', business_profile: { mcc: null, name: a.name, product_description: null, support_address: null, support_email: null, support_phone: null, support_url: null, url: null },
      business_type: 'company', capabilities: { card_payments: 'active', transfers: 'active' }, charges_enabled: true, country: a.settings.country, created: a.created,
      default_currency: a.settings.currency, details_submitted: true, email: a.email, external_accounts: { object: 'list', data: [], has_more: false, url: `/v1/accounts/${a.id}/external_accounts` },
      metadata: {}, payouts_enabled: true, settings: {
        branding: { icon: null, logo: null, primary_color: null, secondary_color: null }, card_payments: { statement_descriptor_prefix: null },
        dashboard: { display_name: a.name, timezone: 'Etc/UTC' }, payments: { statement_descriptor: a.name.slice(0, 22).toUpperCase() },
        payouts: { debit_negative_balances: true, schedule: { delay_days: a.settings.availabilityDays, interval: a.settings.automaticPayouts ? 'daily' : 'manual' }, statement_descriptor: null } },
      type: 'standard',
    };
  });

  route('get', '/balance', (p, l) => {
    checkKnown(p, ['expand']);
    return book.balance(l.account.id);
  });

  // ---- customers ----
  route('post', '/customers', (p, l) => {
    checkKnown(p, ['email', 'name', 'description', 'metadata', 'expand', 'phone']);
    return book.view(l.account.id, book.createCustomer(l.account.id, { email: str(p, 'email'), name: str(p, 'name'), description: str(p, 'description'), metadata: metadata(p) }, l.request));
  });
  route('get', '/customers', (p, l) => {
    checkKnown(p, ['limit', 'starting_after', 'ending_before', 'expand', 'email', 'created']);
    const email = str(p, 'email');
    const created = range(p, 'created');
    return listResponse(book, l.account.id, book.all(l.account.id, 'customer').filter((c) => (!email || c.email === email) && (!created || created(c.created))), p, '/v1/customers', 'customer');
  });
  route('get', '/customers/:id', (p, l, req) => one(l, book.get(l.account.id, 'customer', id(req)), p));

  // ---- payment intents ----
  const piParams = ['amount', 'currency', 'customer', 'payment_method', 'payment_method_types', 'automatic_payment_methods', 'confirm', 'description', 'metadata', 'receipt_email', 'statement_descriptor', 'expand', 'return_url', 'off_session'];
  route('post', '/payment_intents', (p, l) => {
    checkKnown(p, piParams);
    const types = list(p, 'payment_method_types');
    if (types.some((t) => t !== 'card')) throw invalidRequest(`The payment method type "${types.find((t) => t !== 'card')}" is invalid for this emulator (card only).`, 'payment_method_types');
    const pi = book.createPaymentIntent(l.account.id, {
      amount: int(p, 'amount', true), currency: str(p, 'currency', true).toLowerCase(), customer: str(p, 'customer'), paymentMethod: str(p, 'payment_method'),
      description: str(p, 'description'), receiptEmail: str(p, 'receipt_email'), statementDescriptor: str(p, 'statement_descriptor'), metadata: metadata(p), confirm: bool(p, 'confirm') ?? false,
    }, l.request);
    return one(l, pi, p);
  });
  route('post', '/payment_intents/:id/confirm', (p, l, req) => {
    checkKnown(p, ['payment_method', 'expand', 'return_url', 'off_session', 'receipt_email']);
    return one(l, book.confirmPaymentIntent(l.account.id, id(req), str(p, 'payment_method'), l.request), p);
  });
  route('get', '/payment_intents', (p, l) => {
    checkKnown(p, ['limit', 'starting_after', 'ending_before', 'expand', 'customer', 'created']);
    const customer = str(p, 'customer');
    const created = range(p, 'created');
    return listResponse(book, l.account.id, book.all(l.account.id, 'payment_intent').filter((x) => (!customer || x.customer === customer) && (!created || created(x.created))), p, '/v1/payment_intents', 'payment_intent');
  });
  route('get', '/payment_intents/:id', (p, l, req) => one(l, book.get(l.account.id, 'payment_intent', id(req)), p));

  // ---- charges ----
  route('post', '/charges', (p, l) => {
    checkKnown(p, ['amount', 'currency', 'source', 'customer', 'description', 'metadata', 'receipt_email', 'statement_descriptor', 'expand', 'capture']);
    if (bool(p, 'capture') === false) throw invalidRequest('This emulator captures charges at once (capture=false is not supported).', 'capture');
    const charge = book.createCharge(l.account.id, {
      amount: int(p, 'amount', true), currency: str(p, 'currency', true).toLowerCase(), source: str(p, 'source', true), customer: str(p, 'customer'),
      description: str(p, 'description'), receiptEmail: str(p, 'receipt_email'), statementDescriptor: str(p, 'statement_descriptor'), metadata: metadata(p),
    }, l.request);
    return one(l, charge, p);
  });
  route('get', '/charges', (p, l) => {
    checkKnown(p, ['limit', 'starting_after', 'ending_before', 'expand', 'customer', 'payment_intent', 'created']);
    const customer = str(p, 'customer');
    const pi = str(p, 'payment_intent');
    const created = range(p, 'created');
    return listResponse(book, l.account.id, book.all(l.account.id, 'charge').filter((c) => (!customer || c.customer === customer) && (!pi || c.payment_intent === pi) && (!created || created(c.created))), p, '/v1/charges', 'charge');
  });
  route('get', '/charges/:id', (p, l, req) => one(l, book.get(l.account.id, 'charge', id(req)), p));

  // ---- refunds ----
  route('post', '/refunds', (p, l) => {
    checkKnown(p, ['charge', 'payment_intent', 'amount', 'reason', 'metadata', 'expand']);
    return one(l, book.createRefund(l.account.id, { charge: str(p, 'charge'), paymentIntent: str(p, 'payment_intent'), amount: int(p, 'amount'), reason: str(p, 'reason'), metadata: metadata(p) }, l.request), p);
  });
  route('get', '/refunds', (p, l) => {
    checkKnown(p, ['limit', 'starting_after', 'ending_before', 'expand', 'charge', 'payment_intent', 'created']);
    const charge = str(p, 'charge');
    return listResponse(book, l.account.id, book.all(l.account.id, 'refund').filter((r) => !charge || r.charge === charge), p, '/v1/refunds', 'refund');
  });
  route('get', '/refunds/:id', (p, l, req) => one(l, book.get(l.account.id, 'refund', id(req)), p));

  // ---- disputes ----
  route('get', '/disputes', (p, l) => {
    checkKnown(p, ['limit', 'starting_after', 'ending_before', 'expand', 'charge', 'payment_intent', 'created']);
    const charge = str(p, 'charge');
    return listResponse(book, l.account.id, book.all(l.account.id, 'dispute').filter((d) => !charge || d.charge === charge), p, '/v1/disputes', 'dispute');
  });
  route('get', '/disputes/:id', (p, l, req) => one(l, book.get(l.account.id, 'dispute', id(req)), p));
  // Closing a dispute through the API is accepting it: the merchant loses.
  route('post', '/disputes/:id/close', (p, l, req) => {
    checkKnown(p, ['expand']);
    return one(l, book.closeDispute(l.account.id, id(req), 'lost', l.request), p);
  });

  // ---- balance transactions ----
  route('get', '/balance_transactions', (p, l) => {
    checkKnown(p, ['limit', 'starting_after', 'ending_before', 'expand', 'payout', 'type', 'source', 'currency', 'created']);
    const payout = str(p, 'payout');
    const type = str(p, 'type');
    const source = str(p, 'source');
    const currency = str(p, 'currency');
    const created = range(p, 'created');
    const inPayout = payout ? book.inPayout(l.account.id, payout) : undefined;
    if (type === 'payout' && payout) throw invalidRequest('You cannot filter by type=payout when listing the balance transactions of a payout.', 'type');
    const items = book.all(l.account.id, 'balance_transaction').filter((bt) =>
      (!inPayout || inPayout(bt)) && (!type || bt.type === type) && (!source || bt.source === source) && (!currency || bt.currency === currency) && (!created || created(bt.created)));
    return listResponse(book, l.account.id, items, p, '/v1/balance_transactions', 'balance_transaction');
  });
  route('get', '/balance_transactions/:id', (p, l, req) => one(l, book.get(l.account.id, 'balance_transaction', id(req)), p));

  // ---- payouts ----
  route('get', '/payouts', (p, l) => {
    checkKnown(p, ['limit', 'starting_after', 'ending_before', 'expand', 'status', 'arrival_date', 'created', 'destination']);
    const status = str(p, 'status');
    const arrival = range(p, 'arrival_date');
    const created = range(p, 'created');
    return listResponse(book, l.account.id, book.all(l.account.id, 'payout').filter((po) => (!status || po.status === status) && (!arrival || arrival(po.arrival_date as number)) && (!created || created(po.created))), p, '/v1/payouts', 'payout');
  });
  route('get', '/payouts/:id', (p, l, req) => one(l, book.get(l.account.id, 'payout', id(req)), p));

  // ---- events ----
  route('get', '/events', (p, l) => {
    checkKnown(p, ['limit', 'starting_after', 'ending_before', 'expand', 'type', 'types', 'created', 'delivery_success']);
    const type = str(p, 'type');
    const types = list(p, 'types');
    const created = range(p, 'created');
    const matches = (t: string): boolean => (!type || (type.endsWith('.*') ? t.startsWith(type.slice(0, -1)) : t === type)) && (types.length === 0 || types.includes(t));
    return listResponse(book, l.account.id, webhooks.events(l.account.id).filter((e) => matches(e.type as string) && (!created || created(e.created))), p, '/v1/events', 'event');
  });
  route('get', '/events/:id', (_p, l, req) => {
    const event = webhooks.event(l.account.id, id(req));
    if (!event) throw missingResource('event', id(req));
    return event;
  });

  // ---- webhook endpoints ----
  route('post', '/webhook_endpoints', (p, l) => {
    checkKnown(p, ['url', 'enabled_events', 'description', 'metadata', 'api_version', 'expand', 'connect']);
    // Events to an endpoint are shaped in its api_version: only the implemented one can be honoured.
    const apiVersion = str(p, 'api_version');
    const refused = apiVersion === undefined ? null : versionProblem(apiVersion, 'api_version');
    if (refused) throw refused;
    const enabled = list(p, 'enabled_events');
    if (enabled.length === 0) throw invalidRequest('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
    try {
      return webhooks.addEndpoint(l.account.id, { url: str(p, 'url', true), enabledEvents: enabled, description: str(p, 'description'), metadata: metadata(p), ...(apiVersion ? { apiVersion } : {}) });
    } catch (err) {
      if (err instanceof TypeError) throw invalidRequest(err.message, 'url', 'url_invalid');
      throw err;
    }
  });
  route('get', '/webhook_endpoints', (p, l) => {
    checkKnown(p, ['limit', 'starting_after', 'ending_before', 'expand']);
    return listResponse(book, l.account.id, webhooks.endpoints(l.account.id) as unknown as StripeObject[], p, '/v1/webhook_endpoints', 'webhook_endpoint');
  });
  route('get', '/webhook_endpoints/:id', (_p, l, req) => {
    const e = webhooks.endpoint(l.account.id, id(req));
    if (!e) throw missingResource('webhook_endpoint', id(req));
    return e;
  });
  route('delete', '/webhook_endpoints/:id', (_p, l, req) => {
    if (!webhooks.removeEndpoint(l.account.id, id(req))) throw missingResource('webhook_endpoint', id(req));
    return { id: id(req), object: 'webhook_endpoint', deleted: true };
  });

  router.use((req, res) => {
    sendStripeError(res, invalidRequest(`Unrecognized request URL (${req.method}: ${req.baseUrl}${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`, undefined, undefined, 404));
  });
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof StripeApiError) return sendStripeError(res, err);
    if (err instanceof TypeError) return sendStripeError(res, invalidRequest(err.message));
    if ((err as { type?: string }).type === 'entity.parse.failed') return sendStripeError(res, invalidRequest('Invalid request body'));
    next(err);
  });
  return router;
}

/** Form bodies with Stripe's bracket notation (qs), the raw bytes kept for the call log and idempotency. */
export const formBody = express.urlencoded({
  extended: true,
  limit: '1mb',
  verify: (req, _res, buf) => {
    (req as Request & { rawBody?: Buffer }).rawBody = Buffer.from(buf);
  },
});
