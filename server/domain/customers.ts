// Who bought: a sale names its customer by name and optional email, and the host keeps one customer
// record per person so the accounting side sees one contact, not one per sale.
import { isPostgres, nowMs, type Queryable } from '../db/knex';
import type { CustomerRow } from './saleRecords';

export interface CustomerInput {
  name: string;
  /** Already lower-cased by validation. */
  email: string | null;
}

/**
 * The organisation's customer for this input, created when there is none:
 * - with an email: the customer with that email (case-insensitive). A different name on a later sale
 *   does not rename the customer, and an email-less customer of the same name is not merged into, since
 *   two people may share a name while an email tells them apart;
 * - without an email: the customer with exactly that name among those without an email.
 */
export async function findOrCreateCustomer(trx: Queryable, orgId: number, input: CustomerInput): Promise<CustomerRow> {
  if (isPostgres(trx)) {
    // Two sales for the same new customer at once would otherwise both miss and both insert; the lock
    // (released at commit) makes the second one find the first one's row. No unique index exists to lean on.
    await trx.raw('select pg_advisory_xact_lock(?::int, hashtext(?::text))', [orgId, input.email ?? `name:${input.name}`]);
  }
  const existing = (await (input.email
    ? trx<CustomerRow>('customers').where({ org_id: orgId }).whereRaw('lower(email) = ?', [input.email])
    : trx<CustomerRow>('customers').where({ org_id: orgId, name: input.name }).whereNull('email')
  )
    .orderBy('id')
    .first()) as CustomerRow | undefined;
  if (existing) return existing;
  const [created] = (await trx('customers')
    .insert({ org_id: orgId, name: input.name, email: input.email, created_at: nowMs() })
    .returning('*')) as CustomerRow[];
  return created!;
}
