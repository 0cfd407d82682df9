// The navigation over HTTP (no JavaScript): host entries at the top, one top-level link per plugin (its
// first entry the viewer may open), and the plugin's entries as a sub-navigation on its pages. Grouping is
// by plugin, not by href: a second plugin with its own entries gets its own group. Every entry works.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from 'express';
import { z } from 'zod';
import { definePlugin, type PluginDefinition } from '../../../server/plugins/contract';
import { renderPage } from '../../../server/web/render';
import { bootXeroApp, logIn, seedOrg, startXeroEmulator, type RunningEmulator, type SeededOrg, type XeroTestApp } from '../../support/xero';

const till = definePlugin({
  id: 'till',
  title: 'Till',
  configSchema: z.object({}),
  nav: [
    { label: 'Till devices', href: '/plugins/till/devices', roles: ['admin'] },
    { label: 'Cash-up', href: '/plugins/till/cash-up', roles: ['admin', 'accountant'] },
  ],
  routes: (ctx) => {
    const r = Router();
    const page = (title: string) => (_req: unknown, res: Parameters<typeof renderPage>[0]) => renderPage(res, 'error', { title, detail: 'test page' });
    r.get('/devices', ctx.requireRole('admin'), page('Devices'));
    r.get('/cash-up', ctx.requireRole('admin', 'accountant'), page('Cash-up'));
    return r;
  },
});

const mainNav = (html: string): string => /<nav aria-label="Main" class="main-nav">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
const subNav = (html: string): { label: string; html: string } | null => {
  const m = /<nav aria-label="([^"]+)" class="sub-nav">([\s\S]*?)<\/nav>/.exec(html);
  return m ? { label: m[1]!, html: m[2]! } : null;
};
const links = (html: string): { href: string; text: string; current: string | null }[] =>
  [...html.matchAll(/<a href="([^"]+)"( aria-current="([^"]+)")?>([^<]*)<\/a>/g)].map((m) => ({ href: m[1]!, text: m[4]!, current: m[3] ?? null }));

describe('navigation', () => {
  let emu: RunningEmulator;
  let x: XeroTestApp;
  let org: SeededOrg;
  before(async () => {
    emu = await startXeroEmulator();
    const { xeroPlugin } = await import('../../../plugins/xero');
    x = await bootXeroApp('sqlite', { emulatorUrl: emu.url, plugins: [xeroPlugin as PluginDefinition<unknown>, till as PluginDefinition<unknown>] });
    org = await seedOrg(x.host.deps.db, 'Nav Gym');
  });
  after(async () => {
    await x?.close();
    await emu?.close();
  });

  it('admin: a short top bar (host entries, then one link per plugin) and every plugin entry in its sub-nav, each opening', async () => {
    const admin = await logIn(x.app, org.emails.admin);
    const home = await admin.get('/').expect(200);
    const top = links(mainNav(home.text));
    assert.deepEqual(top.map((l) => l.text), ['Dashboard', 'Sales', 'New sale', 'Users &amp; tokens', 'Xero', 'Till']);
    assert.equal(top.find((l) => l.text === 'Dashboard')?.current, 'page');
    assert.equal(subNav(home.text), null, 'no sub-nav on host pages');
    const xeroTop = top.find((l) => l.text === 'Xero')!;
    assert.equal(xeroTop.href, '/plugins/xero/connection');

    const xeroEntries = x.host.deps.plugins.nav.filter((n) => n.group === 'Xero' && n.roles.includes('admin'));
    assert.ok(xeroEntries.length >= 5);
    for (const entry of xeroEntries) {
      const page = await admin.get(entry.href);
      assert.equal(page.status, 200, `${entry.href} opens`);
      const sub = subNav(page.text);
      assert.equal(sub?.label, 'Xero', `${entry.href} shows the Xero sub-nav`);
      const tabs = links(sub!.html);
      assert.deepEqual(tabs.map((t) => t.href), xeroEntries.map((e) => e.href), 'every Xero entry, in order');
      assert.equal(tabs.filter((t) => t.current === 'page').map((t) => t.href).join(), entry.href, 'the open page is marked current');
      assert.equal(links(mainNav(page.text)).find((l) => l.text === 'Xero')?.current !== null, true, 'the Xero group is marked in the top bar');
      assert.ok(!tabs.some((t) => t.text.startsWith('Xero ')), 'tab labels drop the group name');
    }
    // A page under the plugin with no entry of its own (here its 404) still shows where you are.
    const missing = await admin.get('/plugins/xero/no-such-page');
    assert.equal(missing.status, 404);
    assert.equal(subNav(missing.text)?.label, 'Xero');
    assert.equal(links(subNav(missing.text)!.html).filter((t) => t.current).length, 0);

    const tillPage = await admin.get('/plugins/till/cash-up').expect(200);
    assert.equal(subNav(tillPage.text)?.label, 'Till');
    assert.deepEqual(links(subNav(tillPage.text)!.html).map((t) => [t.text, t.current]), [['Devices', null], ['Cash-up', 'page']]);
  });

  it('accountant: the Xero link goes to the first Xero page they may open; staff see no plugin groups', async () => {
    const accountant = await logIn(x.app, org.emails.accountant);
    const top = links(mainNav((await accountant.get('/').expect(200)).text));
    assert.deepEqual(top.map((l) => l.text), ['Dashboard', 'Sales', 'Xero', 'Till']);
    const xeroTop = top.find((l) => l.text === 'Xero')!;
    const expected = x.host.deps.plugins.nav.find((n) => n.group === 'Xero' && n.roles.includes('accountant'))!;
    assert.equal(xeroTop.href, expected.href);
    assert.equal((await accountant.get(xeroTop.href)).status, 200);
    assert.equal(top.find((l) => l.text === 'Till')?.href, '/plugins/till/cash-up');

    const staff = await logIn(x.app, org.emails.staff);
    const staffTop = links(mainNav((await staff.get('/').expect(200)).text));
    assert.deepEqual(staffTop.map((l) => l.text), ['Dashboard', 'Sales', 'New sale']);
  });
});
