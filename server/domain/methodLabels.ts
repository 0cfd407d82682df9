// How people call a payment method of an organisation, the same on every page, the live sale JSON and the
// receipt: the install's methods and the organisation's own by their names, the customer's credit as such,
// an id nobody names (a method since removed from the install) as itself.
import type { Queryable } from '../db/knex';
import type { PaymentMethodCatalogue } from '../plugins/contract';
import { CUSTOMER_CREDIT_LABEL, CUSTOMER_CREDIT_METHOD } from './customerCredit';

export async function methodLabelsOf(catalogue: Pick<PaymentMethodCatalogue, 'ofOrganisation'>, db: Queryable, orgId: number): Promise<(id: string) => string> {
  const labels = new Map((await catalogue.ofOrganisation(db, orgId)).map((m) => [m.id, m.label]));
  return (id) => (id === CUSTOMER_CREDIT_METHOD ? CUSTOMER_CREDIT_LABEL : labels.get(id) ?? id);
}
