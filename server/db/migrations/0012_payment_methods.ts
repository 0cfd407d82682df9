import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// The organisation's own payment methods ("Cheque", "ClassPass"), beside the install's (cash, card terminal,
// bank transfer, gift voucher and the plugins'). `method_id` is what payments and refunds store in their
// `method` column and what the API takes; a method is disabled, never deleted, because payments name it.
export const paymentMethods0012: Migration = {
  name: '0012_payment_methods',
  async up(db: Knex) {
    await db.schema.createTable('organisation_payment_methods', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.string('method_id', 32).notNullable();
      t.string('label', 60).notNullable();
      t.boolean('enabled').notNullable().defaultTo(true);
      t.string('created_by', 100).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['org_id', 'method_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTable('organisation_payment_methods');
  },
};
