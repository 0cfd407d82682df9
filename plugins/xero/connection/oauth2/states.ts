// Authorisation requests in flight (xero_oauth_states): a random state bound to the admin and
// organisation that started it, the PKCE verifier (sealed: with the code it would redeem the grant) and
// the nonce. Single use, ten minutes.
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable, SealedColumnDeclaration, SecretBox } from '../../../../server/plugins/contract';

export const STATE_TTL_MS = 10 * 60_000;

export const codeVerifierPurpose = (state: string): string => `xero_oauth_states.code_verifier_sealed:${state}`;

// Rotating an organisation's data key re-seals verifiers still in flight too (declared on the plugin definition).
export const oauthStateSealedColumns: SealedColumnDeclaration = {
  table: 'xero_oauth_states',
  idColumn: 'state',
  orgColumn: 'org_id',
  columns: [{ name: 'code_verifier_sealed', purpose: (row) => codeVerifierPurpose(String(row.state)) }],
};

const random = (): string => randomBytes(32).toString('base64url');

export interface StartedAuthorisation {
  state: string;
  nonce: string;
  codeChallenge: string;
}

export async function createAuthorisationState(
  db: Queryable, secrets: SecretBox, input: { orgId: number; userId: number; scopes: string[]; now: number },
): Promise<StartedAuthorisation> {
  const { now } = input;
  const state = random();
  const nonce = random();
  // RFC 7636: 43–128 characters from the unreserved set; 32 random bytes in base64url are 43.
  const codeVerifier = random();
  // Old requests of this organisation are useless after ten minutes; tidy them as we go.
  await db('xero_oauth_states').where({ org_id: input.orgId }).where('expires_at', '<', now).delete();
  await db('xero_oauth_states').insert({
    state,
    org_id: input.orgId,
    user_id: input.userId,
    code_verifier_sealed: await secrets.seal(db, input.orgId, codeVerifierPurpose(state), codeVerifier),
    nonce,
    scopes: input.scopes.join(' '),
    created_at: now,
    expires_at: now + STATE_TTL_MS,
  });
  return { state, nonce, codeChallenge: createHash('sha256').update(codeVerifier).digest('base64url') };
}

export type StateRefusal = 'unknown' | 'other_user' | 'used' | 'expired';

export interface ClaimedState {
  state: string;
  orgId: number;
  userId: number;
  nonce: string;
  codeVerifier: string;
  scopes: string[];
}

/**
 * Claim the state for this admin: it must exist, belong to the same user and organisation, be unused and
 * unexpired. Marking it used is a compare-and-swap, so a replayed callback cannot redeem it twice.
 */
export async function claimAuthorisationState(
  db: Queryable, secrets: SecretBox, input: { state: string; orgId: number; userId: number; now: number },
): Promise<{ ok: true; claimed: ClaimedState } | { ok: false; refusal: StateRefusal }> {
  const { now } = input;
  const row = input.state ? await db('xero_oauth_states').where({ state: input.state }).first() : undefined;
  if (!row) return { ok: false, refusal: 'unknown' };
  // Someone else's state is refused without touching it: the admin it belongs to may still finish.
  if (Number(row.org_id) !== input.orgId || Number(row.user_id) !== input.userId) return { ok: false, refusal: 'other_user' };
  if (row.used_at !== null) return { ok: false, refusal: 'used' };
  if (Number(row.expires_at) <= now) return { ok: false, refusal: 'expired' };
  const marked = await db('xero_oauth_states').where({ state: input.state }).whereNull('used_at').update({ used_at: now });
  if (marked !== 1) return { ok: false, refusal: 'used' };
  const codeVerifier = await secrets.openString(db, input.orgId, codeVerifierPurpose(input.state), row.code_verifier_sealed);
  return {
    ok: true,
    claimed: {
      state: input.state, orgId: input.orgId, userId: input.userId, nonce: row.nonce, codeVerifier,
      scopes: String(row.scopes).split(' ').filter(Boolean),
    },
  };
}
