// "Save" performs a test connection before anything is saved as connected: GET Organisation through the
// one Accounting API client, signed OAuth 1.0a RSA-SHA1 with the install's certificate key. A refusal is
// turned into a reason the admin can act on, from what Xero said (oauth_problem) — never a bare "401".
import { XeroClient, XeroHttpError, parseXeroFailure, type RateHeadroom } from '../gateway/client';
import { XeroGateway } from '../gateway/gateway';
import type { XeroConfig } from '../config';
import { OAuth1PrivateAppAuth } from './oauth1';

export interface XeroOrganisationSummary {
  tenantId: string;
  name: string;
  baseCurrency: string | null;
  shortCode: string | null;
}

export type LegacyFailureKind =
  | 'signature_invalid'
  | 'consumer_key_unknown'
  | 'token_rejected'
  | 'certificate_expired'
  | 'timestamp_refused'
  | 'nonce_used'
  | 'network'
  | 'rate_limited'
  | 'xero_unavailable'
  | 'rejected';

export type LegacyTestOutcome =
  | { ok: true; organisation: XeroOrganisationSummary; headroom: RateHeadroom | null }
  | { ok: false; kind: LegacyFailureKind; reason: string; status: number; problem?: string };

export interface LegacyTestInput {
  config: Pick<XeroConfig, 'apiUrl' | 'httpTimeoutMs'>;
  consumerKey: string;
  /** The current certificate's private key (opened from its sealed column by the caller). */
  privateKeyPem: string;
  /** The current certificate's expiry, to tell "expired" from "unknown key" when Xero says token_rejected. */
  certificateNotAfter?: number;
  /** Epoch ms (the signer's timestamps); Date.now by default. */
  now?: () => number;
  /** Injectable for the replay test; random per request by default. */
  nonce?: () => string;
}

/** GET Organisation as the private app; resolves with the organisation or a precise reason (never throws for Xero's answers). */
export async function testPrivateAppConnection(input: LegacyTestInput): Promise<LegacyTestOutcome> {
  const now = input.now ?? Date.now;
  let headroom: RateHeadroom | null = null;
  let authentication: OAuth1PrivateAppAuth;
  try {
    authentication = new OAuth1PrivateAppAuth({
      consumerKey: input.consumerKey,
      privateKeyPem: input.privateKeyPem,
      clock: now,
      ...(input.nonce ? { nonce: input.nonce } : {}),
    });
  } catch (err) {
    // The key came from our own sealed column; if it does not parse, regenerating is the fix.
    return { ok: false, kind: 'rejected', status: 0, reason: `This install's certificate key cannot be used (${(err as Error).message}); regenerate the certificate.` };
  }
  const client = new XeroClient({
    config: input.config,
    authentication,
    tenantId: '', // a private app belongs to one organisation; Xero needs no tenant header
    onRateHeadroom: (h) => {
      headroom = h;
    },
  });
  try {
    const org = await new XeroGateway(client).getOrganisation();
    if (!org?.organisationId || !org.name) {
      return { ok: false, kind: 'rejected', status: 200, reason: 'Xero answered, but without an organisation: is XERO_API_URL the Accounting API (…/api.xro/2.0 is added by Ledgerbridge)?' };
    }
    return {
      ok: true,
      organisation: { tenantId: org.organisationId, name: org.name, baseCurrency: org.baseCurrency, shortCode: org.shortCode },
      headroom,
    };
  } catch (err) {
    const failure = err instanceof XeroHttpError ? err : parseXeroFailure(err).error;
    return { ok: false, ...explainLegacyFailure(failure, { apiUrl: input.config.apiUrl, certificateNotAfter: input.certificateNotAfter, now: now() }), status: failure.status, ...(failure.problem ? { problem: failure.problem } : {}) };
  }
}

function adviceOf(err: XeroHttpError): string {
  const body = err.body as { oauth_problem_advice?: unknown } | null;
  return typeof body?.oauth_problem_advice === 'string' ? body.oauth_problem_advice : '';
}

/** What Xero's refusal means for the admin, and what to do about it. */
export function explainLegacyFailure(
  err: XeroHttpError,
  context: { apiUrl: string; certificateNotAfter?: number; now: number },
): { kind: LegacyFailureKind; reason: string } {
  if (err.isNetworkError) {
    return {
      kind: 'network',
      reason: `Could not reach Xero at ${context.apiUrl}: no answer came back (${err.message.replace(/^Could not reach Xero:\s*/, '')}). Check XERO_API_URL, this server's network and any proxy or firewall.`,
    };
  }
  const expiredHere = context.certificateNotAfter !== undefined && context.certificateNotAfter <= context.now;
  switch (err.problem) {
    case 'signature_invalid':
      return {
        kind: 'signature_invalid',
        reason: "Xero rejected the signature: the certificate uploaded to Xero does not match this install's certificate (download it again and update the app).",
      };
    case 'consumer_key_unknown':
      return {
        kind: 'consumer_key_unknown',
        reason: "Xero does not know this consumer key: copy it again from the private app's OAuth 1.0a Credentials in Xero's developer portal (it is 30 letters and digits).",
      };
    case 'token_rejected': {
      // Xero answers token_rejected both for a key that is not its own token and for a certificate
      // outside its validity; its advice (and our own copy of the certificate) tell the two apart.
      if (expiredHere || /certificate/i.test(adviceOf(err))) {
        return {
          kind: 'certificate_expired',
          reason: 'Xero refused the certificate as expired (or not yet valid): regenerate the certificate here, upload the new one to the private app in Xero, then save again.',
        };
      }
      return {
        kind: 'token_rejected',
        reason: "Xero does not accept this consumer key as the app's token: check that the consumer key is the private app's, copied in full.",
      };
    }
    case 'timestamp_refused':
      return {
        kind: 'timestamp_refused',
        reason: "Xero refused the request's timestamp: this server's clock differs from Xero's by more than 5 minutes; check NTP (time synchronisation) on this server.",
      };
    case 'nonce_used':
      return {
        kind: 'nonce_used',
        reason: 'Xero refused the request as a replay: the same nonce and timestamp were already used. Try again; if it persists, check that nothing else signs requests with this consumer key and that this server\'s clock is not stuck.',
      };
    case 'signature_method_rejected':
    case 'parameter_absent':
    case 'parameter_rejected':
    case 'version_rejected':
      return { kind: 'rejected', reason: `Xero refused the request's OAuth parameters (${err.problem}${adviceOf(err) ? `: ${adviceOf(err)}` : ''}).` };
    default:
      break;
  }
  if (err.status === 429) {
    const wait = err.retryAfterMs !== undefined ? ` Try again in ${Math.ceil(err.retryAfterMs / 1000)} seconds.` : '';
    return { kind: 'rate_limited', reason: `Xero's rate limit for this organisation was reached (${err.problem ?? 'minute'}).${wait}` };
  }
  if (err.status >= 500) return { kind: 'xero_unavailable', reason: `Xero is not answering properly at ${context.apiUrl} (status ${err.status}); try again in a few minutes.` };
  if (err.status === 401 || err.status === 403) {
    return { kind: 'rejected', reason: `Xero refused the credentials (status ${err.status}${adviceOf(err) ? `: ${adviceOf(err)}` : ''}).` };
  }
  if (err.status === 404) {
    return { kind: 'rejected', reason: `Xero answered 404 at ${context.apiUrl}: check that XERO_API_URL is the Accounting API's host.` };
  }
  return { kind: 'rejected', reason: `Xero refused the test connection: ${err.message}` };
}
