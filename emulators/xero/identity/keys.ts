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
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: newHexId().toUpperCase(), alg: 'RS256', use: 'sig' };
}

export function loadSigningKeys(jwk: Record<string, unknown>): SigningKeys {
  const kid = String(jwk.kid);
  const privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const { kty, n, e } = publicKey.export({ format: 'jwk' });
  return { kid, privateKey, publicKey, publicJwk: { kty, use: 'sig', alg: 'RS256', kid, n, e } };
}
