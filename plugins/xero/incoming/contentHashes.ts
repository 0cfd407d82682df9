// Echo recognition by content (issue 15), beside recognition by our IDs (payments we pushed, handle.ts):
// xero_content_hashes keeps, per invoice we wrote, the hash of its content as Xero answered our own write
// (sync/invoices/push.ts calls rememberOurContent), then as last seen. The incoming handler compares what it
// reads back: the same hash is our own write echoing back (or a change already seen); a different one is
// someone's change in Xero to a record we wrote, which must not pass for an echo.
import { upsertMany, type Queryable, type UpsertRow } from '../../../server/plugins/contract';

export type ContentVerdict =
  /** As we wrote it (or as last seen): nothing in the record's content changed. */
  | { kind: 'same' }
  /** Changed in Xero since we wrote it or last saw it. */
  | { kind: 'changed'; totalCentsBefore: number | null }
  /** Written before content hashes were kept: this read becomes the reference, nothing can be said. */
  | { kind: 'unknown' };

interface Row { content_hash: string; total_cents: number | string | null }

const keyOf = (orgId: number, recordType: string, xeroId: string) => ({ org_id: orgId, record_type: recordType, xero_id: xeroId.toLowerCase() });

const CONFLICT = ['org_id', 'record_type', 'xero_id'];

function rowOf(orgId: number, recordType: string, xeroId: string, hash: string, totalCents: number | null, source: 'ours' | 'xero', now: number): UpsertRow {
  const values = { content_hash: hash, total_cents: totalCents, source, updated_at: now };
  return { values: { ...keyOf(orgId, recordType, xeroId), ...values }, update: Object.keys(values) };
}

async function save(db: Queryable, orgId: number, recordType: string, xeroId: string, hash: string, totalCents: number | null, source: 'ours' | 'xero', now: number): Promise<void> {
  await upsertMany(db, 'xero_content_hashes', CONFLICT, [rowOf(orgId, recordType, xeroId, hash, totalCents, source, now)]);
}

/** What our own write made the record (its create's answer, or the record we adopted instead of creating it). */
export function rememberOurContent(db: Queryable, orgId: number, recordType: 'invoice', xeroId: string, hash: string, totalCents: number | null, now: number): Promise<void> {
  return save(db, orgId, recordType, xeroId, hash, totalCents, 'ours', now);
}

/** rememberOurContent for each of a batch's records, in one statement. */
export function rememberOurContents(
  db: Queryable, orgId: number, recordType: 'invoice', written: readonly { xeroId: string; hash: string; totalCents: number | null }[], now: number,
): Promise<void> {
  return upsertMany(db, 'xero_content_hashes', CONFLICT, written.map((w) => rowOf(orgId, recordType, w.xeroId, w.hash, w.totalCents, 'ours', now)));
}

/**
 * Compare a read-back with what we wrote (or last saw), and keep the read-back as the new reference, so the
 * same change delivered twice, or a later echo of it, is not reported again.
 */
export async function compareContent(db: Queryable, orgId: number, recordType: 'invoice', xeroId: string, hash: string, totalCents: number | null, now: number): Promise<ContentVerdict> {
  const row = (await db('xero_content_hashes').where(keyOf(orgId, recordType, xeroId)).first('content_hash', 'total_cents')) as Row | undefined;
  if (row && row.content_hash === hash) return { kind: 'same' };
  await save(db, orgId, recordType, xeroId, hash, totalCents, row ? 'xero' : 'ours', now);
  if (!row) return { kind: 'unknown' };
  return { kind: 'changed', totalCentsBefore: row.total_cents === null ? null : Number(row.total_cents) };
}
