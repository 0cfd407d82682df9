// Every plugin's schedule setting reads the same way: a cron pattern (UTC) or `off`; a typo stops boot
// naming the variable, instead of a nightly sweep that never runs (Stripe's once took any 9 characters).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { XeroConfigSchema } from '../../../plugins/xero/config';
import { StripeConfigSchema } from '../../../plugins/stripe/config';
import { GoCardlessConfigSchema } from '../../../plugins/gocardless/config';

const plugins = [
  { name: 'XERO_PAYOUT_SWEEP_CRON', parse: (v?: string) => XeroConfigSchema.safeParse(v === undefined ? {} : { XERO_PAYOUT_SWEEP_CRON: v }), read: (c: unknown) => (c as { payoutSweepCron: string | null }).payoutSweepCron },
  { name: 'STRIPE_SWEEP_CRON', parse: (v?: string) => StripeConfigSchema.safeParse(v === undefined ? {} : { STRIPE_SWEEP_CRON: v }), read: (c: unknown) => (c as { sweepCron: string | null }).sweepCron },
  { name: 'GOCARDLESS_SWEEP_CRON', parse: (v?: string) => GoCardlessConfigSchema.safeParse(v === undefined ? {} : { GOCARDLESS_SWEEP_CRON: v }), read: (c: unknown) => (c as { sweepCron: string | null }).sweepCron },
];

describe('XERO_POLL_CRON', () => {
  const parse = (v?: string) => XeroConfigSchema.safeParse(v === undefined ? {} : { XERO_POLL_CRON: v });
  const read = (c: unknown) => (c as { pollCron: string | null }).pollCron;
  it('defaults to every 15 minutes, takes another, and `off` turns it off; a bad pattern names the variable', () => {
    assert.equal(read(parse().data), '*/15 * * * *');
    assert.equal(read(parse(' 0 * * * * ').data), '0 * * * *');
    assert.equal(read(parse('Off').data), null);
    const bad = parse('every quarter hour');
    assert.deepEqual(bad.error!.issues.map((i) => i.path.join('.')), ['XERO_POLL_CRON']);
  });
});

for (const p of plugins) {
  describe(p.name, () => {
    it('defaults to a nightly pattern, takes another, and `off` (any case) turns it off', () => {
      assert.match(String(p.read(p.parse().data)), /^\d+ \d+ \* \* \*$/);
      assert.equal(p.read(p.parse(' */5 * * * * ').data), '*/5 * * * *');
      assert.equal(p.read(p.parse('OFF').data), null);
    });

    it('refuses a pattern croner cannot run, naming the variable', () => {
      for (const bad of ['every night', '61 * * * *', '* * * *x *']) {
        const parsed = p.parse(bad);
        assert.equal(parsed.success, false, bad);
        assert.deepEqual(parsed.error!.issues.map((i) => i.path.join('.')), [p.name]);
        assert.match(parsed.error!.issues[0]!.message, /cron expression .* or off/);
      }
    });
  });
}
