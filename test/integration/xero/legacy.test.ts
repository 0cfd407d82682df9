// The legacy private-app connection module against a real database (SQLite; PostgreSQL too with
// TEST_PG_URL) and the Xero emulator over HTTP: certificate lifecycle, save = test first, replayed
// nonces, expired certificates, status. The routes and pages are covered in test/e2e/xero.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { registerPrivateAppAt, startXeroEmulator, advanceEmulatorClock, standaloneConnectionDeps, type RunningEmulator } from '../../support/xero';
import { ValidationError } from '../../../server/errors';
import { createOrganisation } from '../../../server/domain/organisations';
import { XeroConfigSchema } from '../../../plugins/xero/config';
import { xeroPlugin } from '../../../plugins/xero';
import type { ConnectionDeps } from '../../../plugins/xero/connection/deps';
import { getLiveConnection, listConnections, openConnectionSecret, startConnection } from '../../../plugins/xero/connection/store';
import { verifyCertificateMatchesKey } from '../../../plugins/xero/connection/oauth1';
import { openCertificateKey } from '../../../plugins/xero/connection/certificates';
import {
  XeroConnectionTestError,
  certificateExpiry,
  currentCertificate,
  ensureCertificate,
  regenerateCertificate,
  saveLegacyConnection,
} from '../../../plugins/xero/connection/legacy';
import { testPrivateAppConnection } from '../../../plugins/xero/connection/testConnection';
import { connectionStatus } from '../../../plugins/xero/connection/status';

const DAY = 24 * 60 * 60_000;
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

function depsFor(t: TestDatabase, apiUrl: string, now?: () => number): ConnectionDeps {
  const config = XeroConfigSchema.parse({ XERO_API_URL: apiUrl, XERO_HTTP_TIMEOUT_MS: '3000' });
  return standaloneConnectionDeps(t.db, config, { masterKey: Buffer.alloc(32, 3), ...(now ? { now } : {}) });
}

/** Same moment `years` earlier, by calendar (what the certificate generator adds back). */
function yearsBefore(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.getTime();
}

test('certificate expiry: ok, warned 60 days ahead, expired', () => {
  const now = Date.UTC(2026, 0, 1);
  assert.deepEqual(certificateExpiry(now + 61 * DAY, now), { state: 'ok', daysLeft: 61 });
  assert.deepEqual(certificateExpiry(now + 60 * DAY, now), { state: 'expiring', daysLeft: 60 });
  assert.equal(certificateExpiry(now + 1, now).state, 'expiring');
  assert.equal(certificateExpiry(now, now).state, 'expired');
});

for (const kind of dbKinds()) {
  describe(`legacy private app connection (${kind})`, () => {
    let t: TestDatabase;
    let xero: RunningEmulator;
    let deps: ConnectionDeps;
    let orgId: number;

    before(async () => {
      t = await createTestDatabase(kind, [{ id: 'xero', migrations: [...xeroPlugin.migrations!] }]);
      xero = await startXeroEmulator();
      deps = depsFor(t, xero.url);
      orgId = (await createOrganisation(t.db, { name: 'Riverside Climbing' })).id;
    });
    after(async () => {
      await xero?.close();
      await t?.destroy();
    });

    test('a certificate is created once: RSA 2048, SHA-256, five years, naming the org; its key sealed', async () => {
      const results = await Promise.all([1, 2, 3].map(() => ensureCertificate(deps, orgId, 'user:1')));
      assert.equal(results.filter((r) => r.created).length, 1, 'racing first downloads create one certificate');
      assert.equal(new Set(results.map((r) => r.certificate.id)).size, 1);
      const rows = await t.db('xero_certificates').where({ org_id: orgId });
      assert.equal(rows.length, 1);
      const cert = results[0]!.certificate;

      const x509 = new X509Certificate(cert.certificatePem);
      assert.match(x509.subject, /Riverside Climbing/);
      assert.equal(x509.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
      assert.equal(forge.pki.certificateFromPem(cert.certificatePem).siginfo.algorithmOid, SHA256_WITH_RSA);
      const years = (cert.notAfter - cert.notBefore) / (365.25 * DAY);
      assert.ok(years > 4.99 && years < 5.01, `valid ${years} years`);

      const sealed = String(rows[0].private_key_sealed);
      assert.doesNotMatch(sealed, /PRIVATE KEY/);
      const key = await openCertificateKey(deps, orgId, cert.id);
      assert.ok(verifyCertificateMatchesKey(cert.certificatePem, key), 'the sealed key is the certificate\'s');
      assert.equal((await ensureCertificate(deps, orgId, 'user:1')).created, false);
    });

    test('bad credentials are refused field by field and nothing is saved', async () => {
      await assert.rejects(
        saveLegacyConnection(deps, { orgId, consumerKey: '  ', consumerSecret: 'has spaces in it', actor: 'user:1' }),
        (err: unknown) => {
          assert.ok(err instanceof ValidationError);
          assert.deepEqual(err.issues.map((i) => i.path), ['consumerKey', 'consumerSecret']);
          assert.match(err.issues[0]!.message, /required/);
          assert.match(err.issues[1]!.message, /only letters, digits/);
          assert.doesNotMatch(JSON.stringify(err), /has spaces in it/, 'the secret is not echoed');
          return true;
        },
      );
      await assert.rejects(saveLegacyConnection(deps, { orgId, consumerKey: 'SHORT', consumerSecret: 'X'.repeat(300), actor: 'user:1' }), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.match(err.issues[0]!.message, /10 to 128 characters/);
        assert.match(err.issues[1]!.message, /10 to 256 characters/);
        return true;
      });
      assert.equal((await listConnections(t.db, orgId)).length, 0);
    });

    test('save tests first: connected with the organisation, the secret sealed, last call and headroom recorded', async () => {
      const cert = (await currentCertificate(t.db, orgId))!;
      const app = await registerPrivateAppAt(xero.url, cert.certificatePem);
      const { connection, organisation } = await saveLegacyConnection(deps, { orgId, consumerKey: ` ${app.consumerKey} `, consumerSecret: app.consumerSecret, actor: 'user:1' });
      assert.equal(organisation.name, 'Demo Company (UK)');
      const live = (await getLiveConnection(t.db, orgId))!;
      assert.equal(live.id, connection.id);
      assert.equal(live.mode, 'private_app');
      assert.equal(live.status, 'connected');
      assert.equal(live.tenant_id, app.tenantId);
      assert.equal(live.tenant_name, 'Demo Company (UK)');
      assert.equal(live.tenant_currency, 'GBP');
      assert.equal(live.consumer_key, app.consumerKey, 'trimmed');
      assert.equal(live.certificate_id, cert.id);
      assert.ok(live.last_success_at);
      assert.equal(live.rate_min_remaining, 59);
      assert.ok(live.consumer_secret_sealed && !live.consumer_secret_sealed.includes(app.consumerSecret));
      assert.equal(await openConnectionSecret(deps.secrets, t.db, live, 'consumer_secret_sealed'), app.consumerSecret);

      const status = await connectionStatus(deps, orgId);
      assert.equal(status.live?.organisationName, 'Demo Company (UK)');
      assert.equal(status.live?.modeLabel, 'Legacy private app (OAuth 1.0a)');
      assert.equal(status.live?.consumerKeyHint, `…${app.consumerKey.slice(-4)}`);
      assert.equal(status.live?.certificate?.id, cert.id);
      assert.equal(status.live?.rateHeadroom?.minuteRemaining, 59);
      assert.equal(status.certificate?.expiry.state, 'ok');
      assert.doesNotMatch(JSON.stringify(status), new RegExp(app.consumerSecret), 'status carries no secret');
    });

    test('a replayed nonce is refused by Xero and the reason says so; the live connection is untouched', async () => {
      const cert = (await currentCertificate(t.db, orgId))!;
      const app = await registerPrivateAppAt(xero.url, cert.certificatePem);
      const privateKeyPem = await openCertificateKey(deps, orgId, cert.id);
      const frozen = Date.now();
      const signedTwice = { config: deps.config, consumerKey: app.consumerKey, privateKeyPem, now: () => frozen, nonce: () => 'fixed-nonce-for-replay' };
      const first = await testPrivateAppConnection(signedTwice);
      assert.equal(first.ok, true);
      const replay = await testPrivateAppConnection(signedTwice);
      assert.equal(replay.ok, false);
      if (replay.ok) return;
      assert.equal(replay.kind, 'nonce_used');
      assert.equal(replay.problem, 'nonce_used');
      assert.equal(replay.status, 401);
      assert.match(replay.reason, /replay/);

      // Through save: the replayed attempt fails with that reason and nothing replaces the live connection.
      const before = (await getLiveConnection(t.db, orgId))!;
      const replayDeps = { ...deps, now: () => frozen + 1000 };
      const input = { orgId, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, actor: 'user:1', nonce: () => 'another-fixed-nonce' };
      await saveLegacyConnection(replayDeps, input);
      const connected = (await getLiveConnection(t.db, orgId))!;
      assert.notEqual(connected.id, before.id, 'the first save connected (a new row; the old one is history)');
      await assert.rejects(saveLegacyConnection(replayDeps, input), (err: unknown) => {
        assert.ok(err instanceof XeroConnectionTestError);
        assert.equal(err.kind, 'nonce_used');
        assert.match(err.message, /replay/);
        return true;
      });
      assert.equal((await getLiveConnection(t.db, orgId))!.id, connected.id);
    });

    test('regenerating retires the certificate and pauses the private app until it is saved again', async () => {
      const old = (await currentCertificate(t.db, orgId))!;
      const fresh = await regenerateCertificate(deps, orgId, 'user:1');
      assert.notEqual(fresh.id, old.id);
      assert.notEqual(fresh.fingerprintSha1, old.fingerprintSha1);
      const oldRow = await t.db('xero_certificates').where({ id: old.id }).first();
      assert.ok(oldRow.retired_at, 'the old certificate is retired, kept for the record');
      const live = (await getLiveConnection(t.db, orgId))!;
      assert.equal(live.status, 'needs_reauth');
      assert.match(String(live.last_error), /regenerated/);

      // The old app at Xero still has the old certificate: saving its key now is a signature mismatch.
      const oldApp = (await t.db('xero_connections').where({ id: live.id }).first()) as { consumer_key: string };
      const secret = (await openConnectionSecret(deps.secrets, t.db, live, 'consumer_secret_sealed'))!;
      await assert.rejects(saveLegacyConnection(deps, { orgId, consumerKey: oldApp.consumer_key, consumerSecret: secret, actor: 'user:1' }), (err: unknown) => {
        assert.ok(err instanceof XeroConnectionTestError);
        assert.equal(err.kind, 'signature_invalid');
        return true;
      });
      // With the new certificate registered it connects again, and the history keeps every row.
      const app = await registerPrivateAppAt(xero.url, fresh.certificatePem);
      await saveLegacyConnection(deps, { orgId, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, actor: 'user:1' });
      const status = await connectionStatus(deps, orgId);
      assert.equal(status.live?.status, 'connected');
      assert.equal(status.live?.certificate?.id, fresh.id);
      assert.equal(status.history.length, 2, 'the first two connections are history');
      assert.ok(status.history.every((h) => h.endReason && /Replaced by a private app connection/.test(h.endReason)));
    });

    test("status shows other modes too (OAuth2 scopes and access-token expiry) and only the org's own rows", async () => {
      const other = (await createOrganisation(t.db, { name: 'Other Org' })).id;
      const expires = Date.now() + 30 * 60_000;
      await startConnection(deps, t.db, {
        orgId: other, mode: 'oauth2', status: 'connected', createdBy: 'user:9', endReason: 'test',
        tenant_id: 'tenant-x', tenant_name: 'Demo Company (US)', scopes: 'offline_access accounting.invoices',
      });
      await t.db('xero_connections').where({ org_id: other }).update({ access_expires_at: expires });
      const status = await connectionStatus(deps, other);
      assert.equal(status.live?.modeLabel, 'OAuth2');
      assert.deepEqual(status.live?.scopes, ['offline_access', 'accounting.invoices']);
      assert.equal(status.live?.accessTokenExpiresAt, expires);
      assert.equal(status.certificate, null);
      assert.equal(status.history.length, 0);
      assert.equal((await connectionStatus(deps, orgId)).live?.organisationName, 'Demo Company (UK)');
    });
  });

  describe(`legacy private app against a changed Xero (${kind})`, () => {
    let t: TestDatabase;
    let orgId: number;
    before(async () => {
      t = await createTestDatabase(kind, [{ id: 'xero', migrations: [...xeroPlugin.migrations!] }]);
      orgId = (await createOrganisation(t.db, { name: 'Harbour Pool' })).id;
    });
    after(async () => t?.destroy());

    test('a certificate that expired at Xero gives the certificate reason, and the page warns ahead of expiry', async () => {
      const xero = await startXeroEmulator();
      try {
        // Issued just under five years ago: it expires a minute from now.
        const issuedAt = yearsBefore(Date.now() + 60_000, 5);
        const deps = depsFor(t, xero.url, () => issuedAt);
        const { certificate } = await ensureCertificate(deps, orgId, 'user:1');
        const status = await connectionStatus({ ...deps, now: Date.now }, orgId);
        assert.equal(status.certificate?.expiry.state, 'expiring');
        assert.equal(status.certificate?.expiry.daysLeft, 0);

        const app = await registerPrivateAppAt(xero.url, certificate.certificatePem);
        await advanceEmulatorClock(xero.url, 2 * 60_000); // Xero's now is past the certificate's end
        const later = { ...deps, now: () => Date.now() + 2 * 60_000 }; // our clock agrees with Xero's
        await assert.rejects(saveLegacyConnection(later, { orgId, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, actor: 'user:1' }), (err: unknown) => {
          assert.ok(err instanceof XeroConnectionTestError);
          assert.equal(err.kind, 'certificate_expired');
          assert.match(err.message, /expired/);
          return true;
        });
        assert.equal(await getLiveConnection(t.db, orgId), undefined, 'nothing saved as connected');
      } finally {
        await xero.close();
      }
    });

    test('a clock more than five minutes off Xero\'s gives the clock reason', async () => {
      const xero = await startXeroEmulator();
      try {
        const deps = depsFor(t, xero.url);
        await regenerateCertificate(deps, orgId, 'user:1');
        const cert = (await currentCertificate(t.db, orgId))!;
        const app = await registerPrivateAppAt(xero.url, cert.certificatePem);
        await advanceEmulatorClock(xero.url, 6 * 60_000);
        await assert.rejects(saveLegacyConnection(deps, { orgId, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, actor: 'user:1' }), (err: unknown) => {
          assert.ok(err instanceof XeroConnectionTestError);
          assert.equal(err.kind, 'timestamp_refused');
          assert.match(err.message, /clock differs from Xero's by more than 5 minutes; check NTP/);
          return true;
        });
        assert.equal(await getLiveConnection(t.db, orgId), undefined);
      } finally {
        await xero.close();
      }
    });
  });
}
