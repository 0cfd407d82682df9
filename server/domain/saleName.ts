// The one name a sale goes by for people — on every page, CSV, CLI line and log message: "Sale TILL-016",
// its own reference (what the till printed on the receipt, what the customer quotes), or "Sale 16" when it
// was recorded without one. Never "#16" or "sale 16" beside "TILL-016" for the same sale. Documents made from
// it downstream keep their own numbers, named with their service: "Xero invoice LB-16".
import type { Queryable } from '../db/knex';

export interface Nameable {
  id: number;
  reference: string | null;
}

export function saleName(sale: Nameable): string {
  const reference = sale.reference?.trim();
  return `Sale ${reference || sale.id}`;
}

/** The name of one of the organisation's sales, read by id (for messages about another sale). */
export async function saleNameById(db: Queryable, orgId: number, saleId: number): Promise<string> {
  const row = (await db('sales').where({ org_id: orgId, id: saleId }).first('reference')) as { reference: string | null } | undefined;
  return saleName({ id: saleId, reference: row?.reference ?? null });
}
