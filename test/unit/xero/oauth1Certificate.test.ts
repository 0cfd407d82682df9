import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, verify } from 'node:crypto';
import forge from 'node-forge';
import {
  certificateInfo,
  generatePrivateAppCertificate,
  verifyCertificateMatchesKey,
} from '../../../plugins/xero/connection/oauth1/certificate';
import { signPrivateAppRequest } from '../../../plugins/xero/connection/oauth1/signer';
import { ValidationError } from '../../../server/errors';

const now = new Date('2026-03-01T12:00:00Z');
const generated = generatePrivateAppCertificate({ organisationName: 'Riverside Climbing Ltd', now });

test('a self-signed X509 v3 certificate: RSA 2048, SHA-256, names, validity, extensions', async () => {
  const c = await generated;
  const x509 = new X509Certificate(c.certificatePem);
  assert.equal(x509.subject, 'CN=Ledgerbridge Riverside Climbing Ltd\nO=Riverside Climbing Ltd');
  assert.equal(x509.issuer, x509.subject);
  assert.ok(x509.verify(x509.publicKey), 'self-signed: verifies with its own key');
  assert.equal(x509.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(x509.ca, false);
  assert.deepEqual(new Date(x509.validFrom), new Date('2026-03-01T11:59:00Z'));
  assert.deepEqual(new Date(x509.validTo), new Date('2031-03-01T12:00:00Z'));
  assert.deepEqual([c.notBefore, c.notAfter], [new Date('2026-03-01T11:59:00Z'), new Date('2031-03-01T12:00:00Z')]);
  assert.equal(c.fingerprintSha1, x509.fingerprint);
  assert.match(c.fingerprintSha1, /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);

  const parsed = forge.pki.certificateFromPem(c.certificatePem);
  assert.equal(parsed.version, 2); // v3
  assert.equal(parsed.siginfo.algorithmOid, forge.pki.oids.sha256WithRSAEncryption);
  const bc = parsed.getExtension('basicConstraints') as { cA?: boolean; critical?: boolean } | null;
  assert.equal(bc?.cA, false);
  const ku = parsed.getExtension('keyUsage') as { digitalSignature?: boolean; keyCertSign?: boolean } | null;
  assert.equal(ku?.digitalSignature, true);
  assert.notEqual(ku?.keyCertSign, true);
});

test('serial numbers are positive, 16 octets and random', async () => {
  const [a, b] = await Promise.all([generated, generatePrivateAppCertificate({ organisationName: 'Other', now })]);
  for (const c of [a, b]) {
    assert.match(c.serialNumber, /^[4-7][0-9a-f]{31}$/); // top bit clear (positive), first octet non-zero
    assert.equal(new X509Certificate(c.certificatePem).serialNumber.toLowerCase(), c.serialNumber);
  }
  assert.notEqual(a.serialNumber, b.serialNumber);
  assert.notEqual(a.privateKeyPem, b.privateKeyPem);
});

test('the private key matches the certificate and signs what the certificate verifies', async () => {
  const c = await generated;
  assert.match(c.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(verifyCertificateMatchesKey(c.certificatePem, c.privateKeyPem), true);
  const other = await generatePrivateAppCertificate({ organisationName: 'Other' });
  assert.equal(verifyCertificateMatchesKey(c.certificatePem, other.privateKeyPem), false);
  const signed = signPrivateAppRequest({ method: 'GET', url: 'https://api.xero.com/api.xro/2.0/Organisation', consumerKey: 'CK', privateKeyPem: c.privateKeyPem });
  assert.ok(verify('sha1', Buffer.from(signed.baseString), createPublicKey(c.certificatePem), Buffer.from(signed.signature, 'base64')));
});

test('certificateInfo reads dates, subject and fingerprint; pasted CRLF PEM is accepted', async () => {
  const c = await generated;
  const info = certificateInfo(c.certificatePem.replace(/\n/g, '\r\n'));
  assert.deepEqual(info.notAfter, c.notAfter);
  assert.deepEqual(info.notBefore, c.notBefore);
  assert.equal(info.fingerprintSha1, c.fingerprintSha1);
  assert.match(info.subject, /CN=Ledgerbridge Riverside Climbing Ltd/);
});

test('unreadable certificate or key: a ValidationError that does not echo the input', async () => {
  const c = await generated;
  assert.throws(() => certificateInfo('-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----'), ValidationError);
  assert.throws(
    () => verifyCertificateMatchesKey(c.certificatePem, 'secret-looking-garbage'),
    (err: Error) => err instanceof ValidationError && !JSON.stringify(err).includes('secret-looking-garbage'),
  );
});

test('options are checked', async () => {
  await assert.rejects(generatePrivateAppCertificate({ organisationName: '  ' }), RangeError);
  await assert.rejects(generatePrivateAppCertificate({ organisationName: 'X', validityYears: 0 }), RangeError);
  const custom = await generatePrivateAppCertificate({ organisationName: 'X', commonName: 'Custom CN', validityYears: 1, now });
  assert.match(new X509Certificate(custom.certificatePem).subject, /^CN=Custom CN\nO=X$/);
  assert.deepEqual(custom.notAfter, new Date('2027-03-01T12:00:00Z'));
});
