// RSA-SHA1 (what Xero private apps used) and HMAC-SHA1 (RFC 5849 §3.4.2, for the published vectors)
// signing and verification over a base string.
import { createHmac, createSign, createVerify, timingSafeEqual, type KeyLike } from 'node:crypto';
import { percentEncode } from './baseString';

export function verifyRsaSha1(baseString: string, signatureBase64: string, publicKey: KeyLike): boolean {
  try {
    return createVerify('RSA-SHA1').update(baseString).verify(publicKey, signatureBase64, 'base64');
  } catch {
    return false;
  }
}

export function signRsaSha1(baseString: string, privateKey: KeyLike): string {
  return createSign('RSA-SHA1').update(baseString).sign(privateKey, 'base64');
}

export function signHmacSha1(baseString: string, consumerSecret: string, tokenSecret = ''): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha1', key).update(baseString).digest('base64');
}

export function verifyHmacSha1(baseString: string, signatureBase64: string, consumerSecret: string, tokenSecret = ''): boolean {
  const expected = Buffer.from(signHmacSha1(baseString, consumerSecret, tokenSecret));
  const given = Buffer.from(signatureBase64);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
