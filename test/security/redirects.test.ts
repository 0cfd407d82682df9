// No form can send a signed-in user off-site: the redirect targets people (or a forged link) control —
// login's `next` and the sync page's `returnTo` — must stay on this site however they are spelled.
// Browsers read `/\evil.example` as `//evil.example`, so "starts with / but not //" is not enough.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../support/db';
import { csrfFrom, PASSWORD } from '../support/xero';
import { describeResponse, send } from './probe';
import { sessionFor, startSecurityWorld, type SecurityWorld, type Session } from './world';

const BASE = 'http://books.test';
const OFF_SITE = ['//evil.example/x', '/\\evil.example/x', '\\\\evil.example', 'https://evil.example/', '/\\/evil.example', ' //evil.example'];

/** Where a browser on this site goes when told `Location: <location>`. */
const landsOn = (location: string): string => new URL(location, BASE).origin;

for (const kind of dbKinds()) {
  describe(`security: redirects stay on this site (${kind})`, { timeout: 120_000 }, () => {
    let w: SecurityWorld;
    let staff: Session;
    before(async () => {
      w = await startSecurityWorld(kind);
      staff = await sessionFor(w, w.a, 'staff');
    });
    after(async () => w?.close());

    it("send now's returnTo", async () => {
      for (const target of OFF_SITE) {
        const res = await send(w.x.app, 'POST', `/plugins/xero/sync/sale/${w.a.records.sale}/send`, { kind: 'session', role: 'staff', session: staff }, { body: { returnTo: target } });
        assert.equal(res.status, 303, describeResponse(res));
        assert.equal(landsOn(String(res.headers.location)), BASE, `returnTo ${JSON.stringify(target)} sent the browser to ${String(res.headers.location)}`);
      }
      const own = await send(w.x.app, 'POST', `/plugins/xero/sync/sale/${w.a.records.sale}/send`, { kind: 'session', role: 'staff', session: staff }, { body: { returnTo: `/sales/${w.a.records.sale}` } });
      assert.equal(own.headers.location, `/sales/${w.a.records.sale}`, 'a same-site returnTo is honoured');
    });

    it("login's next", async () => {
      for (const target of OFF_SITE) {
        const agent = request.agent(w.x.app);
        const page = await agent.get(`/login?next=${encodeURIComponent(target)}`);
        const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page), email: w.a.emails.accountant, password: PASSWORD, next: target });
        assert.equal(res.status, 303, describeResponse(res));
        assert.equal(landsOn(String(res.headers.location)), BASE, `next ${JSON.stringify(target)} sent the browser to ${String(res.headers.location)}`);
      }
    });
  });
}
