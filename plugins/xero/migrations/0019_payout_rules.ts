import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// Payout rules (payouts/rules.ts, issue 16): what the accountant taught the product while signing off a
// charge that pays none of our sales — "post lines like this to account X from now on". Per organisation,
// in order (position, lowest first: the first matching rule wins). The conditions are the line's provider,
// kind and currency, its description (equals, trimmed, case-insensitive) and an optional amount range.
// xero_payout_matches gains where a line decided that way goes: the account and tax type (a person's
// choice, or the rule's at the time it took the line) and the rule (id and name, kept when the rule is deleted,
// for the payout page and the audit trail).
export const xero0019PayoutRules: Migration = {
  name: '0019_payout_rules',
  async up(db: Knex) {
    await db.schema.createTable('xero_payout_rules', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.integer('position').notNullable();
      t.string('name', 120).notNullable();
      t.string('provider', 24).notNullable();
      t.string('line_kind', 24).notNullable();
      t.string('currency', 3).notNullable();
      t.string('description', 500).notNullable(); // trimmed; '' = a line without a description
      t.bigInteger('amount_min_minor').nullable();
      t.bigInteger('amount_max_minor').nullable();
      t.string('account_code', 10).notNullable();
      t.string('tax_type', 50).notNullable();
      t.boolean('enabled').notNullable().defaultTo(true);
      t.string('created_by', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.string('updated_by', 64).notNullable();
      t.bigInteger('updated_at').notNullable();
      t.index(['org_id', 'position']);
    });
    await db.schema.alterTable('xero_payout_matches', (t) => {
      t.string('account_code', 10).nullable();
      t.string('tax_type', 50).nullable();
      t.integer('rule_id').nullable();
      t.string('rule_name', 120).nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('xero_payout_matches', (t) => {
      t.dropColumn('rule_name');
      t.dropColumn('rule_id');
      t.dropColumn('tax_type');
      t.dropColumn('account_code');
    });
    await db.schema.dropTable('xero_payout_rules');
  },
};
