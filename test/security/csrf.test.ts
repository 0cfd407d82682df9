// CSRF on every form: every state-changing browser route (POST/PUT/PATCH/DELETE outside /api and
// /webhooks, read from the running app) refuses a request with no token, a made-up token, or another
// session's valid token — as a caller the route would otherwise accept — and the database is unchanged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db';
import type { Role } from '../../server/plugins/contract';
import { appRoutes } from './routes';
import { ROUTE_ROLES } from './routeRoles';
import { describeResponse, fill, isApi, send, templateOf, type Caller } from './probe';
import { anonymousSession, changedTables, ROLES, sessionFor, snapshot, startSecurityWorld, type SecurityWorld, type Session } from './world';

const FORM = {
  email: 'admin@alpha-gym.test', password: 'xero test password 1', name: 'Forged', role: 'admin', passwordConfirm: 'forged password 1234',
  orgName: 'Forged Org', from: '2026-01-01', kind: 'full', amount: '1.00', method: 'cash', ids: ['1'], schedule: 'daily', hour: '23',
};
const EXPIRED = /This form has expired/;

for (const kind of dbKinds()) {
  describe(`security: CSRF on every form (${kind})`, { timeout: 180_000 }, () => {
    let w: SecurityWorld;
    const sessions = new Map<Role, Session>();
    let anonymous: Session;
    let otherOrgAdmin: Session;

    before(async () => {
      w = await startSecurityWorld(kind);
      for (const role of ROLES) sessions.set(role, await sessionFor(w, w.a, role));
      anonymous = await anonymousSession(w);
      otherOrgAdmin = await sessionFor(w, w.b, 'admin');
    });
    after(async () => w?.close());

    it('refuses a missing, made-up or borrowed token on every state-changing page route, changing nothing', async () => {
      const forms = appRoutes(w.x.app).filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && !isApi(r.path) && !r.path.startsWith('/webhooks/'));
      assert.ok(forms.length >= 20, `only ${forms.length} form routes found`);
      const problems: string[] = [];
      for (const route of forms) {
        const access = ROUTE_ROLES[route.key];
        if (!access) continue; // the route × role test reports it
        // The caller the route would accept: its first listed role, or nobody for open routes (login, setup).
        const session = access.kind === 'roles' ? sessions.get(access.roles[0]!)! : anonymous;
        const caller: Caller = { kind: 'session', role: access.kind === 'roles' ? access.roles[0]! : 'anonymous', session };
        const path = fill(templateOf(route, access), w.a.records);
        const before = await snapshot(w.db);
        for (const [label, csrf] of [['no token', null], ['made-up token', 'x'.repeat(64)], ["another session's token", otherOrgAdmin.csrf]] as const) {
          const res = await send(w.x.app, route.method, path, caller, { csrf, body: FORM });
          if (res.status !== 403 || !EXPIRED.test(res.text)) problems.push(`${route.key} with ${label}: ${describeResponse(res)}`);
        }
        const changed = changedTables(before, await snapshot(w.db));
        if (changed.length) problems.push(`${route.key}: forged requests changed ${changed.join(', ')}`);
      }
      assert.deepEqual(problems, [], problems.join('\n'));
    });

    it("accepts the session's own token (the refusals above are about the token, not the route)", async () => {
      const admin = sessions.get('admin')!;
      const ok = await send(w.x.app, 'POST', '/plugins/xero/settings/schedule', { kind: 'session', role: 'admin', session: admin }, { body: { mode: 'realtime' } });
      assert.notEqual(ok.status, 403, describeResponse(ok));
      assert.doesNotMatch(ok.text, EXPIRED);
    });

    it('takes the token from the x-csrf-token header as well, and checks it there too', async () => {
      const admin = sessions.get('admin')!;
      const good = await admin.agent.post('/plugins/xero/settings/schedule').set('x-csrf-token', admin.csrf).type('form').send({ mode: 'realtime' });
      assert.notEqual(good.status, 403, describeResponse(good));
      const bad = await admin.agent.post('/plugins/xero/settings/schedule').set('x-csrf-token', otherOrgAdmin.csrf).type('form').send({ mode: 'realtime' });
      assert.equal(bad.status, 403);
    });
  });
}
