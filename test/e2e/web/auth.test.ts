import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { PASSWORD, createWebTestApp, csrfFrom, seedUser, sessionCookie, type WebTestApp } from './webTestApp';
import { bearerAuth, requireRole } from '../../../server/auth/middleware';
import { createApiToken } from '../../../server/auth/apiTokens';
import { disableUser } from '../../../server/auth/users';

async function logIn(agent: ReturnType<typeof request.agent>, email: string, password = PASSWORD, ip = '198.51.100.1') {
  const page = await agent.get('/login').set('X-Forwarded-For', ip);
  return agent.post('/login').set('X-Forwarded-For', ip).type('form').send({ _csrf: csrfFrom(page), email, password, next: '/' });
}

for (const kind of dbKinds()) {
  describe(`first-run setup (${kind})`, () => {
    let w: WebTestApp;
    before(async () => {
      w = await createWebTestApp(kind);
    });
    after(async () => w.destroy());

    test('works only while no admin exists; then it is a 404 and the admin is logged in', async () => {
      const agent = request.agent(w.app);
      const toSetup = await agent.get('/login');
      assert.equal(toSetup.status, 303);
      assert.equal(toSetup.headers.location, '/setup');

      const form = await agent.get('/setup').expect(200);
      const fields = { _csrf: csrfFrom(form), orgName: 'Riverside Gym', currency: 'EUR', timezone: 'Europe/Dublin', name: 'Ada', email: 'ada@example.com', password: PASSWORD };
      const mismatch = await agent.post('/setup').type('form').send({ ...fields, passwordConfirm: 'something else entirely' });
      assert.equal(mismatch.status, 422);
      assert.match(mismatch.text, /does not match the password/);
      assert.match(mismatch.text, /value="Riverside Gym"/, 'what was typed is kept');
      assert.equal(await w.t.db('users').count({ n: '*' }).first().then((r) => Number(r?.n)), 0);

      const done = await agent.post('/setup').type('form').send({ ...fields, _csrf: csrfFrom(mismatch), passwordConfirm: PASSWORD });
      assert.equal(done.status, 303);
      assert.equal(done.headers.location, '/');
      const dashboard = await agent.get('/').expect(200);
      assert.match(dashboard.text, /Riverside Gym/);
      const org = await w.t.db('organisations').first();
      assert.equal(org.base_currency, 'EUR');

      await agent.get('/setup').expect(404);
      const again = await agent.post('/setup').type('form').send({ ...fields, _csrf: csrfFrom(dashboard), email: 'mallory@example.com', passwordConfirm: PASSWORD });
      assert.equal(again.status, 404);
      assert.equal(await w.t.db('users').where({ email: 'mallory@example.com' }).first(), undefined);
    });
  });

  describe(`login, sessions, CSRF and roles (${kind})`, () => {
    let w: WebTestApp;
    let orgId: number;
    before(async () => {
      w = await createWebTestApp(kind, { LOGIN_MAX_ATTEMPTS: '3', LOGIN_WINDOW_MINUTES: '15', COOKIE_SECURE: 'false' });
      ({ orgId } = await seedUser(w.t.db, 'admin', 'admin@example.com'));
      await seedUser(w.t.db, 'staff', 'staff@example.com', orgId);
      await seedUser(w.t.db, 'accountant', 'accountant@example.com', orgId);
    });
    after(async () => w.destroy());

    test('a wrong password is refused with a clear message and no session for the user', async () => {
      const agent = request.agent(w.app);
      const res = await logIn(agent, 'admin@example.com', 'not the password at all', '198.51.100.7');
      assert.equal(res.status, 401);
      assert.match(res.text, /do not match an account/);
      assert.match(res.text, /value="admin@example.com"/);
      await agent.get('/').expect(303).expect('location', '/login?next=%2F');
    });

    test('login sets a hardened cookie with a NEW session id; the form alone stores nothing and a planted id is worthless', async () => {
      const page = await request(w.app).get('/login').set('X-Forwarded-For', '198.51.100.8');
      assert.equal(sessionCookie(page), undefined, 'showing the login form starts no session (its CSRF token is signed, not stored)');
      const csrfCookie = ([] as string[]).concat(page.headers['set-cookie'] ?? []).find((c) => c.startsWith('lb.csrf='))!.split(';')[0]!;
      const planted = 'lb.sid=s%3Aplanted-by-someone-else.invalid';
      const res = await request(w.app).post('/login').set('X-Forwarded-For', '198.51.100.8').set('Cookie', `${csrfCookie}; ${planted}`).type('form')
        .send({ _csrf: csrfFrom(page), email: 'ADMIN@example.com', password: PASSWORD, next: '/users' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/users');
      const afterCookie = sessionCookie(res);
      assert.ok(afterCookie);
      assert.match(afterCookie, /HttpOnly/i);
      assert.match(afterCookie, /SameSite=Lax/i);
      assert.doesNotMatch(afterCookie, /Secure/i, 'COOKIE_SECURE=false here (see the next suite)');
      assert.match(afterCookie, /Expires=/i);
      const sid = (c: string) => c.split(';')[0]!;
      assert.notEqual(sid(afterCookie), planted, 'a session id the client brought is never adopted (fixation)');
      await request(w.app).get('/users').set('Cookie', sid(afterCookie)).expect(200);
      await request(w.app).get('/users').set('Cookie', planted).expect(303);
    });

    test('a signed login token only works with its own nonce cookie: forged, swapped or cookie-less it is a 403', async () => {
      const first = await request(w.app).get('/login').set('X-Forwarded-For', '198.51.100.31');
      const second = await request(w.app).get('/login').set('X-Forwarded-For', '198.51.100.31');
      const nonceOf = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('lb.csrf='))!.split(';')[0]!;
      const post = (cookie: string | null, token: string) => {
        const req = request(w.app).post('/login').set('X-Forwarded-For', '198.51.100.31');
        if (cookie) req.set('Cookie', cookie);
        return req.type('form').send({ _csrf: token, email: 'staff@example.com', password: PASSWORD });
      };
      assert.equal((await post(nonceOf(second), csrfFrom(first))).status, 403, 'token of another nonce');
      assert.equal((await post(null, csrfFrom(first))).status, 403, 'no nonce cookie');
      assert.equal((await post(nonceOf(first), 's.AAAA')).status, 403, 'forged token');
      assert.equal((await post(nonceOf(first), csrfFrom(first))).status, 303, 'the pair that belongs together');
    });

    test('300 anonymous visits to the login form store no session (each used to keep a row for 12 hours)', async () => {
      const rows = async () => Number(((await w.t.db('sessions').count({ n: '*' })) as { n: number | string }[])[0]!.n);
      const before = await rows();
      for (let i = 0; i < 300; i++) await request(w.app).get('/login').set('X-Forwarded-For', '198.51.100.30').expect(200);
      assert.equal(await rows(), before);
      // The form still works: a login creates exactly one session.
      const agent = request.agent(w.app);
      const page = await agent.get('/login').set('X-Forwarded-For', '198.51.100.30');
      await agent.post('/login').set('X-Forwarded-For', '198.51.100.30').type('form').send({ _csrf: csrfFrom(page), email: 'staff@example.com', password: PASSWORD }).expect(303);
      assert.equal(await rows(), before + 1);
    });

    test('an off-site next= is ignored after login', async () => {
      const agent = request.agent(w.app);
      const page = await agent.get('/login?next=//evil.example').set('X-Forwarded-For', '198.51.100.9');
      assert.match(page.text, /name="next" value="\/"/);
      const res = await agent.post('/login').set('X-Forwarded-For', '198.51.100.9').type('form').send({ _csrf: csrfFrom(page), email: 'staff@example.com', password: PASSWORD, next: 'https://evil.example/' });
      assert.equal(res.headers.location, '/');
    });

    test('state-changing requests without the CSRF token are refused with 403; with it they pass', async () => {
      const agent = request.agent(w.app);
      assert.equal((await logIn(agent, 'admin@example.com')).status, 303);
      const noToken = await agent.post('/users/tokens').type('form').send({ name: 'x', role: 'staff' });
      assert.equal(noToken.status, 403);
      assert.match(noToken.text, /This form has expired/);
      const wrongToken = await agent.post('/users/tokens').type('form').send({ _csrf: 'forged', name: 'x', role: 'staff' });
      assert.equal(wrongToken.status, 403);
      assert.equal(await w.t.db('api_tokens').where({ name: 'x' }).first(), undefined);

      const page = await agent.get('/users').expect(200);
      const viaHeader = await agent.post('/users/tokens').set('x-csrf-token', csrfFrom(page)).type('form').send({ name: 'x', role: 'staff' });
      assert.equal(viaHeader.status, 201);
      // The login form is protected too (login CSRF).
      const anon = request.agent(w.app);
      await anon.post('/login').type('form').send({ email: 'admin@example.com', password: PASSWORD }).expect(403);
    });

    test('role guards: staff and accountants cannot open /users; accountants cannot record sales', async () => {
      const staff = request.agent(w.app);
      await logIn(staff, 'staff@example.com', PASSWORD, '198.51.100.20');
      const forbidden = await staff.get('/users');
      assert.equal(forbidden.status, 403);
      assert.match(forbidden.text, /needs the admin role/);
      assert.doesNotMatch((await staff.get('/').expect(200)).text, /href="\/users"/, 'no nav entry for pages the role cannot open');
      await staff.get('/sales/new').expect(200);

      const accountant = request.agent(w.app);
      await logIn(accountant, 'accountant@example.com', PASSWORD, '198.51.100.21');
      await accountant.get('/users').expect(403);
      await accountant.get('/sales/new').expect(403);
      const page = await accountant.get('/sales').expect(200);
      await accountant.post('/sales').type('form').send({ _csrf: csrfFrom(page) }).expect(403);

      // Not logged in: pages redirect to the login form, JSON clients get 401 JSON.
      await request(w.app).get('/users').expect(303).expect('location', '/login?next=%2Fusers');
      const json = await request(w.app).get('/users').set('Accept', 'application/json').expect(401);
      assert.equal(json.body.error.code, 'UNAUTHORIZED');
    });

    test('logout ends the session', async () => {
      const agent = request.agent(w.app);
      await logIn(agent, 'staff@example.com', PASSWORD, '198.51.100.22');
      const page = await agent.get('/').expect(200);
      await agent.post('/logout').type('form').send({ _csrf: csrfFrom(page) }).expect(303).expect('location', '/login');
      await agent.get('/').expect(303);
    });

    test("disabling a user ends their session at the next request", async () => {
      const { userId } = await seedUser(w.t.db, 'staff', 'temp@example.com', orgId);
      const agent = request.agent(w.app);
      await logIn(agent, 'temp@example.com', PASSWORD, '198.51.100.23');
      await agent.get('/').expect(200);
      await disableUser(w.t.db, orgId, userId);
      await agent.get('/').expect(303);
      const again = await logIn(agent, 'temp@example.com', PASSWORD, '198.51.100.23');
      assert.equal(again.status, 401);
      assert.match(again.text, /disabled/);
    });

    test('after maxAttempts failures the login form answers 429 "try again in N minutes", even with the right password', async () => {
      const ip = '203.0.113.50';
      for (let i = 0; i < 3; i++) assert.equal((await logIn(request.agent(w.app), 'staff@example.com', 'wrong password number ' + i, ip)).status, 401);
      const locked = await logIn(request.agent(w.app), 'staff@example.com', PASSWORD, ip);
      assert.equal(locked.status, 429);
      assert.match(locked.text, /Try again in 15 minutes/);
      assert.equal(locked.headers['retry-after'], String(15 * 60));
      // The same user from another IP is not locked out.
      assert.equal((await logIn(request.agent(w.app), 'staff@example.com', PASSWORD, '203.0.113.51')).status, 303);
    });
  });

  describe(`secure cookies (${kind})`, () => {
    let w: WebTestApp;
    before(async () => {
      w = await createWebTestApp(kind, { COOKIE_SECURE: 'true' });
      await seedUser(w.t.db, 'admin', 'admin@example.com');
    });
    after(async () => w.destroy());

    test('with COOKIE_SECURE the session and CSRF cookies are Secure, and no session is offered over plain http', async () => {
      const agent = request.agent(w.app);
      const page = await agent.get('/login').set('X-Forwarded-Proto', 'https').expect(200);
      const csrfCookie = ([] as string[]).concat(page.headers['set-cookie'] ?? []).find((c) => c.startsWith('lb.csrf='));
      assert.match(csrfCookie ?? '', /; Secure/i);
      const login = await request(w.app).post('/login').set('X-Forwarded-Proto', 'https').set('Cookie', csrfCookie!.split(';')[0]!).type('form')
        .send({ _csrf: csrfFrom(page), email: 'admin@example.com', password: PASSWORD });
      const cookie = sessionCookie(login);
      assert.ok(cookie, login.text.slice(0, 200));
      assert.match(cookie, /; Secure/i);
      assert.match(cookie, /HttpOnly/i);
      const http = await request(w.app).get('/login').expect(200);
      assert.equal(sessionCookie(http), undefined);
    });
  });

  describe(`bearer tokens and API guards (${kind})`, () => {
    let w: WebTestApp;
    let api: express.Express;
    let orgId: number;
    before(async () => {
      w = await createWebTestApp(kind);
      ({ orgId } = await seedUser(w.t.db, 'admin', 'admin@example.com'));
      api = express();
      api.use('/api/v1', bearerAuth(w.deps), express.Router().get('/whoami', requireRole('admin', 'staff'), (req, res) => {
        res.json({ principal: req.principal });
      }));
    });
    after(async () => w.destroy());

    test('no or bad token: 401 JSON with WWW-Authenticate; a token: the principal; wrong role: 403 JSON', async () => {
      const none = await request(api).get('/api/v1/whoami').expect(401);
      assert.equal(none.body.error.code, 'UNAUTHORIZED');
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      await request(api).get('/api/v1/whoami').set('Authorization', 'Basic abc').expect(401);
      await request(api).get('/api/v1/whoami').set('Authorization', 'Bearer lb_nope').expect(401);

      const { token, id } = await createApiToken(w.t.db, { orgId, role: 'staff', name: 'till' });
      const ok = await request(api).get('/api/v1/whoami').set('Authorization', `Bearer ${token}`).expect(200);
      assert.deepEqual(ok.body.principal, { kind: 'token', id, orgId, role: 'staff', name: 'till' });

      const reader = await createApiToken(w.t.db, { orgId, role: 'accountant', name: 'books' });
      const denied = await request(api).get('/api/v1/whoami').set('Authorization', `Bearer ${reader.token}`).expect(403);
      assert.equal(denied.body.error.code, 'FORBIDDEN');
    });
  });
}
