// What people call the host's records in the Xero plugin's pages and messages: a sale by the host's one name
// for it ("Sale TILL-016", HostRecords.saleNames), never "sale #16" beside it; a refund or payment by its
// number and its sale's name ("refund 3 of Sale TILL-016").
import type { HostRecords, Queryable } from '../../../server/plugins/contract';

type Records = Pick<HostRecords, 'saleNames'>;

/** Each sale's name; "Sale <id>" where the host names none. */
export async function saleNamesOf(records: Records, db: Queryable, orgId: number, saleIds: readonly number[]): Promise<(saleId: number) => string> {
  const ids = [...new Set(saleIds)];
  const names = ids.length && records.saleNames ? await records.saleNames(db, orgId, ids) : new Map<number, string>();
  return (saleId) => names.get(saleId) ?? `Sale ${saleId}`;
}

export async function saleNameOf(records: Records, db: Queryable, orgId: number, saleId: number): Promise<string> {
  return (await saleNamesOf(records, db, orgId, [saleId]))(saleId);
}
