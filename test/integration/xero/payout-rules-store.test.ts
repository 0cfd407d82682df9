// The payout rules store (plugins/xero/payouts/rulesStore.ts, migration 0019) on a real database: rules
// per organisation in order (a new one last), edits, moves that swap neighbours (and refuse past either
// end), enable/disable, deletion, and how many lines each rule has posted (its decisions in
// xero_payout_matches, other statuses and organisations left out). Migration 0019 goes down and up
// again. SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { xeroPlugin } from '../../../plugins/xero';
import { xero0019PayoutRules } from '../../../plugins/xero/migrations/0019_payout_rules';
import { createRule, deleteRule, getRule, listRules, moveRule, ruleLineCounts, setRuleEnabled, updateRule } from '../../../plugins/xero/payouts/rulesStore';
import type { RuleInput } from '../../../plugins/xero/payouts/rules';

const input = (over: Partial<RuleInput> = {}): RuleInput => ({
  name: 'Card payments', provider: 'stripe', lineKind: 'charge', currency: 'GBP', description: 'Card payment', amountMinMinor: null, amountMaxMinor: null, accountCode: '260', taxType: 'NONE', ...over,
});

for (const kind of dbKinds()) {
  describe(`payout rules store (${kind})`, { timeout: 60_000 }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind, [{ id: 'xero', migrations: xeroPlugin.migrations ?? [] }]);
    });
    after(async () => t?.destroy());

    it('keeps each organisation\'s rules in order, edits, moves, disables and deletes them', async () => {
      const a = await createRule(t.db, 1, input({ name: 'A' }), 'user:1', 10);
      const b = await createRule(t.db, 1, input({ name: 'B', provider: 'gocardless', description: 'Membership', amountMinMinor: 100, amountMaxMinor: 9_007_199_254 }), 'user:1', 11);
      const c = await createRule(t.db, 1, input({ name: 'C' }), 'user:1', 12);
      await createRule(t.db, 2, input({ name: 'other org' }), 'user:9', 13);
      assert.deepEqual((await listRules(t.db, 1)).map((r) => r.name), ['A', 'B', 'C'], 'a new rule goes last');
      assert.deepEqual([a.position, b.position, c.position], [1, 2, 3]);
      const readB = await getRule(t.db, 1, b.id);
      assert.deepEqual(readB, { ...input({ name: 'B', provider: 'gocardless', description: 'Membership', amountMinMinor: 100, amountMaxMinor: 9_007_199_254 }), id: b.id, position: 2, enabled: true }, 'read back as written (bigint amounts as numbers)');
      assert.equal(await getRule(t.db, 2, b.id), null, 'another organisation\'s rule is not found');

      assert.equal(await moveRule(t.db, 1, c.id, 'up', 'user:1', 20), true);
      assert.deepEqual((await listRules(t.db, 1)).map((r) => r.name), ['A', 'C', 'B']);
      assert.equal(await moveRule(t.db, 1, a.id, 'up', 'user:1', 21), false, 'the first cannot move up');
      assert.equal(await moveRule(t.db, 1, b.id, 'down', 'user:1', 22), false, 'the last cannot move down');
      assert.equal(await moveRule(t.db, 2, a.id, 'down', 'user:9', 23), false, 'nor can another organisation move it');
      assert.equal(await moveRule(t.db, 1, a.id, 'down', 'user:1', 24), true);
      assert.deepEqual((await listRules(t.db, 1)).map((r) => r.name), ['C', 'A', 'B']);

      assert.equal(await updateRule(t.db, 1, a.id, input({ name: 'A2', accountCode: '200', taxType: 'OUTPUT2', amountMaxMinor: 5000 }), 'user:2', 30), true);
      assert.equal(await updateRule(t.db, 2, a.id, input({ name: 'hijack' }), 'user:9', 31), false);
      const edited = (await getRule(t.db, 1, a.id))!;
      assert.deepEqual([edited.name, edited.accountCode, edited.taxType, edited.amountMaxMinor, edited.position], ['A2', '200', 'OUTPUT2', 5000, 2], 'an edit keeps the place in order');

      assert.equal(await setRuleEnabled(t.db, 1, a.id, false, 'user:2', 40), true);
      assert.equal((await getRule(t.db, 1, a.id))!.enabled, false);
      assert.equal(await setRuleEnabled(t.db, 1, a.id, true, 'user:2', 41), true);
      assert.equal((await getRule(t.db, 1, a.id))!.enabled, true);

      assert.equal(await deleteRule(t.db, 2, c.id), false);
      assert.equal(await deleteRule(t.db, 1, c.id), true);
      assert.deepEqual((await listRules(t.db, 1)).map((r) => r.name), ['A2', 'B']);
      const d = await createRule(t.db, 1, input({ name: 'D' }), 'user:1', 50);
      assert.deepEqual((await listRules(t.db, 1)).map((r) => r.name), ['A2', 'B', 'D'], 'after a deletion a new rule still goes last');
      assert.ok(d.position > b.position);
    });

    it('counts the lines each rule posted, from its decisions only', async () => {
      const [rule] = await listRules(t.db, 1);
      const match = (lineId: number, over: Record<string, unknown>) => ({ org_id: 1, payout_id: 5, line_id: lineId, status: 'queued', candidates: '[]', updated_at: 1, ...over });
      await t.db('xero_payout_matches').insert([
        match(1, { status: 'rule', rule_id: rule!.id, rule_name: rule!.name, account_code: '200', tax_type: 'OUTPUT2' }),
        match(2, { status: 'rule', rule_id: rule!.id, rule_name: rule!.name, account_code: '200', tax_type: 'OUTPUT2' }),
        match(3, { status: 'account', account_code: '200', tax_type: 'NONE' }),
        match(4, { status: 'queued' }),
        { ...match(5, { status: 'rule', rule_id: rule!.id }), org_id: 2 },
      ]);
      assert.deepEqual([...(await ruleLineCounts(t.db, 1))], [[rule!.id, 2]]);
    });

    it('migration 0019 goes down and up again', async () => {
      await xero0019PayoutRules.down!(t.db);
      assert.equal(await t.db.schema.hasTable('xero_payout_rules'), false);
      assert.equal(await t.db.schema.hasColumn('xero_payout_matches', 'rule_id'), false);
      await xero0019PayoutRules.up(t.db);
      assert.equal(await t.db.schema.hasTable('xero_payout_rules'), true);
      assert.equal(await t.db.schema.hasColumn('xero_payout_matches', 'rule_id'), true);
    });
  });
}
