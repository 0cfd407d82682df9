// The legacy private-app connection end to end: the real app (createApp over bootHost with the Xero
// plugin) driven through its pages with supertest, logged in through the login form, talking HTTP to the
// Xero emulator on a real port. SQLite always; PostgreSQL too when TEST_PG_URL is set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import {
  advanceEmulatorClock,
  bootXeroApp,
  csrfFrom,
  getText,
  logIn,
  postForm,
  registerPrivateAppAt,
  seedOrg,
  startXeroEmulator,
  type Agent,
  type RunningEmulator,
  type SeededOrg,
  type XeroTestApp,
} from '../../support/xero';
import { generatePrivateAppCertificate } from '../../../plugins/xero/connection/oauth1';
import { ensureCertificate, saveLegacyConnection, XeroConnectionTestError } from '../../../plugins/xero/connection/legacy';
import { getLiveConnection } from '../../../plugins/xero/connection/store';

const PAGE = '/plugins/xero/connection';
const CERT = '/plugins/xero/legacy/certificate.cer';
const CONNECT = '/plugins/xero/legacy/connect';
const REGENERATE = '/plugins/xero/legacy/certificate/regenerate';

async function downloadCertificate(agent: Agent): Promise<string> {
  const res = await getText(agent, CERT);
  assert.equal(res.status, 200);
  return res.text;
}

/** Submit the consumer key/secret form as the browser would (CSRF token from the page). */
const saveCredentials = (agent: Agent, consumerKey: string, consumerSecret: string) => postForm(agent, PAGE, CONNECT, { consumerKey, consumerSecret });

const yearsBefore = (ms: number, years: number): number => {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.getTime();
};

for (const kind of dbKinds()) {
  describe(`Xero legacy private app, end to end (${kind})`, () => {
    let xero: RunningEmulator;
    let x: XeroTestApp;
    let riverside: SeededOrg;
    let harbour: SeededOrg;
    let admin: Agent;

    before(async () => {
      xero = await startXeroEmulator();
      x = await bootXeroApp(kind, { emulatorUrl: xero.url });
      riverside = await seedOrg(x.host.deps.db, 'Riverside Climbing');
      harbour = await seedOrg(x.host.deps.db, 'Harbour Pool');
      admin = await logIn(x.app, riverside.emails.admin);
    });
    after(async () => {
      await x?.close();
      await xero?.close();
    });

    test('the page shows the legacy steps and the OAuth2 section, every form with its CSRF token', async () => {
      const page = await admin.get(PAGE).expect(200);
      assert.match(page.text, /Not connected to Xero/);
      assert.match(page.text, /<h2 id="legacy-title">Legacy private app<\/h2>/);
      assert.match(page.text, /Download X509 certificate/);
      assert.match(page.text, /<h2 id="oauth2-title">Connect with OAuth2<\/h2>/);
      assert.match(page.text, /Connect to Xero<\/button>/);
      assert.match(page.text, /No certificate yet/);
      const forms = page.text.match(/<form [^>]*method="post"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/g) ?? [];
      const actions = forms.map((f) => /action="([^"]+)"/.exec(f)?.[1]);
      for (const action of ['/logout', CONNECT, '/plugins/xero/oauth2/start', '/plugins/xero/oauth2/custom']) {
        assert.ok(actions.includes(action), `${action} form carries the CSRF token (forms: ${actions.join(', ')})`);
      }
      assert.equal((page.text.match(/<form /g) ?? []).length, forms.length, 'every form carries the CSRF token');
      assert.equal(page.headers['cache-control'], 'no-store');
    });

    test('download the certificate, create the app at Xero, save the key and secret: connected to the organisation', async () => {
      const res = await admin.get(CERT).expect(200);
      assert.equal(res.headers['content-disposition'], 'attachment; filename="ledgerbridge-riverside-climbing.cer"');
      const pem = await downloadCertificate(admin);
      assert.match(pem, /^-----BEGIN CERTIFICATE-----\r?\n/);
      assert.doesNotMatch(pem, /PRIVATE KEY/);
      assert.equal(await downloadCertificate(admin), pem, 'the same certificate on every download');

      const page = await admin.get(PAGE).expect(200);
      assert.match(page.text, /data-testid="certificate-expiry">/);
      assert.doesNotMatch(page.text, /data-testid="certificate-warning"/, 'a new certificate needs no warning');

      const app = await registerPrivateAppAt(xero.url, pem);
      const saved = await saveCredentials(admin, app.consumerKey, app.consumerSecret);
      assert.equal(saved.status, 303, saved.text.slice(0, 500));
      assert.equal(saved.headers.location, PAGE);
      const after = await admin.get(PAGE).expect(200);
      assert.match(after.text, /Connected to Demo Company \(UK\)/);
      assert.match(after.text, /Connected to Demo Company \(UK\): the test connection passed/, 'the flash message');
      assert.match(after.text, /Legacy private app \(OAuth 1\.0a\)/);
      assert.match(after.text, /data-testid="rate-headroom">59 calls left this minute/);
      assert.doesNotMatch(after.text, /data-testid="last-success">none yet/);
      assert.match(after.text, new RegExp(`…${app.consumerKey.slice(-4)}`));
      assert.doesNotMatch(after.text, new RegExp(app.consumerKey), 'the full consumer key is not shown');
      assert.doesNotMatch(after.text, new RegExp(app.consumerSecret), 'the secret is never shown');
      assert.match(after.text, /action="\/plugins\/xero\/disconnect"/);
    });

    test('a wrong consumer key: the reason from Xero, the key kept, the secret not, nothing replaced', async () => {
      const live = await getLiveConnection(x.host.deps.db, riverside.orgId);
      const res = await saveCredentials(admin, 'WRONGKEY0000000000000000000000', 'SECRETSECRETSECRETSECRET000000');
      assert.equal(res.status, 422);
      assert.match(res.text, /The test connection failed; nothing was saved/);
      assert.match(res.text, /Xero does not know this consumer key/);
      assert.match(res.text, /value="WRONGKEY0000000000000000000000"/);
      assert.doesNotMatch(res.text, /SECRETSECRETSECRETSECRET000000/);
      assert.equal((await getLiveConnection(x.host.deps.db, riverside.orgId))?.id, live?.id);
    });

    test('a certificate at Xero that is not ours: the signature reason', async () => {
      const stranger = await generatePrivateAppCertificate({ organisationName: 'Someone else' });
      const app = await registerPrivateAppAt(xero.url, stranger.certificatePem);
      const res = await saveCredentials(admin, app.consumerKey, app.consumerSecret);
      assert.equal(res.status, 422);
      assert.match(res.text, /Xero rejected the signature: the certificate uploaded to Xero does not match this install(&#39;|')s certificate \(download it again and update the app\)/);
    });

    test('missing or mangled fields: a message next to each field, Xero not called', async () => {
      const calls = (await request(xero.url).get('/_emulator/calls')).body as unknown[];
      const res = await saveCredentials(admin, '', 'has a space here');
      assert.equal(res.status, 422);
      assert.match(res.text, /<input id="consumer-key"[^>]*aria-invalid="true" aria-describedby="consumer-key-error"/);
      assert.match(res.text, /<p class="field-error" id="consumer-key-error">The consumer key is required/);
      assert.match(res.text, /<p class="field-error" id="consumer-secret-error">The consumer secret may contain only letters, digits/);
      assert.doesNotMatch(res.text, /has a space here/);
      assert.equal(((await request(xero.url).get('/_emulator/calls')).body as unknown[]).length, calls.length, 'no call to Xero');
    });

    test('a replayed nonce (same nonce and timestamp signed twice): refused by Xero, and our reason says so', async () => {
      const { certificate } = await ensureCertificate(x.deps, riverside.orgId, 'test');
      const app = await registerPrivateAppAt(xero.url, certificate.certificatePem);
      const frozen = Date.now();
      const deps = { ...x.deps, now: () => frozen };
      const input = { orgId: riverside.orgId, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, actor: 'test', nonce: () => 'same-nonce-twice' };
      await saveLegacyConnection(deps, input);
      const live = await getLiveConnection(x.host.deps.db, riverside.orgId);
      await assert.rejects(saveLegacyConnection(deps, input), (err: unknown) => {
        assert.ok(err instanceof XeroConnectionTestError);
        assert.equal(err.kind, 'nonce_used');
        assert.match(err.message, /refused the request as a replay/);
        return true;
      });
      assert.equal((await getLiveConnection(x.host.deps.db, riverside.orgId))?.id, live?.id);
      const calls = (await request(xero.url).get('/_emulator/calls').expect(200)).body as { url: string; status: number }[];
      assert.deepEqual(calls.slice(-2).map((c) => c.status), [200, 401], 'the emulator answered the replay 401');
    });

    test('staff and accountants get 403 on every connection route, and change nothing', async () => {
      const certificatesBefore = await x.host.deps.db('xero_certificates').count({ n: '*' }).first();
      for (const role of ['staff', 'accountant'] as const) {
        const agent = await logIn(x.app, riverside.emails[role]);
        const csrf = csrfFrom(await agent.get('/').expect(200));
        await agent.get(PAGE).expect(403);
        await agent.get(CERT).expect(403);
        await agent.post(CONNECT).type('form').send({ _csrf: csrf, consumerKey: 'A'.repeat(30), consumerSecret: 'B'.repeat(30) }).expect(403);
        await agent.post(REGENERATE).type('form').send({ _csrf: csrf, confirm: 'yes' }).expect(403);
      }
      assert.deepEqual(await x.host.deps.db('xero_certificates').count({ n: '*' }).first(), certificatesBefore);
      // Not logged in: pages send to the login form; a POST without a CSRF token is refused.
      const anonymous = await request(x.app).get(PAGE);
      assert.equal(anonymous.status, 303);
      assert.match(String(anonymous.headers.location), /^\/login\?next=/);
      await admin.post(CONNECT).type('form').send({ consumerKey: 'A'.repeat(30), consumerSecret: 'B'.repeat(30) }).expect(403);
    });

    test("another organisation's admin sees only their own connection and certificate", async () => {
      const other = await logIn(x.app, harbour.emails.admin);
      const page = await other.get(PAGE).expect(200);
      assert.match(page.text, /Not connected to Xero/);
      assert.doesNotMatch(page.text, /Demo Company/);
      assert.match(page.text, /No certificate yet/);
      const res = await other.get(CERT).expect(200);
      assert.equal(res.headers['content-disposition'], 'attachment; filename="ledgerbridge-harbour-pool.cer"');
      assert.notEqual(await downloadCertificate(other), await downloadCertificate(admin), 'each organisation has its own certificate');
      assert.equal(await getLiveConnection(x.host.deps.db, harbour.orgId), undefined);
    });

    test('regenerating asks for confirmation, then retires the certificate and pauses the connection', async () => {
      const old = await downloadCertificate(admin);
      const refused = await postForm(admin, PAGE, REGENERATE, {});
      assert.equal(refused.status, 422);
      assert.match(refused.text, /Tick the box to confirm/);
      assert.equal(await downloadCertificate(admin), old, 'nothing changed without confirmation');

      const done = await postForm(admin, PAGE, REGENERATE, { confirm: 'yes' });
      assert.equal(done.status, 303);
      const page = await admin.get(PAGE).expect(200);
      assert.match(page.text, /A new certificate was created/);
      assert.match(page.text, /Needs re-authorisation/);
      assert.match(page.text, /Sync is paused until the connection is renewed/);
      const fresh = await downloadCertificate(admin);
      assert.notEqual(fresh, old);

      // Upload the new one to Xero and save: connected again.
      const app = await registerPrivateAppAt(xero.url, fresh);
      assert.equal((await saveCredentials(admin, app.consumerKey, app.consumerSecret)).status, 303);
      const connected = await admin.get(PAGE).expect(200);
      assert.match(connected.text, /Connected to Demo Company \(UK\)/);
      assert.match(connected.text, /Earlier connections/);
    });

    test('a certificate that has expired at Xero: warned ahead on the page, then the expiry reason', async () => {
      const pool = await seedOrg(x.host.deps.db, 'Expiring Gym');
      // This install's certificate was issued just under five years ago: it ends in a minute.
      await ensureCertificate({ ...x.deps, now: () => yearsBefore(Date.now() + 60_000, 5) }, pool.orgId, 'test');
      const agent = await logIn(x.app, pool.emails.admin);
      const page = await agent.get(PAGE).expect(200);
      assert.match(page.text, /data-testid="certificate-warning"><p><strong>The certificate expires in 0 days/);
      const app = await registerPrivateAppAt(xero.url, await downloadCertificate(agent));
      await advanceEmulatorClock(xero.url, 2 * 60_000); // now Xero is past the certificate's end (and within the 5-minute skew)
      const res = await saveCredentials(agent, app.consumerKey, app.consumerSecret);
      assert.equal(res.status, 422);
      assert.match(res.text, /Xero refused the certificate as expired/);
      assert.equal(await getLiveConnection(x.host.deps.db, pool.orgId), undefined);
    });

    // Runs last: it moves Xero's clock far from ours for the rest of this emulator's life.
    test("a server clock more than five minutes off Xero's: the clock reason", async () => {
      const app = await registerPrivateAppAt(xero.url, await downloadCertificate(admin));
      await advanceEmulatorClock(xero.url, 6 * 60_000);
      const res = await saveCredentials(admin, app.consumerKey, app.consumerSecret);
      assert.equal(res.status, 422);
      assert.match(res.text, /this server(&#39;|')s clock differs from Xero(&#39;|')s by more than 5 minutes; check NTP/);
    });
  });

  describe(`Xero legacy private app when Xero cannot be reached (${kind})`, () => {
    let x: XeroTestApp;
    let deadUrl: string;
    before(async () => {
      const gone = await startXeroEmulator();
      deadUrl = gone.url;
      await gone.close(); // nothing listens there any more
      x = await bootXeroApp(kind, { emulatorUrl: deadUrl });
    });
    after(async () => x?.close());

    test('the network reason names the URL, and nothing is saved', async () => {
      const org = await seedOrg(x.host.deps.db, 'Offline Studio');
      const agent = await logIn(x.app, org.emails.admin);
      const res = await saveCredentials(agent, 'K'.repeat(30), 'S'.repeat(30));
      assert.equal(res.status, 502);
      assert.match(res.text, new RegExp(`Could not reach Xero at ${deadUrl.replace(/[.]/g, '\\.')}`));
      assert.equal(await getLiveConnection(x.host.deps.db, org.orgId), undefined);
    });
  });
}
