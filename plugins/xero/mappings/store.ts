// xero_mappings rows: read an organisation's set, and replace it in one transaction touching only what
// changed (unchanged rows keep who set them and when).
import type { Queryable } from '../../../server/plugins/contract';

export const MAPPING_KINDS = [
  'default_sales_account', 'default_tax', 'category_account', 'category_tax', 'tax_code_tax', 'method_account',
  'category_tracking', 'default_tracking', 'rounding_account', 'rounding_tax', 'invoice_status', 'due_date_rule',
  'branding_theme', 'invoice_prefix', 'reference_source', 'line_amount_handling', 'tax_rate',
  'invoice_date', 'tip_account', 'tip_tax', 'service_charge_account', 'service_charge_tax',
  'locked_period', 'attach_receipts', 'cancellation_account', 'voucher_account', 'voucher_tax', 'voucher_expiry_account',
] as const;
export type MappingKind = (typeof MAPPING_KINDS)[number];

export interface MappingEntry {
  kind: MappingKind;
  key: string;
  value: string;
}

export interface MappingRow extends MappingEntry {
  updatedBy: string;
  updatedAt: number;
}

const identity = (e: Pick<MappingEntry, 'kind' | 'key'>): string => `${e.kind}\u0000${e.key}`;

export async function listMappings(db: Queryable, orgId: number): Promise<MappingRow[]> {
  const rows = await db('xero_mappings').where({ org_id: orgId }).orderBy(['kind', 'key']);
  return rows.map((r: Record<string, unknown>) => ({
    kind: String(r.kind) as MappingKind,
    key: String(r.key),
    value: String(r.value),
    updatedBy: String(r.updated_by),
    updatedAt: Number(r.updated_at),
  }));
}

/** Make the organisation's mappings exactly `entries` (run inside the caller's transaction). */
export async function replaceMappings(trx: Queryable, orgId: number, entries: MappingEntry[], updatedBy: string, now: number): Promise<{ changed: number }> {
  const existing = new Map((await listMappings(trx, orgId)).map((r) => [identity(r), r]));
  const wanted = new Map(entries.map((e) => [identity(e), e]));
  let changed = 0;
  for (const [id, row] of existing) {
    if (!wanted.has(id)) {
      await trx('xero_mappings').where({ org_id: orgId, kind: row.kind, key: row.key }).delete();
      changed += 1;
    }
  }
  for (const [id, entry] of wanted) {
    const before = existing.get(id);
    if (!before) {
      await trx('xero_mappings').insert({ org_id: orgId, kind: entry.kind, key: entry.key, value: entry.value, updated_by: updatedBy, updated_at: now });
      changed += 1;
    } else if (before.value !== entry.value) {
      await trx('xero_mappings').where({ org_id: orgId, kind: entry.kind, key: entry.key }).update({ value: entry.value, updated_by: updatedBy, updated_at: now });
      changed += 1;
    }
  }
  return { changed };
}
