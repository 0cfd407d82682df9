// xero_records: what each of our records is in Xero, per tenant. The sync engine's memory of what it
// created (so nothing is created twice) and of what the accountant removed (so it is never pushed again).
import { upsertMany, type Queryable, type UpsertRow } from '../../../server/plugins/contract';
import type { InvoiceTotals } from '../gateway/answers';
import type { XeroEntityType, XeroRecordType } from './types';

/** Our own statuses next to Xero's (AUTHORISED, PAID, VOIDED, DELETED…). */
export const DELETED_UPSTREAM = 'deleted_upstream';
export const SKIPPED = 'skipped';

export interface XeroRecord {
  id: number;
  orgId: number;
  tenantId: string;
  entityType: XeroEntityType;
  entityId: number;
  recordType: XeroRecordType;
  xeroId: string | null;
  number: string | null;
  status: string;
  note: string | null;
  /** What an allocation or a refund's pay-out moved, in hundredths (Xero's 2 dp); null for other records. */
  amountCents: number | null;
  /** An invoice's net, tax and total as Xero computed them (Xero cents), when last created or read; else null. */
  totals: InvoiceTotals | null;
  payloadHash: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface RecordKey {
  orgId: number;
  tenantId: string;
  entityType: XeroEntityType;
  recordType: XeroRecordType;
}

function fromRow(r: Record<string, unknown>): XeroRecord {
  return {
    id: Number(r.id),
    orgId: Number(r.org_id),
    tenantId: String(r.tenant_id),
    entityType: r.entity_type as XeroEntityType,
    entityId: Number(r.entity_id),
    recordType: r.record_type as XeroRecordType,
    xeroId: (r.xero_id as string | null) ?? null,
    number: (r.number as string | null) ?? null,
    status: String(r.status),
    note: (r.note as string | null) ?? null,
    amountCents: r.amount_cents === null || r.amount_cents === undefined ? null : Number(r.amount_cents),
    totals: r.total_cents === null || r.total_cents === undefined
      ? null
      : { subTotalCents: Number(r.sub_total_cents), totalTaxCents: Number(r.total_tax_cents), totalCents: Number(r.total_cents) },
    payloadHash: (r.payload_hash as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** The records of these entities, by entity id. */
export async function findRecords(db: Queryable, key: RecordKey, entityIds: readonly number[]): Promise<Map<number, XeroRecord>> {
  if (entityIds.length === 0) return new Map();
  const rows = (await db('xero_records')
    .where({ org_id: key.orgId, tenant_id: key.tenantId, entity_type: key.entityType, record_type: key.recordType })
    .whereIn('entity_id', [...new Set(entityIds)])) as Record<string, unknown>[];
  return new Map(rows.map((r) => [Number(r.entity_id), fromRow(r)]));
}

export async function findRecord(db: Queryable, key: RecordKey, entityId: number): Promise<XeroRecord | undefined> {
  return (await findRecords(db, key, [entityId])).get(entityId);
}

/** Every record of one entity across record types (the record page). */
export async function recordsOfEntity(db: Queryable, orgId: number, entityType: XeroEntityType, entityId: number): Promise<XeroRecord[]> {
  const rows = (await db('xero_records').where({ org_id: orgId, entity_type: entityType, entity_id: entityId }).orderBy('id')) as Record<string, unknown>[];
  return rows.map(fromRow);
}

export interface RecordWrite {
  entityId: number;
  xeroId?: string | null;
  number?: string | null;
  status: string;
  note?: string | null;
  amountCents?: number | null;
  /** Null leaves the stored totals as they are (an answer without them says nothing new). */
  totals?: InvoiceTotals | null;
  payloadHash?: string | null;
}

/** Insert or update one record; fields left undefined keep their stored value. */
export async function saveRecord(db: Queryable, key: RecordKey, write: RecordWrite, now: number): Promise<void> {
  await saveRecords(db, key, [write], now);
}

/** saveRecord for each, in order, in as few statements as the database allows (a batch's 50 invoices: one). */
export async function saveRecords(db: Queryable, key: RecordKey, writes: readonly RecordWrite[], now: number): Promise<void> {
  await upsertMany(db, 'xero_records', ['org_id', 'tenant_id', 'entity_type', 'entity_id', 'record_type'], writes.map((write) => recordRow(key, write, now)));
}

function recordRow(key: RecordKey, write: RecordWrite, now: number): UpsertRow {
  const changed = ['status', 'updated_at'];
  if (write.xeroId !== undefined) changed.push('xero_id');
  if (write.number !== undefined) changed.push('number');
  if (write.note !== undefined) changed.push('note');
  if (write.amountCents !== undefined) changed.push('amount_cents');
  if (write.payloadHash !== undefined) changed.push('payload_hash');
  const totals = write.totals ? { sub_total_cents: write.totals.subTotalCents, total_tax_cents: write.totals.totalTaxCents, total_cents: write.totals.totalCents } : {};
  changed.push(...Object.keys(totals));
  return {
    values: {
      org_id: key.orgId, tenant_id: key.tenantId, entity_type: key.entityType, entity_id: write.entityId, record_type: key.recordType,
      xero_id: write.xeroId ?? null, number: write.number ?? null, status: write.status, note: write.note ?? null,
      amount_cents: write.amountCents ?? null, payload_hash: write.payloadHash ?? null, ...totals, created_at: now, updated_at: now,
    },
    update: changed,
  };
}

/** Keep an invoice's totals as Xero last answered them (read back after a change in Xero), leaving the rest. */
export async function rememberTotals(db: Queryable, recordId: number, totals: InvoiceTotals): Promise<void> {
  await db('xero_records').where({ id: recordId })
    .update({ sub_total_cents: totals.subTotalCents, total_tax_cents: totals.totalTaxCents, total_cents: totals.totalCents });
}

export async function deleteRecord(db: Queryable, key: RecordKey, entityId: number): Promise<void> {
  await db('xero_records').where({ org_id: key.orgId, tenant_id: key.tenantId, entity_type: key.entityType, record_type: key.recordType, entity_id: entityId }).del();
}

/** Xero statuses that mean the accountant removed the document: never push it (or anything onto it) again. */
export function isRemovedInXero(status: string | null | undefined): boolean {
  return status === 'VOIDED' || status === 'DELETED' || status === DELETED_UPSTREAM;
}

/**
 * The number (or, for a payout's documents, the reference) of each of these Xero ids we know in the
 * organisation, by lower-case id: what the sync log shows instead of an id. Ids without one are left out.
 */
export async function numbersOfXeroIds(db: Queryable, orgId: number, xeroIds: readonly string[]): Promise<Map<string, string>> {
  const numbers = new Map<string, string>();
  if (xeroIds.length === 0) return numbers;
  // Xero's ids are stored as Xero wrote them: match either case.
  const ids = [...new Set(xeroIds.flatMap((id) => [id.toLowerCase(), id.toUpperCase()]))];
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const records = (await db('xero_records').where({ org_id: orgId }).whereIn('xero_id', chunk).whereNotNull('number').select('xero_id', 'number')) as { xero_id: string; number: string }[];
    for (const r of records) numbers.set(r.xero_id.toLowerCase(), r.number);
    const steps = (await db('xero_payout_steps').where({ org_id: orgId }).whereIn('xero_id', chunk).select('xero_id', 'reference')) as { xero_id: string; reference: string }[];
    for (const s of steps) if (!numbers.has(s.xero_id.toLowerCase())) numbers.set(s.xero_id.toLowerCase(), s.reference);
  }
  return numbers;
}

/** Record types whose Xero id is the record's own (an allocation keeps the id of the invoice it went to). */
const OWN_ID_TYPES = ['invoice', 'credit_note', 'payment', 'refund_payment', 'prepayment_refund', 'prepayment', 'overpayment', 'contact'];

/** What one of our records with this Xero id is: its type, its number (or reference), the host record it stands for. */
export interface XeroIdOwner {
  /** Our record type, or a payout document's Xero type (payment, bank_transaction, bank_transfer). */
  recordType: string;
  number: string | null;
  entityType: string;
  entityId: number;
}

/**
 * Each of these Xero ids that is one of the organisation's records (or a payout's documents), by lower-case
 * id: what a page says instead of the id. Ids we never wrote or adopted are left out.
 */
export async function ownersOfXeroIds(db: Queryable, orgId: number, xeroIds: readonly string[]): Promise<Map<string, XeroIdOwner>> {
  const owners = new Map<string, XeroIdOwner>();
  const ids = [...new Set(xeroIds.flatMap((id) => [id.toLowerCase(), id.toUpperCase()]))];
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const records = (await db('xero_records').where({ org_id: orgId }).whereIn('xero_id', chunk).whereIn('record_type', OWN_ID_TYPES)
      .orderBy('updated_at', 'asc').select('xero_id', 'record_type', 'number', 'entity_type', 'entity_id')) as { xero_id: string; record_type: string; number: string | null; entity_type: string; entity_id: number | string }[];
    for (const r of records) owners.set(r.xero_id.toLowerCase(), { recordType: r.record_type, number: r.number, entityType: r.entity_type, entityId: Number(r.entity_id) });
    const steps = (await db('xero_payout_steps').where({ org_id: orgId }).whereIn('xero_id', chunk).select('xero_id', 'xero_type', 'reference', 'payout_id')) as { xero_id: string; xero_type: string; reference: string; payout_id: number | string }[];
    for (const s of steps) {
      const recordType = s.xero_type === 'host_payment' || s.xero_type === 'refund_payment' ? 'payment' : s.xero_type;
      if (!owners.has(s.xero_id.toLowerCase())) owners.set(s.xero_id.toLowerCase(), { recordType, number: s.reference, entityType: 'payout', entityId: Number(s.payout_id) });
    }
  }
  return owners;
}

/** The Xero invoice of each of these sales (its number and id), by sale id; the latest when there were several tenants. */
export async function invoicesOfSales(db: Queryable, orgId: number, saleIds: readonly number[]): Promise<Map<number, { number: string | null; xeroId: string | null }>> {
  const found = new Map<number, { number: string | null; xeroId: string | null }>();
  const ids = [...new Set(saleIds)];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = (await db('xero_records').where({ org_id: orgId, entity_type: 'sale', record_type: 'invoice' }).whereIn('entity_id', ids.slice(i, i + 500))
      .orderBy('updated_at', 'asc').select('entity_id', 'number', 'xero_id')) as { entity_id: number; number: string | null; xero_id: string | null }[];
    for (const r of rows) found.set(Number(r.entity_id), { number: r.number, xeroId: r.xero_id });
  }
  return found;
}
