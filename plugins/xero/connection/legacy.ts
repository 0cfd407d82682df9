// The legacy private-app connection, as Quoox users know it: download our X509 certificate, create a
// private app with it in Xero's developer portal, paste the consumer key and secret, Save. Save tests
// the connection first (GET Organisation, signed with the certificate's key); only a passing test
// starts a connected row. The consumer secret is sealed as Xero issued it (RSA-SHA1 never uses it).
import { AppError, ConflictError, ValidationError, type FieldIssue } from '../../../server/errors';
import { recordCallOutcome, sealConnectionSecret, startConnection, updateConnection, type ConnectionRow } from './store';
import { currentCertificate, ensureCertificate, openCertificateKey } from './certificates';
import { testPrivateAppConnection, type LegacyFailureKind, type XeroOrganisationSummary } from './testConnection';
import type { ConnectionDeps } from './deps';

export {
  ensureCertificate,
  regenerateCertificate,
  currentCertificate,
  certificateExpiry,
  certificateFileName,
  CERTIFICATE_WARNING_DAYS,
  type CertificateSummary,
  type CertificateExpiry,
} from './certificates';

/** The test connection failed: nothing was saved. `kind` says why, the message says what to do. */
export class XeroConnectionTestError extends AppError {
  readonly kind: LegacyFailureKind;
  constructor(kind: LegacyFailureKind, reason: string) {
    const unreachable = kind === 'network' || kind === 'xero_unavailable';
    super({ statusCode: unreachable ? 502 : 422, code: 'XERO_TEST_CONNECTION_FAILED', message: reason, details: { kind } });
    this.kind = kind;
  }
}

export interface LegacyCredentialsInput {
  orgId: number;
  consumerKey: unknown;
  consumerSecret: unknown;
  /** Who is acting: `user:<id>` or `cli`. Recorded on the rows and in the log. */
  actor: string;
  /** For the replay test only: a fixed nonce generator for the signer. */
  nonce?: () => string;
}

// Xero's keys and secrets are 30 upper-case letters and digits; Xero-compatible endpoints issue others,
// so accept any OAuth-safe token of a plausible length rather than Xero's exact shape.
const CREDENTIAL = /^[A-Za-z0-9._~-]+$/;

function checkCredential(issues: FieldIssue[], path: string, label: string, value: unknown, max: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') issues.push({ path, message: `${label} is required: copy it from the private app's OAuth 1.0a Credentials in Xero` });
  else if (text.length < 10 || text.length > max) issues.push({ path, message: `${label} must be 10 to ${max} characters (Xero's are 30); copy it again in full` });
  else if (!CREDENTIAL.test(text)) issues.push({ path, message: `${label} may contain only letters, digits and . _ ~ - (no spaces or quotes); copy it again` });
  return text;
}

/** Trimmed credentials, or a ValidationError naming each bad field. Never echoes the secret. */
export function validateLegacyCredentials(input: { consumerKey: unknown; consumerSecret: unknown }): { consumerKey: string; consumerSecret: string } {
  const issues: FieldIssue[] = [];
  const consumerKey = checkCredential(issues, 'consumerKey', 'The consumer key', input.consumerKey, 128);
  const consumerSecret = checkCredential(issues, 'consumerSecret', 'The consumer secret', input.consumerSecret, 256);
  if (issues.length) throw new ValidationError(issues, 'The private app settings are not valid');
  return { consumerKey, consumerSecret };
}

/** Enough of a consumer key to recognise it in a log or on the page, not enough to use it. */
export const maskConsumerKey = (key: string): string => (key.length <= 4 ? '…' : `…${key.slice(-4)}`);

/**
 * Validate, test the connection (GET Organisation) with the current certificate, and only then save a
 * connected private-app connection (ending any live one, which stays in the history).
 * Throws ValidationError (bad fields) or XeroConnectionTestError (the precise reason); saves nothing then.
 */
export async function saveLegacyConnection(
  deps: ConnectionDeps,
  input: LegacyCredentialsInput,
): Promise<{ connection: ConnectionRow; organisation: XeroOrganisationSummary }> {
  const { consumerKey, consumerSecret } = validateLegacyCredentials(input);
  const { orgId, actor } = input;
  const { certificate } = await ensureCertificate(deps, orgId, actor);
  const privateKeyPem = await openCertificateKey(deps, orgId, certificate.id);
  const now = deps.now;
  const outcome = await testPrivateAppConnection({
    config: deps.config,
    consumerKey,
    privateKeyPem,
    certificateNotAfter: certificate.notAfter,
    now,
    ...(input.nonce ? { nonce: input.nonce } : {}),
  });
  const logged = { orgId, actor, consumerKey: maskConsumerKey(consumerKey), certificateId: certificate.id, apiUrl: deps.config.apiUrl };
  if (!outcome.ok) {
    deps.logger.warn({ ...logged, outcome: 'failed', kind: outcome.kind, status: outcome.status, problem: outcome.problem }, 'xero private app test connection failed');
    throw new XeroConnectionTestError(outcome.kind, outcome.reason);
  }

  const connection = await deps.db.transaction(async (trx) => {
    // The certificate could have been regenerated while Xero was answering: then the test proved an old key.
    const current = await currentCertificate(trx, orgId);
    if (current?.id !== certificate.id) {
      throw new ConflictError('The certificate was regenerated during the test connection: upload the new certificate to Xero, then save again.', 'XERO_CERTIFICATE_CHANGED');
    }
    const row = await startConnection(deps, trx, {
      orgId,
      mode: 'private_app',
      status: 'connected',
      createdBy: actor.slice(0, 64),
      endReason: `Replaced by a private app connection (${actor})`.slice(0, 255),
      tenant_id: outcome.organisation.tenantId,
      tenant_name: outcome.organisation.name,
      tenant_currency: outcome.organisation.baseCurrency,
      short_code: outcome.organisation.shortCode,
      consumer_key: consumerKey,
      certificate_id: certificate.id,
    });
    const sealed = await sealConnectionSecret(deps.secrets, trx, row, 'consumer_secret_sealed', consumerSecret);
    await updateConnection(trx, row.id, { consumer_secret_sealed: sealed }, now());
    await recordCallOutcome(trx, row.id, outcome.headroom, now());
    return { ...row, consumer_secret_sealed: sealed };
  });
  deps.logger.info({ ...logged, outcome: 'connected', connectionId: connection.id, tenantId: outcome.organisation.tenantId }, 'xero private app connected');
  return { connection, organisation: outcome.organisation };
}
