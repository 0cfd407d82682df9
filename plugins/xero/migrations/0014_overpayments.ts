import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_credit_allocations: a payment from the customer's credit, as Xero holds it — each overpayment it draws
// on (the earlier payment whose excess became a RECEIVE-OVERPAYMENT, recorded in xero_records as
// 'overpayment') allocated to the new sale's invoice. One row per (payment, overpaying payment), written as
// soon as Xero answers, so a retry allocates only what is not yet recorded, and never twice. The overpayment
// itself is a xero_records row (entity payment, record type 'overpayment'): no new column needed there.
export const xero0014Overpayments: Migration = {
  name: '0014_overpayments',
  async up(db: Knex) {
    await db.schema.createTable('xero_credit_allocations', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('tenant_id', 64).notNullable();
      /** The host's payment (method customer_credit). */
      t.integer('payment_id').notNullable();
      /** The host's overpaying payment whose credit it spends. */
      t.integer('source_payment_id').notNullable();
      t.string('overpayment_id', 64).notNullable();
      t.string('invoice_id', 64).notNullable();
      t.string('allocation_id', 64).nullable();
      /** Hundredths of the sale's currency (Xero's 2 dp). */
      t.bigInteger('amount_cents').notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['org_id', 'tenant_id', 'payment_id', 'source_payment_id']);
      t.index(['org_id', 'tenant_id', 'overpayment_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_credit_allocations');
  },
};
