// The OAuth 1.0a building blocks against the published vectors (/work/shared/vectors/oauth1.json):
// base-string construction and signature verification for RSA-SHA1 and HMAC-SHA1.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { collectParameters, parseFormEncoded, percentEncode, signatureBaseString, type Param } from '../oauth1/baseString';
import { signHmacSha1, signRsaSha1, verifyHmacSha1, verifyRsaSha1 } from '../oauth1/signatures';

interface RsaVector {
  method: string;
  url: string;
  oauth: Record<string, string>;
  base_string: string;
  private_key_pem: string;
  certificate_pem: string;
  signature: string;
}
interface HmacVector {
  method: string;
  url: string;
  body_form: string;
  oauth: Record<string, string>;
  consumer_secret: string;
  token_secret: string;
  base_string: string;
  signature: string;
}

const vectors = JSON.parse(readFileSync('/work/shared/vectors/oauth1.json', 'utf8')) as { 'rsa-sha1': RsaVector; 'hmac-sha1': HmacVector };
const rsa = vectors['rsa-sha1'];
const hmac = vectors['hmac-sha1'];
const oauthParams = (o: Record<string, string>): Param[] => Object.entries(o);

describe('OAuth 1.0a published vectors', () => {
  it('builds the RSA-SHA1 base string', () => {
    const url = new URL(rsa.url);
    const params = collectParameters({ url, headerParams: oauthParams(rsa.oauth) });
    assert.equal(signatureBaseString(rsa.method, url, params), rsa.base_string);
  });

  it('verifies the RSA-SHA1 signature with the certificate, and signs it identically', () => {
    const publicKey = new X509Certificate(rsa.certificate_pem).publicKey;
    assert.equal(verifyRsaSha1(rsa.base_string, rsa.signature, publicKey), true);
    assert.equal(signRsaSha1(rsa.base_string, rsa.private_key_pem), rsa.signature);
  });

  it('rejects the RSA-SHA1 signature over a changed base string or a mangled signature', () => {
    const publicKey = new X509Certificate(rsa.certificate_pem).publicKey;
    assert.equal(verifyRsaSha1(rsa.base_string.replace('original', 'thumbnail'), rsa.signature, publicKey), false);
    assert.equal(verifyRsaSha1(rsa.base_string, `A${rsa.signature.slice(1)}`, publicKey), false);
    assert.equal(verifyRsaSha1(rsa.base_string, 'not base64 at all', publicKey), false);
  });

  it('builds the HMAC-SHA1 base string from query, header and form body (RFC 5849 §3.4.1)', () => {
    const url = new URL(hmac.url);
    const params = collectParameters({ url, headerParams: [['realm', 'Example'], ...oauthParams(hmac.oauth)], formBody: hmac.body_form });
    assert.equal(signatureBaseString(hmac.method, url, params), hmac.base_string);
  });

  it('verifies the HMAC-SHA1 signature', () => {
    assert.equal(signHmacSha1(hmac.base_string, hmac.consumer_secret, hmac.token_secret), hmac.signature);
    assert.equal(verifyHmacSha1(hmac.base_string, hmac.signature, hmac.consumer_secret, hmac.token_secret), true);
    assert.equal(verifyHmacSha1(hmac.base_string, hmac.signature, hmac.consumer_secret, 'wrong'), false);
  });

  it('percent-encodes per RFC 3986 and form-decodes per RFC 5849', () => {
    assert.equal(percentEncode("!*'() ~._-é"), '%21%2A%27%28%29%20~._-%C3%A9');
    assert.deepEqual(parseFormEncoded('a=1+2&b&c%40=%3D'), [['a', '1 2'], ['b', ''], ['c@', '=']]);
  });

  it('drops the default port and keeps a non-default one in the base string URI', () => {
    const base = (u: string): string => signatureBaseString('get', new URL(u), []).split('&')[1] ?? '';
    assert.equal(base('HTTP://Example.COM:80/r%20v/X?id=123'), percentEncode('http://example.com/r%20v/X'));
    assert.equal(base('https://www.example.net:8080/?q=1'), percentEncode('https://www.example.net:8080/'));
  });
});
