// Secrets never rest in clear: after a private app is connected through the pages (and a failed attempt
// with another secret), neither the certificate's private key nor any consumer secret can be read in the
// SQLite database file (main file and WAL), in the app's logs, or in the pages. SQLite only: it is the
// database whose bytes a test can read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { bootXeroApp, getText, logIn, postForm, registerPrivateAppAt, seedOrg, startXeroEmulator, type RunningEmulator, type XeroTestApp } from '../../support/xero';
import { openCertificateKey } from '../../../plugins/xero/connection/certificates';
import { currentCertificate } from '../../../plugins/xero/connection/legacy';
import { getLiveConnection } from '../../../plugins/xero/connection/store';

let xero: RunningEmulator;
let x: XeroTestApp;

before(async () => {
  xero = await startXeroEmulator();
  x = await bootXeroApp('sqlite', { emulatorUrl: xero.url, captureLogs: true });
});
after(async () => {
  await x?.close();
  await xero?.close();
});

/** Every byte of the database as it is on disk now: the main file and the write-ahead log. */
function databaseBytes(): Buffer {
  const file = x.host.deps.config.database.connection;
  return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

test('the private key and consumer secrets are not readable in the database file, the logs or the pages', async () => {
  const org = await seedOrg(x.host.deps.db, 'Riverside Climbing');
  const admin = await logIn(x.app, org.emails.admin);
  const pem = (await getText(admin, '/plugins/xero/legacy/certificate.cer')).text;
  const app = await registerPrivateAppAt(xero.url, pem);

  const wrongSecret = 'WRONGSECRET0WRONGSECRET0WRONGS';
  const failed = await postForm(admin, '/plugins/xero/connection', '/plugins/xero/legacy/connect', { consumerKey: 'UNKNOWNKEY00000000000000000000', consumerSecret: wrongSecret });
  assert.equal(failed.status, 422);
  const saved = await postForm(admin, '/plugins/xero/connection', '/plugins/xero/legacy/connect', { consumerKey: app.consumerKey, consumerSecret: app.consumerSecret });
  assert.equal(saved.status, 303);
  const page = await admin.get('/plugins/xero/connection').expect(200);
  assert.match(page.text, /Connected to Demo Company \(UK\)/);
  assert.equal((await getLiveConnection(x.host.deps.db, org.orgId))?.status, 'connected');

  const cert = (await currentCertificate(x.host.deps.db, org.orgId))!;
  const privateKeyPem = await openCertificateKey(x.deps, org.orgId, cert.id);
  const keyBody = privateKeyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  assert.ok(keyBody.length > 1000, 'a real RSA key');
  // Each 64-character PEM line of the key, the whole body, and the DER bytes it encodes.
  const keyLines = privateKeyPem.split('\n').filter((l) => l.length === 64);
  const keyDer = Buffer.from(keyBody, 'base64');
  const secrets = [app.consumerSecret, wrongSecret, keyBody, ...keyLines];

  const bytes = databaseBytes();
  assert.ok(bytes.includes(Buffer.from('Demo Company (UK)')), 'the scan reads real data (the organisation name is there)');
  assert.ok(bytes.includes(Buffer.from(cert.certificatePem.split('\n')[1]!)), 'the public certificate is stored in clear, as expected');
  for (const secret of secrets) assert.equal(bytes.includes(Buffer.from(secret)), false, `a secret (${secret.length} chars) is in the database file`);
  assert.equal(bytes.includes(keyDer.subarray(0, 64)), false, 'the DER key is in the database file');

  const logs = x.logs.join('');
  assert.match(logs, /xero private app test connection failed/, 'the failed attempt was logged');
  assert.match(logs, /xero private app connected/, 'the connection was logged');
  assert.match(logs, /xero private app certificate created/);
  for (const secret of secrets) assert.equal(logs.includes(secret), false, `a secret (${secret.length} chars) is in the logs`);
  assert.equal(logs.includes(app.consumerKey), false, 'only the last 4 characters of the consumer key are logged');
  assert.equal(logs.includes('PRIVATE KEY'), false);

  for (const secret of secrets) {
    assert.equal(page.text.includes(secret) || failed.text.includes(secret), false, 'a secret is on a page');
  }
});
