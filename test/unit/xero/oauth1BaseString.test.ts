import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  baseStringUri,
  normaliseParameters,
  parseFormEncoded,
  percentEncode,
  signatureBaseString,
  collectParameters,
  type Param,
} from '../../../plugins/xero/connection/oauth1/baseString';
import { hmacSha1Signature, rsaSha1Signature, signWithParams } from '../../../plugins/xero/connection/oauth1/signer';

interface Vectors {
  'rsa-sha1': { method: string; url: string; oauth: Record<string, string>; base_string: string; private_key_pem: string; certificate_pem: string; signature: string };
  'hmac-sha1': { method: string; url: string; body_form: string; oauth: Record<string, string>; consumer_secret: string; token_secret: string; base_string: string; signature: string };
}
const vectors = JSON.parse(readFileSync('/work/shared/vectors/oauth1.json', 'utf8')) as Vectors;

test('RSA-SHA1 vector: base string and signature exactly', () => {
  const v = vectors['rsa-sha1'];
  const signed = signWithParams({
    method: v.method,
    url: v.url,
    oauthParams: Object.entries(v.oauth),
    sign: (base) => rsaSha1Signature(base, v.private_key_pem),
  });
  assert.equal(signed.baseString, v.base_string);
  assert.equal(signed.signature, v.signature);
  // And the published certificate verifies it: the key and the signature belong together.
  assert.ok(verify('sha1', Buffer.from(v.base_string), createPublicKey(v.certificate_pem), Buffer.from(v.signature, 'base64')));
});

test('HMAC-SHA1 vector (RFC 5849 §3.4.1.1): base string and signature exactly', () => {
  const v = vectors['hmac-sha1'];
  const signed = signWithParams({
    method: v.method,
    url: v.url,
    body: v.body_form,
    oauthParams: Object.entries(v.oauth),
    sign: (base) => hmacSha1Signature(base, v.consumer_secret, v.token_secret),
  });
  assert.equal(signed.baseString, v.base_string);
  assert.equal(signed.signature, v.signature);
});

test('percentEncode keeps only the unreserved set, upper-case hex, UTF-8', () => {
  assert.equal(percentEncode('AZaz09-._~'), 'AZaz09-._~');
  assert.equal(percentEncode("!*'() +/=&%"), '%21%2A%27%28%29%20%2B%2F%3D%26%25');
  assert.equal(percentEncode('é☃'), '%C3%A9%E2%98%83');
});

test('form decoding: + is a space, bare names have empty values, escapes decode', () => {
  assert.deepEqual(parseFormEncoded('c2&a3=2+q&b5=%3D%253D&&x='), [['c2', ''], ['a3', '2 q'], ['b5', '=%3D'], ['x', '']]);
});

test('base string URI: scheme and host lower-case, default ports dropped, other ports kept, no query', () => {
  assert.equal(baseStringUri(new URL('HTTP://Example.COM:80/r%20v/X?id=123')), 'http://example.com/r%20v/X');
  assert.equal(baseStringUri(new URL('https://www.example.net:8080/?q=1')), 'https://www.example.net:8080/');
  assert.equal(baseStringUri(new URL('https://api.xero.com:443/api.xro/2.0/Invoices')), 'https://api.xero.com/api.xro/2.0/Invoices');
});

test('parameters sort by encoded name then value, and repeated names keep every value', () => {
  const params: Param[] = [['b', '2'], ['a', 'z'], ['a', 'a b'], ['a', 'a'], ['A', '1'], ['oauth_signature', 'dropped']];
  assert.equal(normaliseParameters(params), 'A=1&a=a&a=a%20b&a=z&b=2');
});

test('the query string of the URL is signed; the fragment is not', () => {
  const url = new URL('https://api.example.com/Invoices?where=Status%3D%3D%22PAID%22&page=2#frag');
  const base = signatureBaseString('get', url, collectParameters(url, [['oauth_nonce', 'n']]));
  assert.equal(base, 'GET&https%3A%2F%2Fapi.example.com%2FInvoices&oauth_nonce%3Dn%26page%3D2%26where%3DStatus%253D%253D%2522PAID%2522');
});
