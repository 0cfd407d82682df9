// The RS256 key pair that signs access and id tokens. Kept as a private JWK in the identity state so
// a restarted emulator (state file) still verifies tokens it issued before.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { newHexId } from './ids';

export interface SigningKeys {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public JWK as published at the jwks_uri. */
  publicJwk: Record<string, unknown>;
}

export function generateSigningJwk(): Record<string, unknown> {
  // Generated as DER and loaded into a key of its own: a KeyObject straight from generateKeyPairSync shares
  // its lock with the generation job, and Node 20 can deadlock exporting it as JWK when a GC collects that
  // job mid-export (seen in CI: ExportJWKRsaKey → GC → ~KeyGenJob → the same mutex, the process hung).
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  const key = createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' });
  return { ...key.export({ format: 'jwk' }), kid: newHexId().toUpperCase(), alg: 'RS256', use: 'sig' };
}

export function loadSigningKeys(jwk: Record<string, unknown>): SigningKeys {
  const kid = String(jwk.kid);
  const privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const { kty, n, e } = publicKey.export({ format: 'jwk' });
  return { kid, privateKey, publicKey, publicJwk: { kty, use: 'sig', alg: 'RS256', kid, n, e } };
}
