// The storage-agnostic core of the token manager (the Cal.com lesson: it gets storage as callbacks and
// knows nothing of the database). Xero rotates refresh tokens and two parallel refreshes of one token set
// end in invalid_grant, so exactly one refresh may run at a time across every worker and process:
//
//   read ──fresh──▶ return the access token
//     │ stale
//     ▼
//   tryLease(version) ──won──▶ refresh ──▶ commit(version → version+1) ──▶ return the new token
//     │ lost                      │ dead credentials ──▶ markDead (needs re-authorisation) ──▶ AuthRevokedError
//     ▼                           │ anything else ──▶ release the lease ──▶ rethrow
//   poll read() until the version moves, the lease lapses (then try again) or we give up (RetryableError)
import { AuthRevokedError, RetryableError } from '../../../../server/errors';

export type TokenAvailability = 'usable' | 'needs_reauth' | 'gone';

export interface TokenSnapshot {
  /** Bumped by every successful refresh: the compare-and-swap guard. */
  version: number;
  availability: TokenAvailability;
  /** Why it is not usable (shown to the admin), when it is not. */
  reason?: string | null;
  hasAccessToken: boolean;
  accessExpiresAt: number | null;
}

export interface FreshTokens {
  accessToken: string;
  accessExpiresAt: number;
  /** A rotated refresh token (OAuth2), or undefined (client credentials have none). */
  refreshToken?: string;
  scopes?: string;
}

export interface TokenStorage<S extends TokenSnapshot> {
  read(): Promise<S>;
  /** The (opened) access token of a snapshot that is fresh. */
  accessToken(snapshot: S): Promise<string>;
  /** Take the refresh lease if the version is still `version` and no unexpired lease is held. */
  tryLease(version: number, owner: string, until: number, now: number): Promise<boolean>;
  /** Store new tokens if still at `version` under our lease; bumps the version and drops the lease. */
  commit(version: number, owner: string, tokens: FreshTokens): Promise<boolean>;
  release(owner: string): Promise<void>;
  /** The credentials are dead: needs re-authorisation (if still at `version` under our lease). */
  markDead(version: number, owner: string, reason: string): Promise<boolean>;
}

/** Thrown by a refresher when the far side says the credentials will never work again. */
export class DeadCredentialsError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DeadCredentialsError';
  }
}

export interface RefreshPolicy {
  /** Refresh when less than this is left (a call started now must not meet an expired token). */
  refreshBeforeMs: number;
  /** How long a lease holds: longer than one refresh call can take (the HTTP timeout) plus margin. */
  leaseMs: number;
  pollMs: number;
  /** Give up waiting for another worker's refresh after this long (real time). */
  maxWaitMs: number;
  /** The clock tokens and leases are measured on (epoch ms). */
  now(): number;
  owner: string;
}

export async function ensureFreshAccessToken<S extends TokenSnapshot>(
  storage: TokenStorage<S>,
  refresh: (snapshot: S) => Promise<FreshTokens>,
  policy: RefreshPolicy,
): Promise<string> {
  const giveUpAt = Date.now() + policy.maxWaitMs;
  for (;;) {
    const snapshot = await storage.read();
    if (snapshot.availability !== 'usable') {
      throw new AuthRevokedError(snapshot.reason || `The Xero connection ${snapshot.availability === 'gone' ? 'has ended' : 'needs re-authorisation'}; an admin must reconnect it`);
    }
    const now = policy.now();
    if (snapshot.hasAccessToken && snapshot.accessExpiresAt !== null && snapshot.accessExpiresAt - now > policy.refreshBeforeMs) {
      return storage.accessToken(snapshot);
    }
    if (await storage.tryLease(snapshot.version, policy.owner, now + policy.leaseMs, now)) {
      let tokens: FreshTokens;
      try {
        tokens = await refresh(snapshot);
      } catch (err) {
        if (err instanceof DeadCredentialsError) {
          if (await storage.markDead(snapshot.version, policy.owner, err.reason)) throw new AuthRevokedError(err.reason, { cause: err });
          continue; // someone else moved the row on (their refresh worked): read it again
        }
        await storage.release(policy.owner);
        throw err;
      }
      if (await storage.commit(snapshot.version, policy.owner, tokens)) return tokens.accessToken;
      // Our lease lapsed and another worker committed first; within Xero's grace period both got the
      // same token set, so use what is stored.
      continue;
    }

    if (Date.now() >= giveUpAt) {
      throw new RetryableError('Timed out waiting for another worker to refresh the Xero token', { retryAfterMs: 5_000 });
    }
    await new Promise((resolve) => setTimeout(resolve, policy.pollMs));
  }
}
