// The private app's X509 certificate, per organisation: generated on first need, its private key sealed
// in the database (never shown, never written to disk), retired explicitly when regenerated. The admin
// uploads the certificate (public, PEM) to the private app in Xero's developer portal.
import { isPostgres, type Queryable } from '../../../server/plugins/contract';
import { generatePrivateAppCertificate } from './oauth1';
import { certificateKeyPurpose, getLiveConnection, updateConnection } from './store';
import type { ConnectionDeps } from './deps';

/** The page warns this long before the certificate expires (Xero then refuses every call). */
export const CERTIFICATE_WARNING_DAYS = 60;
const DAY_MS = 24 * 60 * 60_000;

interface CertificateRow {
  id: number;
  org_id: number;
  certificate_pem: string;
  private_key_sealed: string;
  fingerprint_sha1: string;
  serial_number: string;
  not_before: number;
  not_after: number;
  created_by: string;
  created_at: number;
  retired_at: number | null;
}

/** What may leave this module: everything but the (sealed) private key. */
export interface CertificateSummary {
  id: number;
  orgId: number;
  certificatePem: string;
  fingerprintSha1: string;
  serialNumber: string;
  notBefore: number;
  notAfter: number;
  createdBy: string;
  createdAt: number;
  retiredAt: number | null;
}

export type ExpiryState = 'ok' | 'expiring' | 'expired';

export interface CertificateExpiry {
  state: ExpiryState;
  /** Whole days left (negative once expired). */
  daysLeft: number;
}

export function certificateExpiry(notAfter: number, now: number): CertificateExpiry {
  const daysLeft = Math.floor((notAfter - now) / DAY_MS);
  const state: ExpiryState = notAfter <= now ? 'expired' : notAfter - now <= CERTIFICATE_WARNING_DAYS * DAY_MS ? 'expiring' : 'ok';
  return { state, daysLeft };
}

function summary(row: CertificateRow): CertificateSummary {
  return {
    id: Number(row.id),
    orgId: Number(row.org_id),
    certificatePem: row.certificate_pem,
    fingerprintSha1: row.fingerprint_sha1,
    serialNumber: row.serial_number,
    notBefore: Number(row.not_before),
    notAfter: Number(row.not_after),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
  };
}

/** The organisation's current (not retired) certificate, if it has one. */
export async function currentCertificate(db: Queryable, orgId: number): Promise<CertificateSummary | undefined> {
  const row = (await db('xero_certificates').where({ org_id: orgId }).whereNull('retired_at').orderBy('id', 'desc').first()) as CertificateRow | undefined;
  return row ? summary(row) : undefined;
}

export async function getCertificate(db: Queryable, orgId: number, id: number): Promise<CertificateSummary | undefined> {
  const row = (await db('xero_certificates').where({ org_id: orgId, id }).first()) as CertificateRow | undefined;
  return row ? summary(row) : undefined;
}

/** The certificate's private key, opened for signing. Callers keep it in memory only, never log it. */
export async function openCertificateKey(deps: Pick<ConnectionDeps, 'db' | 'secrets'>, orgId: number, certificateId: number): Promise<string> {
  const row = (await deps.db('xero_certificates').where({ org_id: orgId, id: certificateId }).first()) as CertificateRow | undefined;
  if (!row) throw new Error(`certificate ${certificateId} of organisation ${orgId} does not exist`);
  return deps.secrets.openString(deps.db, orgId, certificateKeyPurpose(row.id), row.private_key_sealed);
}

/** "Gym & Spa Ltd" → "gym-spa-ltd", for the downloaded file's name. */
export function certificateFileName(orgName: string, orgId: number): string {
  const slug = orgName.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return `ledgerbridge-${slug || `org-${orgId}`}.cer`;
}

/** The first key of the advisory lock that serialises an organisation's certificate changes ('XCRT'). */
const CERTIFICATE_LOCK = 0x58435254;

/**
 * Serialise certificate changes per organisation: a transaction-scoped advisory lock on PostgreSQL (the
 * host's organisation row is not ours to lock); SQLite has one connection per process and a database-wide
 * write lock, so its transactions are serial already.
 */
async function lockOrganisation(trx: Queryable, orgId: number): Promise<void> {
  if (isPostgres(trx)) await trx.raw('SELECT pg_advisory_xact_lock(?, ?)', [CERTIFICATE_LOCK, orgId]);
}

async function insertCertificate(
  deps: Pick<ConnectionDeps, 'secrets' | 'now'>,
  trx: Queryable,
  orgId: number,
  actor: string,
  generated: Awaited<ReturnType<typeof generatePrivateAppCertificate>>,
): Promise<CertificateSummary> {
  const now = deps.now();
  // The sealed value's purpose names the row id, so the row comes first and the key is sealed into it.
  const [inserted] = await trx('xero_certificates')
    .insert({
      org_id: orgId,
      certificate_pem: generated.certificatePem,
      private_key_sealed: '',
      fingerprint_sha1: generated.fingerprintSha1,
      serial_number: generated.serialNumber,
      not_before: generated.notBefore.getTime(),
      not_after: generated.notAfter.getTime(),
      created_by: actor.slice(0, 64),
      created_at: now,
    })
    .returning('*');
  const row = inserted as CertificateRow;
  const sealed = await deps.secrets.seal(trx, orgId, certificateKeyPurpose(Number(row.id)), generated.privateKeyPem);
  await trx('xero_certificates').where({ id: row.id }).update({ private_key_sealed: sealed });
  return summary({ ...row, private_key_sealed: sealed });
}

async function generateFor(deps: ConnectionDeps, orgId: number): ReturnType<typeof generatePrivateAppCertificate> {
  const org = await deps.organisations.get(deps.db, orgId);
  return generatePrivateAppCertificate({ organisationName: org.name, now: new Date(deps.now()) });
}

/** The organisation's current certificate, generated (RSA 2048, SHA-256, 5 years) if it has none. */
export async function ensureCertificate(deps: ConnectionDeps, orgId: number, actor: string): Promise<{ certificate: CertificateSummary; created: boolean }> {
  const existing = await currentCertificate(deps.db, orgId);
  if (existing) return { certificate: existing, created: false };
  // Key generation takes a moment: do it outside the transaction, and keep it only if nobody beat us.
  const generated = await generateFor(deps, orgId);
  return deps.db.transaction(async (trx) => {
    await lockOrganisation(trx, orgId);
    const raced = await currentCertificate(trx, orgId);
    if (raced) return { certificate: raced, created: false };
    const certificate = await insertCertificate(deps, trx, orgId, actor, generated);
    deps.logger.info({ orgId, actor, certificateId: certificate.id, fingerprint: certificate.fingerprintSha1 }, 'xero private app certificate created');
    return { certificate, created: true };
  });
}

/**
 * A new certificate replaces the current one (retired, kept for the record). A private-app connection
 * signing with the old key is marked needs_reauth: Xero knows only the old certificate until the admin
 * uploads the new one and saves the consumer key again, so sync waits rather than fail call by call.
 */
export async function regenerateCertificate(deps: ConnectionDeps, orgId: number, actor: string): Promise<CertificateSummary> {
  const generated = await generateFor(deps, orgId);
  return deps.db.transaction(async (trx) => {
    await lockOrganisation(trx, orgId);
    const now = deps.now();
    const retired = await trx('xero_certificates').where({ org_id: orgId }).whereNull('retired_at').update({ retired_at: now });
    const certificate = await insertCertificate(deps, trx, orgId, actor, generated);
    const live = await getLiveConnection(trx, orgId);
    if (live && live.mode === 'private_app' && live.status === 'connected' && live.certificate_id !== certificate.id) {
      await updateConnection(trx, live.id, {
        status: 'needs_reauth',
        last_error: 'The certificate was regenerated: upload the new certificate to the private app in Xero, then save the consumer key and secret again.',
        last_error_at: now,
      }, now);
    }
    deps.logger.info({ orgId, actor, certificateId: certificate.id, retired, fingerprint: certificate.fingerprintSha1 }, 'xero private app certificate regenerated');
    return certificate;
  });
}
