// The payout settings page (admins): dropdowns from the live chart, a save checked against Xero as it is
// now (an account archived after the page was opened is refused, naming it), bad codes refused with the
// code named next to the field and nothing saved, CSRF and roles; a good save puts a payout that failed
// for want of a setting back in the queue and it posts. SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { logIn, postForm } from '../../support/xero';
import request from 'supertest';
import { loadPayoutSettings } from '../../../plugins/xero/payouts/settings';
import { RateBudget, tenantKeyOf } from '../../../plugins/xero/engine/rateBudget';
import { outboxIdle, seedSyntheticStripePayout, startPayoutFixture, waitForPayout, type PayoutFixture } from './fixture';

type Json = Record<string, unknown>;
const PAGE = '/plugins/xero/payouts/settings';

for (const kind of dbKinds()) {
  describe(`payout settings page (${kind})`, () => {
    let f: PayoutFixture;
    let payoutId: number;
    const rows = async () => (await f.x.ctx.db('xero_payout_settings').where({ org_id: f.org.orgId }).orderBy('key').select('key', 'value')) as Json[];

    before(async () => {
      f = await startPayoutFixture(kind, { settings: {} });
      // A payout arrives before anyone set where payouts land: it fails for a person, naming the setting.
      const { payout } = await seedSyntheticStripePayout(f, { known: 3, refunds: 1, unknown: 0, payoutId: 'po_settings_1' });
      payoutId = (await f.x.ctx.payouts.record(f.org.orgId, payout)).payoutId;
      const state = await waitForPayout(f, payoutId, ['failed', 'posted']);
      assert.equal(state.status, 'failed');
      assert.match(String(state.message), /No bank account is set/);
    });
    after(async () => f?.close());

    it('is for admins only, with the chart in its dropdowns', async () => {
      for (const role of ['staff', 'accountant'] as const) {
        const agent = await logIn(f.x.app, f.org.emails[role]);
        await agent.get(PAGE).expect(403);
      }
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = await admin.get(PAGE).expect(200);
      assert.match(page.text, /<select id="bank_account_stripe"[\s\S]*?<option value="090">090 · Business Bank Account<\/option>/);
      assert.match(page.text, /<select id="fees_account"[\s\S]*?<option value="404">404 · Bank Fees<\/option>/);
      assert.match(page.text, /<select id="fee_tax"[\s\S]*?\(INPUT2\)<\/option>/);
      assert.doesNotMatch(page.text.match(/<select id="fee_tax"[\s\S]*?<\/select>/)![0], /\(OUTPUT2\)/, 'sales-only tax rates are not offered for fees');
      // The Xero sub-nav reaches it.
      assert.match(page.text, /href="\/plugins\/xero\/payouts\/settings"/);
    });

    it('refuses bad codes naming them, without a CSRF token, and an account archived in Xero since; nothing saved', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const noToken = await admin.post(PAGE).type('form').send({ bank_account_stripe: '090' });
      assert.equal(noToken.status, 403);
      const bad = await postForm(admin, PAGE, PAGE, { bank_account_stripe: '999', fees_account: '200', fee_tax: 'OUTPUT2', suspense_account: '090', match_threshold: '120' });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /id="bank_account_stripe" name="bank_account_stripe" aria-invalid="true" aria-describedby="bank_account_stripe-error"/);
      assert.match(bad.text, /id="bank_account_stripe-error">Account 999 does not exist in Xero/);
      assert.match(bad.text, /id="fees_account-error">Account 200 is a \w+ account: fees need an expense account/);
      assert.match(bad.text, /id="fee_tax-error">Tax type OUTPUT2 \(.*\) is not a purchases tax rate/);
      assert.match(bad.text, /id="suspense_account-error">Account 090 is a bank account/);
      assert.match(bad.text, /id="match_threshold-error">Auto-post threshold: a whole percentage from 1 to 100/);
      assert.match(bad.text, /Nothing was saved: 5 settings need fixing/);
      // The page (opened above, chart cached) still offers 260; it is archived in Xero before the save.
      const archived = await fetch(`${f.emu.url}/_emulator/tenants/${f.tenantId}/accounts/260?archive=true`, { method: 'DELETE' });
      assert.equal(archived.status, 200);
      const stale = await postForm(admin, PAGE, PAGE, { bank_account_stripe: '090', suspense_account: '260' });
      assert.equal(stale.status, 422);
      assert.match(stale.text, /id="suspense_account-error">Account 260 \([^)]*\) is archived in Xero/);
      assert.deepEqual(await rows(), []);
      assert.equal(((await f.x.ctx.db('xero_payouts').where({ payout_id: payoutId }).first()) as Json).status, 'failed');
    });

    it('checks against Xero through the sync\'s rate budget: waits for a slot, or says when to try again (was a 502 "Xero answered 429")', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const budget = new RateBudget({ db: f.x.ctx.db });
      const tenantKey = tenantKeyOf(f.org.orgId, f.tenantId);
      const calls = async () => ((await request(f.emu.url).get('/_emulator/calls').expect(200)).body as unknown[]).length;
      // The sync holds the budget for a minute (a backlog draining, or Xero's own 429): nothing is sent.
      await budget.block(tenantKey, 60_000);
      const before = await calls();
      const busy = await postForm(admin, PAGE, PAGE, { bank_account_stripe: '090', bank_account_gocardless: '090', fees_account: '404', fee_tax: 'INPUT2', suspense_account: '400', match_threshold: '85' });
      assert.equal(busy.status, 503, busy.text.slice(0, 300));
      assert.ok(Number(busy.headers['retry-after']) >= 50, String(busy.headers['retry-after']));
      assert.match(busy.text, /Nothing was saved: Xero&#39;s rate limit for this organisation is in use by the sync right now; try again in \d+ s/);
      assert.equal(await calls(), before, 'no call went to Xero around the budget');
      assert.deepEqual(await rows(), []);
      // A short wait is waited out: the save goes through once the slot comes. (The minute's block is
      // lifted by hand first, as if it had run out.)
      await f.x.ctx.db('xero_rate_budget').where({ tenant_key: tenantKey }).update({ blocked_until: 0 });
      await budget.block(tenantKey, 1_500);
      const saved = await postForm(admin, PAGE, PAGE, { bank_account_stripe: '090', fees_account: '404', fee_tax: 'INPUT2', suspense_account: '400', match_threshold: '85' });
      assert.equal(saved.status, 303, saved.text.slice(0, 300));
      await f.x.ctx.db('xero_payout_settings').where({ org_id: f.org.orgId }).delete();
    });

    it('saves good settings, shows them, and posts the payout that waited for them', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const form = { bank_account_stripe: '090', bank_account_gocardless: '090', fees_account: '404', fee_tax: 'INPUT2', dispute_account: '', suspense_account: '400', match_threshold: '90' };
      const saved = await postForm(admin, PAGE, PAGE, form);
      assert.equal(saved.status, 303, saved.text.slice(0, 500));
      const shown = await admin.get(PAGE).expect(200);
      assert.match(shown.text, /1 payout is being posted again with these settings/);
      assert.match(shown.text, /<option value="400" selected>/);
      assert.match(shown.text, /name="match_threshold"[^>]*value="90"/);
      assert.deepEqual(await loadPayoutSettings(f.x.ctx.db, f.org.orgId, 'stripe'), {
        bankAccountCode: '090', feesAccountCode: '404', feeTaxType: 'INPUT2', suspenseAccountCode: '400', disputeAccountCode: null, threshold: 90,
      });
      await outboxIdle(f);
      const state = await waitForPayout(f, payoutId, ['posted', 'failed']);
      assert.equal(state.status, 'posted', String(state.message));
    });
  });
}
