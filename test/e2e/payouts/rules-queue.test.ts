// Payout rules and the lines already waiting (issue 16, second part), through the real app and worker into
// the Xero emulator, SQLite and PostgreSQL:
//  - a rule made at sign-off takes the lines of the same kind already waiting in the queue (never one that
//    names an open invoice), completing their payouts, with the rule-posting audit row, and the flash says
//    how many; a disabled rule takes nothing, enabling it takes what waits;
//  - every change to a rule (create, edit, move, disable, enable, delete) is an audit row with who and the
//    rule before and after, listed in the sync log for the accountant;
//  - a line signed off to an account that Xero has since archived goes back to the queue with the reason
//    shown; the accountant posts it to suspense and the payout completes, without a retry loop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PayoutInput, PayoutLineInput } from '../../../server/plugins/contract';
import { dbKinds } from '../../support/db';
import { logIn, postForm } from '../../support/xero';
import { outboxIdle, startPayoutFixture, waitForPayout, type PayoutFixture } from './fixture';
import { forgetCatalogue } from '../../../plugins/xero/mappings/catalogue';
import { createRule } from '../../../plugins/xero/payouts/rulesStore';
import { enqueuePayoutPost } from '../../../plugins/xero/payouts/enqueue';

type Json = Record<string, unknown>;
const DAY = 86_400_000;
const SIGNOFF = '/plugins/xero/payouts/signoff';
const RULES = '/plugins/xero/payouts/rules';

for (const kind of dbKinds()) {
  describe(`payout rules and the waiting queue (${kind})`, () => {
    let f: PayoutFixture;
    let n = 0;
    const t0 = Date.UTC(2026, 1, 2, 9);
    const payoutOf = (charges: Partial<PayoutLineInput>[]): PayoutInput => {
      n++;
      const lines = charges.map((c, i): PayoutLineInput => ({
        sourceId: `txn_wait_${n}_${i}`, kind: 'charge', amountMinor: 0n, feeMinor: 50n, feeTaxMinor: 0n, chargeRef: `ch_wait_${n}_${i}`, saleId: null,
        counterpartyName: null, counterpartyEmail: null, description: null, reference: null, occurredAt: t0 + n * DAY, ...c,
      }));
      return { provider: 'stripe', accountRef: 'acct_1LedgerBridgeT3st', providerPayoutId: `po_wait_${n}`, currency: 'GBP', amountMinor: lines.reduce((s, l) => s + l.amountMinor - l.feeMinor, 0n), arrivalDate: new Date(t0 + (n + 1) * DAY).toISOString().slice(0, 10), lines };
    };
    const record = async (payout: PayoutInput) => (await f.x.ctx.payouts.record(f.org.orgId, payout)).payoutId;
    const matchesOf = async (payoutId: number) => (await f.x.ctx.db('xero_payout_matches').where({ payout_id: payoutId }).orderBy('line_id')) as Json[];
    const ruleAudit = async () => (await f.x.ctx.db('xero_audit').where({ org_id: f.org.orgId, entity_type: 'payout_rule' }).orderBy('id')) as Json[];
    const flashOf = (html: string) => /class="alert [^"]*"[^>]*><p>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '';

    before(async () => {
      f = await startPayoutFixture(kind);
      forgetCatalogue(f.org.orgId);
    });
    after(async () => f?.close());

    it('a rule made, enabled or edited takes the waiting lines it fits, never one naming an invoice; every change to a rule is in the log', async () => {
      const sale = await f.sell({ currency: 'GBP', reference: 'WAIT-INV', occurredAt: new Date(t0).toISOString(), customer: { name: 'Member W', email: 'member.w@example.com' }, lines: [{ description: 'Course', quantity: 1, unitPrice: '90.00' }] });
      await f.drained(120_000);
      const invoiceNumber = String(((await f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, entity_type: 'sale', record_type: 'invoice', entity_id: sale.id }).first('number')) as Json).number);

      // Three "Membership" lines wait: two naming nothing (in two payouts), one naming the open invoice.
      const first = await record(payoutOf([{ amountMinor: 1000n, description: 'Membership' }, { amountMinor: 2000n, description: 'Membership', reference: `Invoice ${invoiceNumber}` }]));
      assert.equal((await waitForPayout(f, first, ['needs_signoff', 'failed', 'posted'])).status, 'needs_signoff');
      const second = await record(payoutOf([{ amountMinor: 1500n, description: 'membership ' }]));
      assert.equal((await waitForPayout(f, second, ['needs_signoff', 'failed', 'posted'])).status, 'needs_signoff');
      const [taught, naming] = await matchesOf(first);
      const [waiting] = await matchesOf(second);
      assert.deepEqual([taught!.status, naming!.status, waiting!.status], ['queued', 'queued', 'queued']);

      const accountant = await logIn(f.x.app, f.org.emails.accountant);
      const res = await postForm(accountant, SIGNOFF, `${SIGNOFF}/${taught!.line_id}`, { action: 'account', account_code: '270', tax_type: 'NONE', remember: '1', rule_name: 'Memberships' });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      assert.match(flashOf((await accountant.get(SIGNOFF)).text), /It took 1 line waiting for sign-off; its payout is being completed/);
      assert.equal((await waitForPayout(f, second, ['posted', 'failed'])).status, 'posted', 'the waiting line of the other payout went by the new rule');
      const [rule] = (await f.x.ctx.db('xero_payout_rules').where({ org_id: f.org.orgId })) as Json[];
      const [took] = await matchesOf(second);
      assert.deepEqual([took!.status, Number(took!.rule_id), took!.account_code], ['rule', Number(rule!.id), '270']);
      const posting = (await f.x.ctx.db('xero_audit').where({ entity_type: 'payout', entity_id: second, action: 'posted_by_rule' })) as Json[];
      assert.equal(posting.length, 1);
      assert.match(String(posting[0]!.message), /posted by rule "Memberships" to account 270/);
      assert.ok(posting[0]!.actor, 'the person whose rule took it is named');
      assert.equal((await matchesOf(first))[1]!.status, 'queued', 'a line naming an open invoice still waits for a person');

      // Disabled, the rule takes nothing; enabled again, it takes what waits.
      const ruleId = Number(rule!.id);
      assert.equal((await postForm(accountant, RULES, `${RULES}/${ruleId}/enabled`, { enabled: 'false' })).status, 303);
      const third = await record(payoutOf([{ amountMinor: 700n, description: 'Membership' }]));
      assert.equal((await waitForPayout(f, third, ['needs_signoff', 'failed', 'posted'])).status, 'needs_signoff');
      assert.equal((await postForm(accountant, RULES, `${RULES}/${ruleId}/enabled`, { enabled: 'true' })).status, 303);
      assert.match(flashOf((await accountant.get(RULES)).text), /enabled\. It took 1 line waiting for sign-off/);
      assert.equal((await waitForPayout(f, third, ['posted', 'failed'])).status, 'posted');

      // Edited, moved (a second rule), deleted: each change is a row with who and before/after.
      const form = { name: 'Club memberships', provider: 'stripe', line_kind: 'charge', currency: 'GBP', description: 'Membership', amount_min: '', amount_max: '', account_code: '270', tax_type: 'NONE' };
      assert.equal((await postForm(accountant, `${RULES}/${ruleId}`, `${RULES}/${ruleId}`, form)).status, 303);
      const other = await createRule(f.x.ctx.db, f.org.orgId, { name: 'Gift cards', provider: 'stripe', lineKind: 'charge', currency: 'GBP', description: 'Gift card', amountMinMinor: null, amountMaxMinor: null, accountCode: '270', taxType: 'NONE' }, 'test', Date.now());
      assert.equal((await postForm(accountant, RULES, `${RULES}/${other.id}/move`, { direction: 'up' })).status, 303);
      assert.equal((await postForm(accountant, RULES, `${RULES}/${other.id}/delete`)).status, 303);
      const rows = await ruleAudit();
      assert.deepEqual(rows.map((r) => [r.action, Number(r.entity_id)]), [
        ['rule_created', ruleId], ['rule_disabled', ruleId], ['rule_enabled', ruleId], ['rule_edited', ruleId], ['rule_moved', other.id], ['rule_deleted', other.id],
      ]);
      for (const r of rows) {
        assert.match(String(r.triggered_by), /^user:\d+$/);
        assert.ok(r.actor, `${String(r.action)} names who`);
      }
      const edited = rows[3]!;
      assert.match(String(edited.message), /edited payout rule "Club memberships": name Memberships → Club memberships/);
      const change = JSON.parse(String(edited.request_summary)) as { before: Json; after: Json };
      assert.deepEqual([change.before.name, change.after.name, change.after.account], ['Memberships', 'Club memberships', '270']);
      const deleted = JSON.parse(String(rows[5]!.request_summary)) as { before: Json; after: Json | null };
      assert.deepEqual([deleted.before.name, deleted.after], ['Gift cards', null]);
      const moved = JSON.parse(String(rows[4]!.request_summary)) as { before: Json; after: Json };
      assert.ok(Number(moved.after.position) < Number(moved.before.position), 'moved up');

      const log = await accountant.get('/plugins/xero/sync/log?recordType=payout_rule');
      assert.equal(log.status, 200);
      assert.match(log.text, /edited payout rule/);
      assert.match(log.text, /deleted payout rule &(?:quot|#34);Gift cards&(?:quot|#34);/);
      assert.doesNotMatch(log.text, /posted by rule/, 'the filter shows rule changes only');
      await outboxIdle(f);
    });

    it('a line signed off to an account Xero has since archived goes back to the queue with the reason; posted to suspense, the payout completes', async () => {
      const payoutId = await record(payoutOf([{ amountMinor: 4200n, description: 'Hall hire' }]));
      assert.equal((await waitForPayout(f, payoutId, ['needs_signoff', 'failed', 'posted'])).status, 'needs_signoff');
      const [queued] = await matchesOf(payoutId);
      // A person's decision for 880 stands while Xero archives 880 before the payout is posted (the page
      // checks the chart when the person decides, so the archiving has to come between the two).
      assert.equal((await fetch(`${f.emu.url}/_emulator/tenants/${f.tenantId}/accounts/880?archive=true`, { method: 'DELETE' })).status, 200);
      await f.x.ctx.db.transaction(async (trx) => {
        await trx('xero_payout_matches').where({ line_id: queued!.line_id }).update({ status: 'account', account_code: '880', tax_type: 'NONE', decided_by: 'user:1', decided_at: Date.now() });
        await enqueuePayoutPost(f.x.ctx, trx, f.org.orgId, payoutId, { again: { triggeredBy: 'user:1', why: 'signoff' } });
      });
      await outboxIdle(f);
      const state = await waitForPayout(f, payoutId, ['needs_signoff', 'failed', 'posted']);
      assert.equal(state.status, 'needs_signoff', JSON.stringify(state));
      const [back] = await matchesOf(payoutId);
      assert.deepEqual([back!.status, back!.account_code, back!.decided_by], ['queued', null, null]);
      const requeued = (await f.x.ctx.db('xero_audit').where({ entity_type: 'payout', entity_id: payoutId, action: 'requeued' })) as Json[];
      assert.equal(requeued.length, 1);
      assert.equal((await f.x.ctx.db('xero_payout_steps').where({ payout_id: payoutId, step_key: `L${String(queued!.line_id)}` })).length, 0, 'nothing was sent for the line');
      const items = (await f.x.ctx.db('outbox').where({ subject: `xero:payout:${payoutId}` }).select('attempts', 'status')) as Json[];
      assert.ok(items.every((i) => Number(i.attempts) === 1 && i.status === 'done'), `no retry loop: ${JSON.stringify(items)}`);

      const accountant = await logIn(f.x.app, f.org.emails.accountant);
      const page = await accountant.get(SIGNOFF);
      assert.match(page.text, new RegExp(`id="requeued-${String(queued!.line_id)}"[^>]*><strong>Back in the queue:</strong> it was signed off to account 880, which is archived in Xero: decide it again`));
      const res = await postForm(accountant, SIGNOFF, `${SIGNOFF}/${queued!.line_id}`, { action: 'suspense' });
      assert.equal(res.status, 303);
      assert.equal((await waitForPayout(f, payoutId, ['posted', 'failed'])).status, 'posted');
      assert.doesNotMatch((await accountant.get(SIGNOFF)).text, new RegExp(`id="requeued-${String(queued!.line_id)}"`));
      await outboxIdle(f);
    });
  });
}
