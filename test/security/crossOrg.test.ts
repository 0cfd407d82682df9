// One organisation's users and API tokens cannot read or change another's data. Every id-bearing route
// (read from the running app) is called by organisation A's most privileged allowed caller with
// organisation B's ids: the answer is 404, shows nothing of B, and the database is unchanged. Every
// list page and list endpoint is read by A and must not show B's records, users, tokens or Xero tenant.
// Ids in form bodies (retry of failed sync items) are tried too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db';
import type { Role } from '../../server/plugins/contract';
import { appRoutes } from './routes';
import { ROUTE_ROLES } from './routeRoles';
import { describeResponse, fill, isApi, send, templateOf, type Caller } from './probe';
import { changedTables, ROLES, sessionFor, snapshot, startSecurityWorld, type SecurityWorld, type Session } from './world';

const FORM = { kind: 'full', amount: '1.00', method: 'cash', role: 'admin', from: '2026-01-01' };

for (const kind of dbKinds()) {
  describe(`security: organisations are isolated (${kind})`, { timeout: 180_000 }, () => {
    let w: SecurityWorld;
    const sessions = new Map<Role, Session>();
    /** Text that must never appear in a response to organisation A. */
    let secretsOfB: string[];

    before(async () => {
      w = await startSecurityWorld(kind);
      for (const role of ROLES) sessions.set(role, await sessionFor(w, w.a, role));
      const bUsers = (await w.db('users').where({ org_id: w.b.orgId }).pluck('email')) as string[];
      const bTokens = (await w.db('api_tokens').where({ org_id: w.b.orgId }).pluck('token_prefix')) as string[];
      secretsOfB = [w.b.records.marker, w.b.tenantId, ...bUsers, ...bTokens, 'Bravo Gym'];
    });
    after(async () => w?.close());

    const callerFor = (path: string, allowed: readonly Role[]): Caller => {
      const role = allowed.includes('admin') ? 'admin' : allowed[0]!;
      return isApi(path) ? { kind: 'token', role, token: w.a.tokens[role] } : { kind: 'session', role, session: sessions.get(role)! };
    };
    const leaks = (text: string) => secretsOfB.filter((s) => text.includes(s));

    it("answers 404 to every id-bearing route called with another organisation's ids, changing nothing", async () => {
      const problems: string[] = [];
      const routes = appRoutes(w.x.app).filter((r) => r.path.includes(':'));
      assert.ok(routes.length >= 12, `only ${routes.length} id-bearing routes`);
      for (const route of routes) {
        const access = ROUTE_ROLES[route.key];
        if (!access || access.kind !== 'roles') continue;
        const path = fill(templateOf(route, access), w.b.records);
        const caller = callerFor(route.path, access.roles);
        const before = await snapshot(w.db);
        const res = await send(w.x.app, route.method, path, caller, { body: FORM });
        const changed = changedTables(before, await snapshot(w.db));
        // A form may instead go back to its page with an error, as for any unknown id.
        const refusal = res.status === 303 && caller.kind === 'session' ? await caller.session.agent.get(String(res.headers.location)) : res;
        const refused = res.status === 404 || (res.status === 303 && /class="alert alert-error"/.test(refusal.text));
        if (!refused) problems.push(`${route.key} as A's ${caller.role} on B's ${path}: expected 404 (or a form error), got ${describeResponse(res)}`);
        const leaked = leaks(`${res.text ?? ''}${refusal.text ?? ''}`);
        if (leaked.length) problems.push(`${route.key}: A's ${caller.role} was shown B's ${leaked.join(', ')}`);
        if (changed.length) problems.push(`${route.key}: A's ${caller.role} changed ${changed.join(', ')} through B's ids`);
      }
      assert.deepEqual(problems, [], problems.join('\n'));
    });

    it("shows none of another organisation's records on any page or list A can open", async () => {
      const problems: string[] = [];
      const gets = appRoutes(w.x.app).filter((r) => r.method === 'GET' && !r.path.includes(':'));
      for (const route of gets) {
        const access = ROUTE_ROLES[route.key];
        if (!access || access.kind !== 'roles') continue;
        for (const role of access.roles) {
          const caller: Caller = isApi(route.path) ? { kind: 'token', role, token: w.a.tokens[role] } : { kind: 'session', role, session: sessions.get(role)! };
          const res = await send(w.x.app, 'GET', route.path, caller);
          const leaked = leaks(res.text ?? '');
          if (leaked.length) problems.push(`${route.key} as A's ${role}: shows B's ${leaked.join(', ')}`);
        }
      }
      // A's own records do show (the pages are not simply empty).
      const list = await send(w.x.app, 'GET', '/sales', { kind: 'session', role: 'admin', session: sessions.get('admin')! });
      assert.match(list.text, new RegExp(w.a.records.marker));
      assert.deepEqual(problems, [], problems.join('\n'));
    });

    it("retries none of another organisation's failed sync items named in the form", async () => {
      await w.db('outbox').where({ org_id: w.b.orgId }).whereLike('type', 'xero.%').update({ status: 'dead', last_error: 'test: dead' });
      const bIds = (await w.db('outbox').where({ org_id: w.b.orgId, status: 'dead' }).pluck('id')).map(String);
      assert.ok(bIds.length > 0);
      const before = await snapshot(w.db);
      const res = await send(w.x.app, 'POST', '/plugins/xero/sync/failures/retry', { kind: 'session', role: 'admin', session: sessions.get('admin')! }, { body: { ids: bIds } });
      assert.equal(res.status, 303, describeResponse(res));
      assert.deepEqual(changedTables(before, await snapshot(w.db)).filter((t) => t !== 'outbox'), []);
      assert.equal(Number((await w.db('outbox').where({ org_id: w.b.orgId }).whereNot({ status: 'dead' }).whereLike('type', 'xero.%').count({ n: '*' }))[0]!.n), 0);
    });

    it("cannot use another organisation's API token id, user id or sale id through the API either", async () => {
      for (const path of [`/api/v1/sales/${w.b.records.sale}`]) {
        const res = await send(w.x.app, 'GET', path, { kind: 'token', role: 'accountant', token: w.a.tokens.accountant });
        assert.equal(res.status, 404, describeResponse(res));
      }
      const list = await send(w.x.app, 'GET', '/api/v1/sales?limit=100', { kind: 'token', role: 'admin', token: w.a.tokens.admin });
      assert.equal(list.status, 200);
      assert.deepEqual(leaks(list.text), []);
      assert.ok((list.body as { data: unknown[] }).data.length >= 1);
    });
  });
}
