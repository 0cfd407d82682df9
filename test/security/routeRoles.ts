// WHO MAY USE EACH ROUTE. One row per endpoint of the app (METHOD + Express path, as app routes declare
// them). test/security/routeRoles.test.ts enumerates the real routes at run time and fails for any route
// without a row here, printing the row to add; then, for every row, it checks that every role NOT listed
// is refused (403 for a signed-in user or token, login redirect / 401 for nobody) and that the refused
// request changed nothing in the database, and that every listed role gets past the role check.
//
// Adding a route? Add its row:
//   'POST /plugins/stripe/payouts/:id/match': roles(ADMIN),
// Path ids are filled from the test world (see SAMPLE_IDS in world.ts) by the segment before them
// (`/sales/:id` → a sale, `/users/:id` → a user, `/tokens/:id` → a token, `/history/:id` → a history import,
// `:entityType/:entityId` → sale + its id). For any other id give an example path with placeholders:
//   'GET /plugins/xero/payouts/:payoutId': roles(ADMIN_ACCOUNTANT, { sample: '/plugins/xero/payouts/{payout}' }),
// and teach world.ts how to make a `{payout}` (a row of organisation A).
//
// /api/v1 routes are probed with bearer tokens of each role; every other route with a logged-in session.
import type { Role } from '../../server/plugins/contract';

export interface RoleAccess {
  kind: 'roles';
  roles: readonly Role[];
  /** Example path with placeholders, when the ids cannot be inferred. */
  sample?: string;
  /** The route ends the caller's session (logout): the suite logs back in after probing it. */
  endsSession?: boolean;
}

export interface OpenAccess {
  kind: 'open';
  /** Why nobody needs to be signed in (signature-checked webhook, login form, health check...). */
  why: string;
  sample?: string;
}

export type Access = RoleAccess | OpenAccess;

export const ANY: readonly Role[] = ['admin', 'staff', 'accountant'];
export const ADMIN: readonly Role[] = ['admin'];
export const SELLERS: readonly Role[] = ['admin', 'staff'];
export const ADMIN_ACCOUNTANT: readonly Role[] = ['admin', 'accountant'];

export const roles = (allowed: readonly Role[], opts: Omit<RoleAccess, 'kind' | 'roles'> = {}): RoleAccess => ({ kind: 'roles', roles: allowed, ...opts });
export const open = (why: string, opts: Omit<OpenAccess, 'kind' | 'why'> = {}): OpenAccess => ({ kind: 'open', why, ...opts });

export const ROUTE_ROLES: Record<string, Access> = {
  // ---- operations (no session; /metrics answers loopback or METRICS_TOKEN only)
  'GET /healthz': open('load-balancer health check: database up or down, nothing else'),
  'GET /metrics': open('Prometheus scrape: loopback or METRICS_TOKEN, checked inside the route'),
  'USE /assets': open('the stylesheet and scripts'),
  'USE /webhooks': open('a JSON 404 for webhook paths no installed plugin serves'),

  // ---- JSON API (bearer tokens)
  'GET /api/v1/openapi.json': open('the OpenAPI document of the JSON API: describes the routes, holds no data'),
  'GET /api/v1/sales': roles(ANY),
  'POST /api/v1/sales': roles(SELLERS),
  'GET /api/v1/sales/:id': roles(ANY),
  'POST /api/v1/sales/:id/refunds': roles(SELLERS),
  'POST /api/v1/sales/:id/payments': roles(SELLERS),

  // ---- host pages
  'GET /login': open('the login form'),
  'POST /login': open('logging in (throttled, CSRF-checked)'),
  'POST /logout': roles(ANY, { endsSession: true }),
  'GET /login/two-factor': open('the second step of a login: the form only for a session that just gave the right password, else back to /login'),
  'POST /login/two-factor': open('the second step of a login: needs a pending login (right password, minutes ago); throttled and CSRF-checked like the password'),
  'GET /account/two-factor': roles(ANY),
  'POST /account/two-factor/setup': roles(ANY),
  'POST /account/two-factor/confirm': roles(ANY),
  'POST /account/two-factor/recovery-codes': roles(ANY),
  'POST /account/two-factor/disable': roles(ANY),
  'GET /setup': open('first-run setup: a 404 once any admin exists'),
  'POST /setup': open('first-run setup: refused once any admin exists'),
  'GET /': roles(ANY),
  'GET /sales': roles(ANY),
  'GET /sales/new': roles(SELLERS),
  'POST /sales': roles(SELLERS),
  'GET /sales/:id': roles(ANY),
  'GET /sales/:id/receipt.pdf': roles(ANY),
  'GET /sales/:id/sync.json': roles(ANY),
  'GET /sales/:id/live.json': roles(ANY),
  'POST /sales/:id/refunds': roles(SELLERS),
  'POST /sales/:id/payments': roles(SELLERS),
  'POST /sales/:id/cancel': roles(SELLERS),
  'GET /users': roles(ADMIN),
  'POST /users': roles(ADMIN),
  'POST /users/:id/disable': roles(ADMIN),
  'POST /users/:id/enable': roles(ADMIN),
  'POST /users/:id/role': roles(ADMIN),
  'POST /users/two-factor': roles(ADMIN),
  'POST /users/tokens': roles(ADMIN),
  'POST /users/tokens/:id/revoke': roles(ADMIN),
  'GET /payment-methods': roles(ADMIN),
  'POST /payment-methods': roles(ADMIN),
  'POST /payment-methods/enable': roles(ADMIN),
  'POST /payment-methods/disable': roles(ADMIN),
  'GET /vouchers': roles(ADMIN),
  'POST /vouchers/write-off': roles(ADMIN),
  'POST /vouchers/settings': roles(ADMIN),

  // ---- Xero plugin: connection
  // ---- Stripe plugin
  'GET /plugins/stripe': roles(ADMIN),
  'POST /plugins/stripe': roles(ADMIN),
  'POST /plugins/stripe/disconnect': roles(ADMIN),
  'POST /webhooks/stripe': open('Stripe webhook: Stripe-Signature verified against an organisation\'s signing secret, 300 s window, event ids recorded once'),
  // ---- GoCardless plugin
  'GET /plugins/gocardless': roles(ADMIN),
  'POST /plugins/gocardless': roles(ADMIN),
  'POST /plugins/gocardless/disconnect': roles(ADMIN),
  'POST /webhooks/gocardless': open('GoCardless webhook: Webhook-Signature (HMAC-SHA256 of the body) verified against an organisation\'s endpoint secret, 24 h window on event created_at, event ids recorded once'),

  'POST /webhooks/xero': open('Xero webhook: x-xero-signature (base64 HMAC-SHA256 of the raw body under XERO_WEBHOOK_KEY) verified in constant time; 401 with an empty body otherwise; events recorded once'),
  'GET /plugins/xero/connection': roles(ADMIN),
  'GET /plugins/xero/legacy/certificate.cer': roles(ADMIN),
  'POST /plugins/xero/legacy/certificate/regenerate': roles(ADMIN),
  'POST /plugins/xero/legacy/connect': roles(ADMIN),
  'POST /plugins/xero/oauth2/start': roles(ADMIN),
  'GET /plugins/xero/oauth2/callback': roles(ADMIN),
  'GET /plugins/xero/oauth2/tenants': roles(ADMIN),
  'POST /plugins/xero/oauth2/tenants': roles(ADMIN),
  'POST /plugins/xero/oauth2/custom': roles(ADMIN),
  'POST /plugins/xero/disconnect': roles(ADMIN),

  // ---- Xero plugin: sync, settings, history
  'POST /plugins/xero/sync/:entityType/:entityId/send': roles(SELLERS),
  'GET /plugins/xero/sync/failures': roles(ADMIN),
  'POST /plugins/xero/sync/failures/retry': roles(ADMIN),
  'GET /plugins/xero/sync/log': roles(ADMIN_ACCOUNTANT),
  'GET /plugins/xero/sync/records/:entityType/:entityId': roles(ANY),
  'GET /plugins/xero/settings': roles(ADMIN),
  'POST /plugins/xero/settings': roles(ADMIN),
  'POST /plugins/xero/settings/refresh': roles(ADMIN),
  'POST /plugins/xero/settings/schedule': roles(ADMIN),
  'GET /plugins/xero/history': roles(ADMIN),
  'POST /plugins/xero/history': roles(ADMIN),
  'POST /plugins/xero/history/:id/cancel': roles(ADMIN),
  'POST /plugins/xero/history/:id/resume': roles(ADMIN),
  // ---- Xero plugin: payout reconciliation (accountants; admins may look too)
  'GET /plugins/xero/payouts': roles(ADMIN_ACCOUNTANT),
  'GET /plugins/xero/payouts.csv': roles(ADMIN_ACCOUNTANT),
  'GET /plugins/xero/payouts/lines.csv': roles(ADMIN_ACCOUNTANT),
  'GET /plugins/xero/payouts/signoff': roles(ADMIN_ACCOUNTANT),
  'POST /plugins/xero/payouts/signoff/:lineId': roles(ADMIN_ACCOUNTANT, { sample: '/plugins/xero/payouts/signoff/999999' }),
  'GET /plugins/xero/payouts/:id': roles(ADMIN_ACCOUNTANT, { sample: '/plugins/xero/payouts/999999' }),
  'GET /plugins/xero/payouts/rules': roles(ADMIN_ACCOUNTANT),
  'GET /plugins/xero/payouts/rules/:id': roles(ADMIN_ACCOUNTANT, { sample: '/plugins/xero/payouts/rules/999999' }),
  'POST /plugins/xero/payouts/rules/:id': roles(ADMIN_ACCOUNTANT, { sample: '/plugins/xero/payouts/rules/999999' }),
  'POST /plugins/xero/payouts/rules/:id/move': roles(ADMIN_ACCOUNTANT, { sample: '/plugins/xero/payouts/rules/999999/move' }),
  'POST /plugins/xero/payouts/rules/:id/enabled': roles(ADMIN_ACCOUNTANT, { sample: '/plugins/xero/payouts/rules/999999/enabled' }),
  'POST /plugins/xero/payouts/rules/:id/delete': roles(ADMIN_ACCOUNTANT, { sample: '/plugins/xero/payouts/rules/999999/delete' }),
  'GET /plugins/xero/payouts/settings': roles(ADMIN),
  'POST /plugins/xero/payouts/settings': roles(ADMIN),
};
