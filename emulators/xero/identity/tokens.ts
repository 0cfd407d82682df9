// Minting and checking the RS256 JWTs. Claims follow what Xero's identity server puts in its tokens,
// so product code that decodes them (to read authentication_event_id, xero_userid or exp) meets the
// real shapes. Times come from the emulated clock.
import { createHash } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import type { SigningKeys } from './keys';
import type { EmulatedUser, Grant } from './state';
import { ACCESS_TOKEN_TTL_MS, ID_TOKEN_TTL_MS } from './lifetimes';
import { newHexId } from './ids';

export interface AccessTokenClaims extends JWTPayload {
  client_id: string;
  authentication_event_id: string;
  scope: string[];
  xero_userid?: string;
  global_session_id?: string;
  auth_time?: number;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export async function mintAccessToken(
  keys: SigningKeys,
  input: { issuer: string; grant: Grant; user: EmulatedUser | undefined; scopes: string[]; now: number },
): Promise<string> {
  const { issuer, grant, user, scopes, now } = input;
  const claims: Record<string, unknown> = {
    client_id: grant.clientId,
    authentication_event_id: grant.id,
    scope: scopes,
    ...(user
      ? { sub: user.sub, xero_userid: user.id, global_session_id: grant.sessionId, auth_time: seconds(grant.authTime) }
      : {}),
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(`${issuer}/resources`)
    .setIssuedAt(seconds(now))
    .setNotBefore(seconds(now))
    .setExpirationTime(seconds(now + ACCESS_TOKEN_TTL_MS))
    .setJti(newHexId().toUpperCase())
    .sign(keys.privateKey);
}

export async function mintIdToken(
  keys: SigningKeys,
  input: { issuer: string; grant: Grant; user: EmulatedUser; scopes: string[]; accessToken: string; now: number },
): Promise<string> {
  const { issuer, grant, user, scopes, accessToken, now } = input;
  const claims: Record<string, unknown> = {
    auth_time: seconds(grant.authTime),
    xero_userid: user.id,
    global_session_id: grant.sessionId,
    sid: grant.sessionId,
    at_hash: atHash(accessToken),
    ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}),
    ...(scopes.includes('email') ? { email: user.email, preferred_username: user.email } : {}),
    ...(scopes.includes('profile') ? { given_name: user.givenName, family_name: user.familyName } : {}),
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(user.sub)
    .setAudience(grant.clientId)
    .setIssuedAt(seconds(now))
    .setNotBefore(seconds(now))
    .setExpirationTime(seconds(now + ID_TOKEN_TTL_MS))
    .sign(keys.privateKey);
}

/** OIDC at_hash: left half of SHA-256 of the access token, base64url. */
function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export type BearerCheck =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; reason: 'expired'; expiredAt: number }
  | { ok: false; reason: 'invalid' };

/** Signature and lifetime only; whether the grant is still alive is the caller's question. */
export async function verifyAccessToken(keys: SigningKeys, token: string, now: number): Promise<BearerCheck> {
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, { algorithms: ['RS256'], currentDate: new Date(now), clockTolerance: 0 });
    if (typeof payload.client_id !== 'string' || typeof payload.authentication_event_id !== 'string' || !Array.isArray(payload.scope)) {
      return { ok: false, reason: 'invalid' };
    }
    return { ok: true, claims: payload as AccessTokenClaims };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      return { ok: false, reason: 'expired', expiredAt: Number(err.payload.exp) * 1000 };
    }
    return { ok: false, reason: 'invalid' };
  }
}
