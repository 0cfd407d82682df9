// The Xero settings page over HTTP, against the real app and the Xero emulator on a real port, with the
// organisation connected as a private app: valid settings are saved; every bad code is refused with a
// message naming it and nothing is written; roles and organisations are kept apart. The install has the
// Stripe and GoCardless plugins, so their payment methods are on the page with the host's own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { bootXeroApp, logIn, postForm, seedOrg, startXeroEmulator, type Agent, type RunningEmulator, type SeededOrg, type XeroTestApp } from '../../support/xero';
import { connectPrivateApp } from './syncFixture';
import { loadResolvedMappings } from '../../../plugins/xero/mappings/load';
import { forgetCatalogue } from '../../../plugins/xero/mappings/catalogue';
import { xeroPlugin } from '../../../plugins/xero';
import { stripePlugin } from '../../../plugins/stripe';
import { gocardlessPlugin } from '../../../plugins/gocardless';
import type { PluginDefinition } from '../../../server/plugins/contract';

const PAGE = '/plugins/xero/settings';

for (const kind of dbKinds()) {
  describe(`Xero settings page (${kind})`, () => {
    let emu: RunningEmulator;
    let x: XeroTestApp;
    let org: SeededOrg;
    let other: SeededOrg;
    let tenantId: string;
    let admin: Agent;

    before(async () => {
      emu = await startXeroEmulator();
      x = await bootXeroApp(kind, { emulatorUrl: emu.url, plugins: [xeroPlugin, stripePlugin, gocardlessPlugin] as unknown as PluginDefinition<unknown>[] });
      org = await seedOrg(x.host.deps.db, 'Settings Gym');
      other = await seedOrg(x.host.deps.db, 'Other Gym');
      tenantId = await connectPrivateApp(x, org.orgId, emu.url);
      forgetCatalogue(org.orgId);
      admin = await logIn(x.app, org.emails.admin);
    });
    after(async () => {
      await x?.close();
      await emu?.close();
    });

    const rows = async (orgId = org.orgId) => x.ctx.db('xero_mappings').where({ org_id: orgId }).orderBy(['kind', 'key']).select('kind', 'key', 'value');
    const save = (fields: Record<string, string>, agent = admin) => postForm(agent, PAGE, PAGE, fields);
    const tracking = async (category: string, option: string) => {
      const res = await fetch(`${emu.url}/_emulator/tenants/${tenantId}/trackingcategories`);
      const body = (await res.json()) as { items: { TrackingCategoryID: string; Name: string; Options: { TrackingOptionID: string; Name: string }[] }[] };
      const c = body.items.find((i) => i.Name === category)!;
      return `${c.TrackingCategoryID}:${c.Options.find((o) => o.Name === option)!.TrackingOptionID}`;
    };

    it("shows dropdowns filled from the organisation's live chart", async () => {
      const res = await admin.get(PAGE);
      assert.equal(res.status, 200);
      assert.match(res.text, /Demo Company \(UK\)/);
      assert.match(res.text, /<option value="200"[^>]*>200 · Sales<\/option>/);
      assert.match(res.text, /<option value="090"[^>]*>090 · Business Bank Account<\/option>/);
      assert.match(res.text, /20% \(VAT on Income\) \(OUTPUT2\)/);
      assert.match(res.text, /Region: North/);
      assert.doesNotMatch(res.text, /\(INPUT2\)/, 'purchase rates are not offered for sales');
      assert.match(res.text, /href="\/plugins\/xero\/settings"/, 'nav entry for admins');
      // One account per payment method of the install, labelled as the install names it.
      const methods = [...res.text.matchAll(/<label for="method_account_([a-z_]+)">([^<]*)<\/label>/g)].map((m) => `${m[1]}: ${m[2]}`);
      assert.deepEqual(methods, ['cash: Cash', 'card_terminal: Card terminal', 'bank_transfer: Bank transfer', 'stripe: Stripe card payment', 'gocardless: GoCardless Direct Debit']);
      // What "no account" means, as the sync does it (issue 14): the host's methods are not sent, the
      // providers' go to their clearing accounts (was: "a method with no account cannot be synced" for all).
      const unset = (m: string) => new RegExp(`<select id="method_account_${m}"[^>]*>\\s*<option value="">([^<]*)</option>`).exec(res.text)?.[1];
      assert.equal(unset('cash'), 'Not set');
      assert.equal(unset('stripe'), 'Stripe clearing (found or created in Xero)');
      assert.equal(unset('gocardless'), 'GoCardless clearing (found or created in Xero)');
      assert.match(res.text.replace(/\s+/g, ' '), /left <em>Not set<\/em> is not sent: it is listed under sync failures[^<]*Stripe and GoCardless need no account/);
    });

    it('saves valid settings, which the sync then resolves', async () => {
      const north = await tracking('Region', 'North');
      const res = await save({
        default_sales_account: '200', default_tax: 'OUTPUT2',
        category_name_0: 'swim', category_account_0: '260', category_tax_0: 'ZERORATEDOUTPUT', category_tracking1_0: north, category_tracking2_0: '',
        category_name_1: '', method_account_stripe: '090', method_account_gocardless: '091', method_account_cash: '090', method_account_card_terminal: '',
        rounding_account: '260', rounding_tax: '', invoice_status: 'DRAFT', due_rule_kind: 'days_after', due_rule_number: '14', invoice_prefix: 'GYM-',
        reference_source: 'sale_reference', line_amount_handling: 'auto',
      });
      assert.equal(res.status, 303, res.text.slice(0, 500));
      const page = await admin.get(PAGE);
      assert.match(page.text, /Saved\./);
      const m = await loadResolvedMappings(x.ctx.db, org.orgId);
      assert.equal(m.categoryAccountCodes.swim, '260');
      assert.equal(m.categoryTaxTypes.swim, 'ZERORATEDOUTPUT');
      assert.deepEqual(m.categoryTracking.swim?.map((t) => [t.name, t.option]), [['Region', 'North']]);
      assert.deepEqual(m.methodAccountCodes, { stripe: '090', gocardless: '091', cash: '090' });
      assert.equal(m.invoiceStatus, 'DRAFT');
      assert.deepEqual(m.dueDateRule, { kind: 'days_after', days: 14 });
      assert.equal(m.invoiceNumberPrefix, 'GYM-');
      assert.equal(m.roundingAccountCode, '260');
      assert.equal(m.taxRates.OUTPUT2, '20');
      assert.deepEqual(m.builtInDefaults, []);
      // The saved values come back selected.
      assert.match(page.text, /<option value="091" selected>/);
    });

    async function rejected(fields: Record<string, string>, field: string, message: RegExp): Promise<void> {
      const before = await rows();
      const res = await save({ default_sales_account: '200', default_tax: 'OUTPUT2', method_account_stripe: '090', ...fields });
      assert.equal(res.status, 422, res.text.slice(0, 300));
      assert.match(res.text, /Nothing was saved/);
      const error = new RegExp(`<p class="field-error" id="${field}-error">([^<]*)</p>`).exec(res.text);
      assert.ok(error, `an error next to ${field}`);
      assert.match(error[1]!.replace(/&#39;/g, "'"), message);
      assert.deepEqual(await rows(), before, 'nothing written');
    }

    it('refuses an account code Xero does not have, naming it', async () => {
      await rejected({ category_name_0: 'swim', category_account_0: '999' }, 'category_account_0', /^Account 999 does not exist in Xero \(Demo Company \(UK\)\)$/);
    });

    it('refuses a tax type that does not exist, or is not for sales', async () => {
      await rejected({ default_tax: 'OUTPUT9' }, 'default_tax', /^Tax type OUTPUT9 does not exist in Xero \(Demo Company \(UK\)\)$/);
      await rejected({ category_name_0: 'gym', category_tax_0: 'INPUT2' }, 'category_tax_0', /^Tax type INPUT2 .*is not a sales tax rate/);
    });

    it('refuses a payment method mapped to a revenue account', async () => {
      await rejected({ method_account_gocardless: '200' }, 'method_account_gocardless', /^Account 200 is a REVENUE account: payments need a bank account/);
    });

    it('refuses a bank account for sales lines and a locked system account for rounding', async () => {
      await rejected({ default_sales_account: '090' }, 'default_sales_account', /^Account 090 is a BANK account/);
      await rejected({ rounding_account: '860' }, 'rounding_account', /^Account 860 \(Rounding\) is a Xero system account/);
    });

    it('refuses an account archived in Xero after a refresh, and writes nothing when one field of many is wrong', async () => {
      const archived = await fetch(`${emu.url}/_emulator/tenants/${tenantId}/accounts/270?archive=true`, { method: 'DELETE' });
      assert.equal(archived.status, 200);
      const refresh = await postForm(admin, PAGE, `${PAGE}/refresh`);
      assert.equal(refresh.status, 303);
      await rejected(
        { category_name_0: 'swim', category_account_0: '260', category_name_1: 'interest', category_account_1: '270', method_account_cash: '091' },
        'category_account_1',
        /^Account 270 \(Interest Income\) is archived in Xero/,
      );
    });

    it('staff and accountants get 403, reading or saving', async () => {
      for (const role of ['staff', 'accountant'] as const) {
        const agent = await logIn(x.app, org.emails[role]);
        assert.equal((await agent.get(PAGE)).status, 403);
        const before = await rows();
        const res = await postForm(agent, '/', PAGE, { default_sales_account: '260' });
        assert.equal(res.status, 403);
        assert.deepEqual(await rows(), before);
      }
    });

    it("another organisation's admin sees only their own (unconnected) settings and cannot change ours", async () => {
      const otherAdmin = await logIn(x.app, other.emails.admin);
      const page = await otherAdmin.get(PAGE);
      assert.equal(page.status, 200);
      assert.match(page.text, /not connected to Xero/);
      assert.match(page.text, /href="\/plugins\/xero\/connection"/);
      assert.doesNotMatch(page.text, /GYM-|Demo Company/);
      const before = await rows();
      const res = await postForm(otherAdmin, PAGE, PAGE, { default_sales_account: '260', method_account_stripe: '090' });
      assert.equal(res.status, 409);
      assert.deepEqual(await rows(), before);
      assert.deepEqual(await rows(other.orgId), []);
    });

    it('needs the CSRF token', async () => {
      const res = await admin.post(PAGE).type('form').send({ default_sales_account: '260' });
      assert.equal(res.status, 403);
    });
  });
}
