import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Overpayments and customer credit (issue 17). payments.credit_minor: the part of a payment above what its
// sale still owed, kept as the customer's credit in the payment's own currency (0 for every payment before).
// customer_credit_uses: a later payment (method "customer_credit") spending that credit, one row per
// overpaying payment it draws on, so the books can allocate exactly that overpayment to the new invoice.
export const payments0015CustomerCredit: Migration = {
  name: '0015_customer_credit',
  async up(db: Knex) {
    await db.schema.alterTable('payments', (t) => {
      t.bigInteger('credit_minor').notNullable().defaultTo(0);
      // Every sale view reads its customer's credit: this finds the few overpaying payments of an
      // organisation without scanning all its payments.
      t.index(['org_id', 'credit_minor'], 'payments_org_credit_idx');
    });
    await db.schema.createTable('customer_credit_uses', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      /** The payment (method customer_credit) that spent the credit. */
      t.integer('payment_id').notNullable().references('payments.id');
      /** The overpaying payment whose credit it spent. */
      t.integer('source_payment_id').notNullable().references('payments.id');
      t.bigInteger('amount_minor').notNullable();
      t.string('currency', 3).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['payment_id', 'source_payment_id']);
      t.index(['source_payment_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTable('customer_credit_uses');
    await db.schema.alterTable('payments', (t) => {
      t.dropIndex(['org_id', 'credit_minor'], 'payments_org_credit_idx');
      t.dropColumn('credit_minor');
    });
  },
};
