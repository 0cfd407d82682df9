// Every route × every role, driven by the table in routeRoles.ts. The routes are read from the running
// app's router (plugins included), so a route added without a row fails here with the row to add; every
// role a row does not list is refused (403, or 401 / the login page for nobody) and its request changes
// nothing in the database; every role it lists gets past the role check. SQLite and PostgreSQL. Every API
// answer is also checked against the OpenAPI document (test/support/apiContract.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db';
import type { Role } from '../../server/plugins/contract';
import { appRoutes, type AppRoute } from './routes';
import { ROUTE_ROLES, type Access } from './routeRoles';
import { describeResponse, fill, gotPast, isApi, refusedAsExpected, send, templateOf, type Caller } from './probe';
import type { RequestListener } from 'node:http';
import { createApiContract, type ApiContract } from '../support/apiContract';
import { buildOpenApiDocument } from '../../server/api/openapi/document';
import { methodIds } from '../../server/domain/sales';
import { anonymousSession, changedTables, ROLES, saleBody, sessionFor, snapshot, startSecurityWorld, type SecurityWorld, type Session } from './world';

/** What a refused caller sends: enough that the request WOULD change something if the role check were missing. */
const PLAUSIBLE_FORM = {
  email: 'intruder@evil.test', name: 'Intruder', role: 'admin', password: 'intruder password 123', passwordConfirm: 'intruder password 123',
  from: '2026-01-01', kind: 'full', amount: '1.00', method: 'cash', currency: 'GBP', ids: ['1', '2', '3'],
  consumer_key: 'KEY', consumer_secret: 'SECRET', client_id: 'CLIENT', client_secret: 'SECRET', schedule: 'daily', hour: '23',
  default_sales_account: '200', invoice_status: 'DRAFT', tenantId: 'tenant', orgName: 'Evil Org',
};
const API_BODY: Record<string, Record<string, unknown>> = {
  '/api/v1/sales': saleBody('INTRUDER'),
  refunds: { kind: 'full' },
  payments: { method: 'cash', amount: '1.00' },
};
const apiBody = (path: string) => API_BODY[path] ?? (path.endsWith('/refunds') ? API_BODY.refunds : path.endsWith('/payments') ? API_BODY.payments : {});

for (const kind of dbKinds()) {
  describe(`security: every route × every role (${kind})`, { timeout: 240_000 }, () => {
    let w: SecurityWorld;
    let routes: AppRoute[];
    const sessions = new Map<Role, Session>();
    let anonymous: Session;
    let contract: ApiContract;
    let api: RequestListener;

    before(async () => {
      w = await startSecurityWorld(kind);
      routes = appRoutes(w.x.app);
      contract = createApiContract(buildOpenApiDocument({ paymentMethods: methodIds(w.x.host.deps) }));
      api = contract.wrap(w.x.app);
      for (const role of ROLES) sessions.set(role, await sessionFor(w, w.a, role));
      anonymous = await anonymousSession(w);
    });
    after(async () => {
      await w?.close();
      if (contract?.checked) contract.assertClean();
    });

    const callers = (route: AppRoute): Caller[] =>
      isApi(route.path)
        ? [...ROLES.map((role): Caller => ({ kind: 'token', role, token: w.a.tokens[role] })), { kind: 'token', role: 'anonymous', token: null }]
        : [...ROLES.map((role): Caller => ({ kind: 'session', role, session: sessions.get(role)! })), { kind: 'session', role: 'anonymous', session: anonymous }];

    const probe = (route: AppRoute, caller: Caller, path: string) =>
      send(isApi(route.path) ? api : w.x.app, route.method, path, caller, { body: isApi(route.path) ? apiBody(route.path) : PLAUSIBLE_FORM });

    it('finds the routes it checks (the walker sees host, API and plugin routes)', () => {
      const keys = routes.map((r) => r.key);
      for (const expected of ['GET /sales/:id', 'POST /api/v1/sales', 'GET /plugins/xero/connection', 'POST /users/tokens/:id/revoke']) {
        assert.ok(keys.includes(expected), `${expected} not found among ${keys.join(', ')}`);
      }
    });

    it('has a row in test/security/routeRoles.ts for every route, and a route for every row', async () => {
      const missing = routes.filter((r) => !(r.key in ROUTE_ROLES));
      const suggestions: string[] = [];
      for (const route of missing) {
        if (route.method === 'USE') {
          suggestions.push(`  '${route.key}': open('why nobody needs to log in'),   // a bare handler mounted with app.use`);
          continue;
        }
        // Show what the route lets through today, so the author can check it is what they meant.
        let template: string;
        try {
          template = templateOf(route);
        } catch (err) {
          suggestions.push(`  '${route.key}': roles([...], { sample: '...' }),   // ${(err as Error).message}`);
          continue;
        }
        const passed: string[] = [];
        for (const caller of callers(route)) {
          const res = await probe(route, caller, fill(template, 'missing'));
          if (gotPast(res)) passed.push(caller.role);
        }
        const row = passed.includes('anonymous')
          ? `open('why nobody needs to log in')`
          : passed.length ? `roles([${passed.map((r) => `'${r}'`).join(', ')}])` : `roles([/* nobody got in: which roles? */])`;
        suggestions.push(`  '${route.key}': ${row},   // observed: let through ${passed.join(', ') || 'nobody'}`);
      }
      const stale = Object.keys(ROUTE_ROLES).filter((k) => !routes.some((r) => r.key === k));
      assert.deepEqual(
        { missing: suggestions, stale },
        { missing: [], stale: [] },
        `${missing.length} route(s) have no row in test/security/routeRoles.ts. Add (and check the roles are what you mean):\n${suggestions.join('\n')}\n` +
          (stale.length ? `Rows naming no route (remove them or fix the path): ${stale.join(', ')}\n` : ''),
      );
    });

    it('refuses every role a row does not list, changing nothing, and lets every listed role past the role check', async () => {
      const problems: string[] = [];
      for (const route of routes) {
        const access: Access | undefined = ROUTE_ROLES[route.key];
        if (!access || access.kind !== 'roles') continue; // open routes are attacked in their own tests
        const template = templateOf(route, access);
        const allowed = new Set<string>(access.roles);

        const before = await snapshot(w.db);
        for (const caller of callers(route).filter((c) => !allowed.has(c.role))) {
          const res = await probe(route, caller, fill(template, w.a.records));
          if (!refusedAsExpected(res, caller, route.method)) problems.push(`${route.key} as ${caller.role}: expected refusal, got ${describeResponse(res)}`);
        }
        const changed = changedTables(before, await snapshot(w.db));
        if (changed.length) problems.push(`${route.key}: refused requests changed ${changed.join(', ')}`);

        for (const caller of callers(route).filter((c) => allowed.has(c.role))) {
          const res = await probe(route, caller, fill(template, 'missing'));
          if (access.endsSession && caller.kind === 'session' && caller.role !== 'anonymous') {
            // Its success IS the way to the login page: prove the session really ended, then log in again.
            const after = await caller.session.agent.get('/');
            if (res.status !== 303 || after.status !== 303) problems.push(`${route.key} as ${caller.role}: did not end the session: ${describeResponse(res)}, then / → ${describeResponse(after)}`);
            sessions.set(caller.role, await sessionFor(w, w.a, caller.role));
            continue;
          }
          if (!gotPast(res)) problems.push(`${route.key} as ${caller.role}: the table allows it but the app refused: ${describeResponse(res)}`);
        }
      }
      assert.deepEqual(problems, [], problems.join('\n'));
    });

    it('never accepts a session cookie on the JSON API, nor a bearer token on pages', async () => {
      const admin = sessions.get('admin')!;
      const api = await admin.agent.get('/api/v1/sales').set('Accept', 'application/json');
      assert.equal(api.status, 401, describeResponse(api));
      const page = await send(w.x.app, 'GET', '/users', { kind: 'token', role: 'admin', token: w.a.tokens.admin });
      assert.ok(page.status === 401 || (page.status === 303 && String(page.headers.location).startsWith('/login')), describeResponse(page));
    });
  });
}
