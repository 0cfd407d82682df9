// Two-factor login over HTTP against the real app (bootHost + createApp), SQLite and PostgreSQL:
// a staff member enrols (QR code + key, a first code, ten recovery codes shown once); after that the password
// alone no longer logs them in; wrong codes are 401 and then 429 with Retry-After like passwords (and the
// password cannot reset that count); the right code logs in, the same code again is refused, a recovery code
// works once. An organisation that requires two-factor for admins sends an unenrolled admin (even one already
// logged in) to enrolment and nowhere else but logout, while API tokens carry on. The real CLI's
// user:reset-2fa lets a locked-out user in with the password alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { startTestApp, type TestApp } from '../../support/app';
import { csrfFrom } from './webTestApp';
import { createOrganisation } from '../../../server/domain/organisations';
import { createUser } from '../../../server/auth/users';
import { createApiToken } from '../../../server/auth/apiTokens';
import { totpCodeAt } from '../../../server/auth/twoFactor/totp';

const PASSWORD = 'two factor e2e password';
const run = promisify(execFile);
type Agent = ReturnType<typeof request.agent>;

/** A 6-digit code none of the steps around now would accept. */
function wrongCode(secret: string): string {
  const near = new Set([-1, 0, 1, 2].map((d) => totpCodeAt(secret, Date.now() + d * 30_000)));
  for (let n = 0; ; n++) {
    const code = String((Number(totpCodeAt(secret, Date.now())) + 111_111 * (n + 1)) % 1_000_000).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}
/** What the phone shows next (the current step may already be used by the enrolment a moment ago). */
const nextCode = (secret: string) => totpCodeAt(secret, Date.now() + 30_000);

for (const kind of dbKinds()) {
  describe(`two-factor login over HTTP (${kind})`, { timeout: 120_000 }, () => {
    let app: TestApp;
    let orgId: number;
    let apiToken: string;
    let samSecret: string;
    let samRecoveryCodes: string[];

    before(async () => {
      app = await startTestApp({ kind, env: { LOGIN_MAX_ATTEMPTS: '3', LOGIN_WINDOW_MINUTES: '15' } });
      const db = app.host.deps.db;
      orgId = (await createOrganisation(db, { name: 'Riverside Gym' })).id;
      for (const [email, role] of [['sam@example.com', 'staff'], ['ann@example.com', 'admin'], ['bob@example.com', 'admin']] as const) {
        await createUser(db, { orgId, email, name: email.split('@')[0], role, password: PASSWORD });
      }
      apiToken = (await createApiToken(db, { orgId, role: 'admin', name: 'booking system' })).token;
    });
    after(async () => app?.close());

    const agent = () => request.agent(app.baseUrl);
    async function password(a: Agent, email: string, next = '/') {
      const page = await a.get('/login');
      return a.post('/login').type('form').send({ _csrf: csrfFrom(page), email, password: PASSWORD, next });
    }
    async function secondStep(a: Agent, fields: { code?: string; recoveryCode?: string }) {
      const page = await a.get('/login/two-factor');
      assert.equal(page.status, 200, `the code form: ${page.status}`);
      return a.post('/login/two-factor').type('form').send({ _csrf: csrfFrom(page), ...fields });
    }
    async function post(a: Agent, path: string, fields: Record<string, string> = {}, from = '/account/two-factor') {
      const page = await a.get(from);
      return a.post(path).type('form').send({ _csrf: csrfFrom(page), ...fields });
    }
    const secretOn = (html: string) => /data-testid="totp-secret">([A-Z2-7 ]+)</.exec(html)?.[1]?.replace(/ /g, '');
    const recoveryCodesOn = (html: string) => [...html.matchAll(/<li><code>([0-9a-z-]{19})<\/code><\/li>/g)].map((m) => m[1]!);
    async function logOut(a: Agent) {
      await post(a, '/logout', {}, '/account/two-factor').then((r) => assert.equal(r.status, 303));
    }
    async function enrol(a: Agent): Promise<{ secret: string; codes: string[] }> {
      assert.equal((await post(a, '/account/two-factor/setup')).status, 303);
      const page = await a.get('/account/two-factor').expect(200);
      assert.equal(page.headers['cache-control'], 'no-store', 'a page with the key is not cached');
      const secret = secretOn(page.text);
      assert.ok(secret, 'the key for manual entry is on the page');
      assert.match(page.text, /<img class="qr-code" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"[^>]* alt="QR code/);
      const confirmed = await a.post('/account/two-factor/confirm').type('form').send({ _csrf: csrfFrom(page), code: totpCodeAt(secret, Date.now()) });
      assert.equal(confirmed.status, 201, confirmed.text.slice(0, 300));
      const codes = recoveryCodesOn(confirmed.text);
      assert.equal(codes.length, 10);
      return { secret, codes };
    }

    test('enrolment: a wrong first code changes nothing; the right one turns it on and shows ten recovery codes once', async () => {
      const sam = agent();
      assert.equal((await password(sam, 'sam@example.com')).status, 303);
      const page = await sam.get('/').expect(200);
      assert.match(page.text, /<a href="\/account\/two-factor"[^>]*>Two-factor login<\/a>/, 'the header links to it');
      assert.match((await sam.get('/account/two-factor').expect(200)).text, /Your password alone logs you in/);

      assert.equal((await post(sam, '/account/two-factor/setup')).status, 303);
      const setup = await sam.get('/account/two-factor').expect(200);
      const secret = secretOn(setup.text)!;
      const refused = await sam.post('/account/two-factor/confirm').type('form').send({ _csrf: csrfFrom(setup), code: wrongCode(secret) });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /role="alert"[\s\S]*Two-factor login is not on yet/);
      assert.match(refused.text, /id="confirm-code"[^>]*aria-invalid="true"/);
      const malformed = await sam.post('/account/two-factor/confirm').type('form').send({ _csrf: csrfFrom(setup), code: 'abc' });
      assert.equal(malformed.status, 422);
      assert.match(malformed.text, /must be the 6-digit code/);
      assert.equal((await app.host.deps.db('users').where({ email: 'sam@example.com' }).first()).totp_enabled_at, null);

      const confirmed = await sam.post('/account/two-factor/confirm').type('form').send({ _csrf: csrfFrom(setup), code: totpCodeAt(secret, Date.now()) });
      assert.equal(confirmed.status, 201);
      assert.equal(confirmed.headers['cache-control'], 'no-store');
      samSecret = secret;
      samRecoveryCodes = recoveryCodesOn(confirmed.text);
      assert.equal(samRecoveryCodes.length, 10);
      const later = await sam.get('/account/two-factor').expect(200);
      assert.match(later.text, /Two-factor login is on since .*10 of 10 recovery codes left/);
      assert.deepEqual(recoveryCodesOn(later.text), [], 'shown once only');

      // Nothing secret rests in the session rows (plain JSON) or anywhere in clear.
      const sessions = JSON.stringify(await app.host.deps.db('sessions').select('*'));
      assert.ok(!sessions.includes(secret) && !samRecoveryCodes.some((c) => sessions.includes(c)));
      const row = JSON.stringify(await app.host.deps.db('users').where({ email: 'sam@example.com' }).first());
      assert.ok(!row.includes(secret));
      await logOut(sam);
    });

    test('login: the password alone is not enough; wrong codes are 401 then 429; the right code logs in once', async () => {
      const sam = agent();
      const first = await password(sam, 'sam@example.com', '/sales');
      assert.equal(first.status, 303);
      assert.equal(first.headers.location, '/login/two-factor');
      await sam.get('/sales').expect(303).expect('location', '/login?next=%2Fsales');

      const form = await sam.get('/login/two-factor').expect(200);
      assert.match(form.text, /autocomplete="one-time-code"/);
      assert.match(form.text, /inputmode="numeric"/);
      for (let i = 0; i < 3; i++) {
        const wrong = await secondStep(sam, { code: wrongCode(samSecret) });
        assert.equal(wrong.status, 401, `attempt ${i + 1}`);
        assert.match(wrong.text, /role="alert"[\s\S]*The code is not right/);
      }
      const throttled = await secondStep(sam, { code: nextCode(samSecret) });
      assert.equal(throttled.status, 429, 'even the right code waits once the limit is reached');
      assert.ok(Number(throttled.headers['retry-after']) > 0);
      assert.match(throttled.text, /Too many failed attempts/);
      // Re-entering the password does not reset the count (it would make code guessing unlimited).
      const again = agent();
      assert.equal((await password(again, 'sam@example.com')).status, 429);

      // The window passes.
      await app.host.deps.db('login_failures').update({ failed_at: Date.now() - 16 * 60_000 });
      const code = nextCode(samSecret);
      const ok = await secondStep(sam, { code });
      assert.equal(ok.status, 303);
      assert.equal(ok.headers.location, '/sales');
      const sid = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('lb.sid='))?.split(';')[0];
      assert.ok(sid(first) && sid(ok) && sid(first) !== sid(ok), 'a new session id once the code is accepted, another than the pending login had');
      await sam.get('/sales').expect(200);
      await logOut(sam);

      const replay = agent();
      assert.equal((await password(replay, 'sam@example.com')).status, 303);
      const refused = await secondStep(replay, { code });
      assert.equal(refused.status, 401);
      assert.match(refused.text, /used already/);
      await replay.get('/').expect(303);
    });

    test('a recovery code logs in once; a stale pending login is sent back to the password', async () => {
      const sam = agent();
      assert.equal((await password(sam, 'sam@example.com')).status, 303);
      const typed = samRecoveryCodes[0]!.toUpperCase().replace(/-/g, ' ');
      const ok = await secondStep(sam, { recoveryCode: typed });
      assert.equal(ok.status, 303);
      assert.equal(ok.headers.location, '/account/two-factor');
      assert.match((await sam.get('/account/two-factor').expect(200)).text, /logged in with a recovery code; 9 left[\s\S]*9 of 10 recovery codes left/);
      await logOut(sam);

      const again = agent();
      assert.equal((await password(again, 'sam@example.com')).status, 303);
      const used = await secondStep(again, { recoveryCode: samRecoveryCodes[0]! });
      assert.equal(used.status, 401);
      assert.match(used.text, /used already/);

      // The pending login lives a few minutes: once past, the code form sends the person back to the password.
      const rows = (await app.host.deps.db('sessions').select('*')) as { sid: string; sess: string | object }[];
      for (const row of rows.filter((r) => JSON.stringify(r.sess).includes('twoFactorPending'))) {
        const sess = typeof row.sess === 'string' ? JSON.parse(row.sess) : row.sess;
        sess.twoFactorPending.expiresAt = Date.now() - 1;
        await app.host.deps.db('sessions').where({ sid: row.sid }).update({ sess: JSON.stringify(sess) });
      }
      const page = await again.get('/login');
      const expired = await again.post('/login/two-factor').type('form').send({ _csrf: csrfFrom(page), recoveryCode: samRecoveryCodes[1]! });
      assert.equal(expired.status, 401);
      assert.match(expired.text, /waited too long/);
      await again.get('/login/two-factor').expect(303).expect('location', '/login');
    });

    test('an organisation that requires it sends unenrolled admins to enrolment and nowhere else; tokens carry on', async () => {
      const ann = agent();
      const bob = agent();
      assert.equal((await password(ann, 'ann@example.com')).headers.location, '/');
      assert.equal((await password(bob, 'bob@example.com')).headers.location, '/');

      const bad = await post(ann, '/users/two-factor', { requireAdminTwoFactor: 'yes please' }, '/users');
      assert.equal(bad.status, 303);
      assert.match((await ann.get('/users').expect(200)).text, /Nothing was changed: &#34;Two-factor login for admins&#34; must be Required or Optional/);
      assert.equal(Boolean((await app.host.deps.db('organisations').where({ id: orgId }).first()).require_admin_two_factor), false);
      assert.equal((await post(ann, '/users/two-factor', { requireAdminTwoFactor: 'required' }, '/users')).status, 303);

      // Bob's session was open already: from his next request on, only enrolment and logout.
      await bob.get('/sales').expect(303).expect('location', '/account/two-factor');
      await bob.get('/users').expect(303).expect('location', '/account/two-factor');
      const enrolPage = await bob.get('/account/two-factor').expect(200);
      assert.match(enrolPage.text, /role="alert"[\s\S]*requires two-factor login for admins/);
      const blocked = await bob.post('/users/tokens').type('form').send({ _csrf: csrfFrom(enrolPage), name: 'sneaky', role: 'admin' });
      assert.equal(blocked.status, 403);
      assert.equal(await app.host.deps.db('api_tokens').where({ name: 'sneaky' }).first(), undefined);
      await request(app.baseUrl).get('/api/v1/sales').set('Authorization', `Bearer ${apiToken}`).expect(200);
      await bob.post('/logout').type('form').send({ _csrf: csrfFrom(enrolPage) }).expect(303).expect('location', '/login');

      // Logging in again goes straight to enrolment; staff are not affected by the admins' rule.
      const bob2 = agent();
      assert.equal((await password(bob2, 'bob@example.com', '/users')).headers.location, '/account/two-factor');
      const { secret } = await enrol(bob2);
      await bob2.get('/users').expect(200);
      const off = await post(bob2, '/account/two-factor/disable', { code: nextCode(secret) });
      assert.equal(off.status, 409);
      assert.match(off.text, /requires two-factor login for admins, so it stays on/);

      const users = await bob2.get('/users').expect(200);
      const state = (email: string) => new RegExp(`${email.replace('.', '\\.')}</td>[\\s\\S]*?data-testid="two-factor-\\d+">([^<]*(?:<strong>[^<]*)?)`).exec(users.text)?.[1];
      assert.match(state('sam@example.com') ?? '', /^On since/);
      assert.match(state('bob@example.com') ?? '', /^On since/);
      assert.match(state('ann@example.com') ?? '', /must set it up/);
      // Ann turned the rule on without a second factor of her own: she is next.
      await ann.get('/users').expect(303).expect('location', '/account/two-factor');
    });

    test('the CLI reset lets a locked-out user in with the password alone', async () => {
      const cli = (email: string) =>
        run(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'user:reset-2fa', '--email', email], {
          env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: app.dataDir, DATABASE_URL: app.database.url },
        });
      const waiting = agent(); // gave the password, not yet the code, when the reset happens
      assert.equal((await password(waiting, 'sam@example.com')).headers.location, '/login/two-factor');
      const { stdout } = await cli('sam@example.com');
      assert.match(stdout, /Turned off two-factor login for sam@example.com \(user \d+\) and deleted 10 recovery codes/);
      assert.ok(!stdout.includes(samSecret));
      const sam = agent();
      const res = await password(sam, 'sam@example.com', '/sales');
      assert.equal(res.headers.location, '/sales');
      await sam.get('/sales').expect(200);
      const stale = await secondStep(waiting, { code: '123456' });
      assert.equal(stale.status, 401);
      assert.match(stale.text, /turned off for this account meanwhile: log in with your email and password/);
      await waiting.get('/').expect(303);

      // An admin where it is required: in with the password, then straight to set it up again.
      await cli('bob@example.com');
      const bob = agent();
      assert.equal((await password(bob, 'bob@example.com')).headers.location, '/account/two-factor');
      assert.match((await bob.get('/account/two-factor').expect(200)).text, /Your password alone logs you in/);
    });
  });
}
