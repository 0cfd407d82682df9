// A server whose clock is more than Xero's window off: Xero refuses every private-app call with 401
// oauth_problem=timestamp_refused. That used to pause the sale's invoice until an admin re-authorised, which
// cannot fix a clock. Now the invoice retries with the normal backoff, the dashboard says how far the clock is
// off, and once the clock is right the invoice lands exactly once. Against the emulator over HTTP (its Date
// header is Xero's clock); SQLite and PostgreSQL.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { until } from '../../support/wait';
import { startSyncFixture } from './syncFixture';

const SKEW_MS = 10 * 60_000; // twice Xero's 5 minutes

interface ItemRow { id: number; status: string; attempts: number; max_attempts: number; last_error: string | null }

for (const kind of dbKinds()) {
  describe(`Xero refusing this server's clock (${kind})`, { timeout: 120_000 }, () => {
    it('retries the invoice instead of pausing it, alerts the admin, and sends it once when the clock is fixed', async () => {
      const f = await startSyncFixture(kind, { workers: false });
      const clock = f.x.ctx.clock;
      const realNow = clock.now;
      try {
        const db = f.x.host.deps.db;
        const admin = await logIn(f.x.app, f.org.emails.admin);
        const reference = `SKEW-${Math.random().toString(36).slice(2, 8)}`;
        // Sold on the right clock (its item's coalescing window is real time), signed on the wrong one.
        const sale = await f.sell({
          currency: 'GBP', reference, customer: { name: 'Skewed Clock Climber', email: 'skew@example.com' },
          lines: [{ description: 'Climbing session', quantity: 1, unitPrice: '14.00', taxCode: 'OUTPUT2' }],
        });
        const item = async () => (await db('outbox').where({ type: 'xero.invoice.push', subject: `xero:sale:${sale.id}` }).first('id', 'status', 'attempts', 'max_attempts', 'last_error')) as ItemRow;
        const allowance = Number((await item()).max_attempts);
        clock.now = () => Date.now() + SKEW_MS;
        f.startWorkers({ concurrency: 1 });

        const refused = await until('the invoice refused for its timestamp', async () => {
          const i = await item();
          return i.status === 'paused' || i.status === 'dead' || (i.status === 'pending' && /timestamp_refused/.test(i.last_error ?? '')) ? i : undefined;
        }, 30_000);
        assert.equal(refused.status, 'pending', `retried later, not paused: ${JSON.stringify(refused)}`);
        assert.equal(Number(refused.max_attempts) - Number(refused.attempts), allowance, 'a refused timestamp uses up no attempt: a clock fixed hours later still finds the invoice waiting, not given up');
        assert.equal(Number((await db('outbox').where({ org_id: f.org.orgId, status: 'paused' }).count({ n: '*' }))[0]!.n), 0, 'nothing paused');
        const connection = await db('xero_connections').where({ org_id: f.org.orgId, status: 'connected' }).first('id');
        assert.ok(connection, 'the connection stays connected');

        const dashboard = (await admin.get('/').expect(200)).text;
        const alert = /Xero refused our signed calls: this server(?:&#39;|')s clock differs from Xero(?:&#39;|')s by about (\d+) s \(ahead of Xero; Xero allows 300 s either way\)\. Fix the server clock \(NTP\)\./.exec(dashboard);
        assert.ok(alert, `the dashboard's Xero panel shows the clock alert: ${dashboard.slice(dashboard.indexOf('Xero'), dashboard.indexOf('Xero') + 600)}`);
        const seconds = Number(alert[1]);
        assert.ok(Math.abs(seconds - SKEW_MS / 1000) <= 3, `about 600 s off: ${seconds}`);
        assert.equal((await f.books<{ Reference?: string }>('invoices')).filter((i) => i.Reference === reference).length, 0, 'nothing reached Xero yet');

        // The clock fixed (NTP): the next attempt, brought forward rather than waited for, lands.
        clock.now = realNow;
        await db('outbox').where({ id: refused.id, status: 'pending' }).update({ available_at: Date.now() });
        await f.drained(30_000);
        assert.equal((await item()).status, 'done');
        assert.equal((await f.books<{ Reference?: string }>('invoices')).filter((i) => i.Reference === reference).length, 1, 'the invoice landed exactly once');
        const after = (await admin.get('/').expect(200)).text;
        assert.doesNotMatch(after, /Xero refused our signed calls/, 'the alert is gone once Xero answers');
      } finally {
        clock.now = realNow;
        await f.close();
      }
    });
  });
}
