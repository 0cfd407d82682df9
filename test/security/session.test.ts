// Sessions: a login gets a new session id (no fixation), logging out kills the old id on the server,
// the cookie is HttpOnly and SameSite=Lax everywhere and Secure when PUBLIC_URL is https, and failed
// logins are throttled per email+IP and per IP (shared through the database).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../support/db';
import { csrfFrom, PASSWORD } from '../support/xero';
import { SESSION_COOKIE } from '../../server/auth/session';
import { startSecurityWorld, type SecurityWorld } from './world';

const sessionCookie = (res: request.Response): string | undefined =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
const cookieValue = (cookie: string): string => cookie.split(';')[0]!;

for (const kind of dbKinds()) {
  describe(`security: sessions and login (${kind})`, { timeout: 120_000 }, () => {
    let w: SecurityWorld;
    before(async () => {
      w = await startSecurityWorld(kind, { env: { LOGIN_MAX_ATTEMPTS: '3', LOGIN_WINDOW_MINUTES: '15' } });
    });
    after(async () => w?.close());

    const csrfCookieOf = (res: request.Response): string =>
      ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('lb.csrf='))!.split(';')[0]!;
    const logIn = async (extraCookie = '', proto?: string) => {
      const page = await request(w.x.app).get('/login');
      assert.equal(sessionCookie(page), undefined, 'the login form starts no session (its CSRF token is signed, not stored)');
      const req = request(w.x.app).post('/login').set('Cookie', [csrfCookieOf(page), extraCookie].filter(Boolean).join('; '));
      if (proto) req.set('X-Forwarded-Proto', proto);
      return req.type('form').send({ _csrf: csrfFrom(page), email: w.a.emails.admin, password: PASSWORD });
    };

    it('gives a new session id at login, and an id the client brought is worth nothing', async () => {
      const planted = `${SESSION_COOKIE}=s%3Aplanted.invalid`;
      const login = await logIn(planted);
      assert.equal(login.status, 303, login.text.slice(0, 200));
      const afterLogin = sessionCookie(login);
      assert.ok(afterLogin, 'login sets a cookie');
      assert.notEqual(cookieValue(afterLogin), planted, 'the session id is the server\'s, not the one brought');
      // An attacker who planted an id is not logged in.
      const plantedVisit = await request(w.x.app).get('/users').set('Cookie', planted);
      assert.equal(plantedVisit.status, 303);
      assert.match(String(plantedVisit.headers.location), /^\/login/);
      const real = await request(w.x.app).get('/users').set('Cookie', cookieValue(afterLogin));
      assert.equal(real.status, 200);

      // Logging out ends the session on the server: replaying the old cookie gets nothing.
      const logout = await request(w.x.app).post('/logout').set('Cookie', cookieValue(afterLogin)).type('form').send({ _csrf: csrfFrom(real) });
      assert.equal(logout.status, 303);
      const replay = await request(w.x.app).get('/users').set('Cookie', cookieValue(afterLogin));
      assert.equal(replay.status, 303);
    });

    it('marks the cookie HttpOnly and SameSite=Lax, and not Secure on a plain-http install', async () => {
      const cookie = sessionCookie(await logIn())!;
      assert.match(cookie, /; HttpOnly/i);
      assert.match(cookie, /; SameSite=Lax/i);
      assert.doesNotMatch(cookie, /; Secure/i);
    });

    it('throttles failed logins per email and IP: the right password is refused too until the window passes', async () => {
      const email = w.a.emails.staff;
      const attempt = async (password: string) => {
        const agent = request.agent(w.x.app);
        const page = await agent.get('/login');
        const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page), email, password });
        return Object.assign(res, { agent });
      };
      for (let i = 0; i < 3; i++) assert.equal((await attempt('wrong password here')).status, 401);
      const locked = await attempt(PASSWORD);
      assert.equal(locked.status, 429);
      assert.match(locked.text, /Too many failed attempts/);
      assert.ok(Number(locked.headers['retry-after']) >= 60);
      const home = await locked.agent.get('/');
      assert.equal(home.status, 303, 'not logged in');
      // Another account from the same address is still allowed (per-IP limit is 4× wider)...
      const other = request.agent(w.x.app);
      const page = await other.get('/login');
      assert.equal((await other.post('/login').type('form').send({ _csrf: csrfFrom(page), email: w.a.emails.accountant, password: PASSWORD })).status, 303);
      // ...until one address has tried too many: 12 failures across emails lock the IP for everyone.
      for (let i = 0; i < 12; i++) {
        const a = request.agent(w.x.app);
        const p = await a.get('/login');
        await a.post('/login').type('form').send({ _csrf: csrfFrom(p), email: `nobody${i}@example.com`, password: 'wrong password here' });
      }
      const ipLocked = request.agent(w.x.app);
      const p2 = await ipLocked.get('/login');
      assert.equal((await ipLocked.post('/login').type('form').send({ _csrf: csrfFrom(p2), email: w.b.emails.admin, password: PASSWORD })).status, 429);
    });
  });

  describe(`security: login throttle behind one reverse proxy, TRUST_PROXY=1 (${kind})`, { timeout: 120_000 }, () => {
    // The shipped nginx APPENDS the address it saw to X-Forwarded-For, so everything before the last entry
    // is whatever the client wrote. With TRUST_PROXY=true every hop was trusted: 40 wrong passwords with a
    // different first hop each were all answered 401, never 429, and a spoofed first hop could lock a victim out.
    let w: SecurityWorld;
    const ATTACKER = '203.0.113.7';
    const VICTIM = '198.51.100.20';
    before(async () => {
      w = await startSecurityWorld(kind, { env: { TRUST_PROXY: '1', LOGIN_MAX_ATTEMPTS: '3', LOGIN_WINDOW_MINUTES: '15' } });
    });
    after(async () => w?.close());

    const viaProxy = async (clientWrote: string | null, realAddress: string, email: string, password: string) => {
      const forwarded = clientWrote ? `${clientWrote}, ${realAddress}` : realAddress;
      const agent = request.agent(w.x.app);
      const page = await agent.get('/login').set('X-Forwarded-For', forwarded);
      return agent.post('/login').set('X-Forwarded-For', forwarded).type('form').send({ _csrf: csrfFrom(page), email, password });
    };

    it('counts the address the proxy saw, whatever first hops the client writes', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        // Half the attempts claim to come from the victim's address.
        const spoofed = i % 2 === 0 ? VICTIM : `192.0.2.${i + 1}`;
        statuses.push((await viaProxy(spoofed, ATTACKER, w.a.emails.admin, 'wrong password here')).status);
      }
      assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
      assert.deepEqual([...new Set(statuses.slice(3))], [429], 'every attempt after the third is refused');
      // The victim, really at VICTIM, is not locked out by what the attacker wrote.
      assert.equal((await viaProxy(null, VICTIM, w.a.emails.admin, PASSWORD)).status, 303);
    });
  });

  describe(`security: cookies on an https install (${kind})`, { timeout: 60_000 }, () => {
    let w: SecurityWorld;
    before(async () => {
      w = await startSecurityWorld(kind, { env: { PUBLIC_URL: 'https://books.example', TRUST_PROXY: '1' } });
    });
    after(async () => w?.close());

    it('marks the session cookie Secure (behind a TLS-terminating proxy)', async () => {
      const page = await request(w.x.app).get('/login').set('X-Forwarded-Proto', 'https');
      const csrfCookie = ([] as string[]).concat(page.headers['set-cookie'] ?? []).find((c) => c.startsWith('lb.csrf='))!;
      assert.match(csrfCookie, /; Secure/i);
      const login = await request(w.x.app).post('/login').set('X-Forwarded-Proto', 'https').set('Cookie', csrfCookie.split(';')[0]!).type('form')
        .send({ _csrf: csrfFrom(page), email: w.a.emails.admin, password: PASSWORD });
      const cookie = sessionCookie(login);
      assert.ok(cookie, 'a cookie is set over https');
      assert.match(cookie, /; Secure/i);
      assert.match(cookie, /; HttpOnly/i);
      assert.match(cookie, /; SameSite=Lax/i);
      // Over plain http the browser would never send it back, so none is offered.
      assert.equal(sessionCookie(await request(w.x.app).get('/login')), undefined);
    });
  });
}
