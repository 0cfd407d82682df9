// x-xero-signature: base64 HMAC-SHA256 of the raw body under the app's webhook key, compared in constant
// time. The raw bytes, never a re-serialisation: JSON.stringify(JSON.parse(body)) differs from what Xero
// signed (spacing, escapes, number forms), a known trap in Xero's SDKs.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifyXeroSignature(body: Buffer, signature: string | undefined, key: string): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', key).update(body).digest();
  const given = Buffer.from(signature, 'base64');
  // Buffer.from ignores characters outside base64; insist the header is exactly the encoding of the digest.
  if (given.length !== expected.length || given.toString('base64') !== signature.trim()) return false;
  return timingSafeEqual(given, expected);
}
