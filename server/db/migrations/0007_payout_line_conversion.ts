import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// A payout line's currency conversion, as the provider reports it (server/payouts/types.ts): a card charge
// in USD settled in a GBP balance keeps the USD amount it was (signed like amount_minor), the currency and
// the provider's rate as text (no float ever holds it). All null for a line that settled in its own currency,
// which is every line recorded before this migration.
export const payouts0007: Migration = {
  name: '0007_payout_line_conversion',
  async up(db: Knex) {
    await db.schema.alterTable('payout_lines', (t) => {
      t.bigInteger('original_amount_minor').nullable();
      t.string('original_currency', 3).nullable();
      t.string('exchange_rate', 32).nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('payout_lines', (t) => {
      t.dropColumn('exchange_rate');
      t.dropColumn('original_currency');
      t.dropColumn('original_amount_minor');
    });
  },
};
