// The database-held Xero rate budget on its own (plugins/xero/engine/rateBudget.ts): per tenant 60 calls per
// rolling minute, 5 in flight, 5,000 per rolling day, shared by two budget instances on two separate
// connection pools to the same database (as two worker processes would be) without overspending; Xero's
// X-MinLimit-Remaining / X-DayLimit-Remaining / X-AppMinLimit-Remaining corrections; a 429's Retry-After
// holding every instance back. Then the same through a real session against the emulator: the headers Xero
// sends are recorded and obeyed, and its 429 Retry-After blocks the tenant. SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createDb, type Db } from '../../../server/db/knex';
import { RetryableError } from '../../../server/errors';
import { RateBudget, connectionHeadroom, tenantKeyOf, type Headroom, type Permit } from '../../../plugins/xero/engine/rateBudget';
import { openSession } from '../../../plugins/xero/engine/session';
import { dbKinds } from '../../support/db';
import { startSyncFixture, type SyncFixture } from '../../e2e/xero/syncFixture';
import { xeroPlugin } from '../../../plugins/xero';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import type { MigrationOwner } from '../../../server/db/migrate';

const MINUTE = 60_000;
const DAY = 86_400_000;
/**
 * The SQL one granted Xero call costs the budget (acquire + release, not Xero's report, which the caller's
 * `headroom` reads): a ceiling, so that per-call statements cannot creep back (docs/benchmarks.md, "The rate
 * budget's statements per call"). Before the call's row became its lease and its check one conditional
 * insert: 13 without a report and 15 with one, on both databases. Now the insert and the release, and on
 * PostgreSQL the transaction that locks the budget row around the insert (BEGIN, the lock, COMMIT).
 */
const MAX_STATEMENTS_PER_CALL: Record<string, number> = { sqlite: 2, pg: 5 };

/** Try to take a permit without waiting; RetryableError (with its retryAfterMs) when the budget says no. */
async function take(budget: RateBudget, key: string, headroom?: () => Promise<Headroom | null>): Promise<Permit | RetryableError> {
  try {
    return await budget.acquire(key, headroom ? { headroom } : {});
  } catch (err) {
    if (err instanceof RetryableError) return err;
    throw err;
  }
}
const granted = (xs: (Permit | RetryableError)[]) => xs.filter((x): x is Permit => !(x instanceof RetryableError));
const refused = (xs: (Permit | RetryableError)[]) => xs.filter((x): x is RetryableError => x instanceof RetryableError);

for (const kind of dbKinds()) {
  describe(`Xero rate budget in the database (${kind})`, { timeout: 120_000 }, () => {
    let t: TestDatabase;
    let second: Db;
    let third: Db;
    let clock = Date.UTC(2026, 2, 2, 9, 0, 0);
    const now = () => clock;
    let a: RateBudget;
    let b: RateBudget;
    let c: RateBudget;
    let n = 0;
    const tenant = () => `tenant:rate-test-${kind}-${++n}`;

    before(async () => {
      t = await createTestDatabase(kind, [xeroPlugin as unknown as MigrationOwner]);
      second = createDb(t.config); // another pool on the same database: another process as far as locks go
      third = createDb(t.config);
      // maxInlineWaitMs 0: a refusal is reported at once (RetryableError) instead of slept on.
      a = new RateBudget({ db: t.db, now, maxInlineWaitMs: 0 });
      b = new RateBudget({ db: second, now, maxInlineWaitMs: 0 });
      c = new RateBudget({ db: third, now, maxInlineWaitMs: 0 });
    });
    after(async () => {
      await third?.destroy();
      await second?.destroy();
      await t?.destroy();
    });

    it('60 per rolling minute across two instances racing: exactly 60 granted, the next one told when the oldest call leaves', async () => {
      const key = tenant();
      await a.setLimits(key, { concurrent: 1000 });
      const results: (Permit | RetryableError)[] = [];
      // 90 concurrent acquisitions, half on each pool, over 30 s of budget time.
      for (let round = 0; round < 3; round++) {
        results.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => take(i % 2 ? a : b, key)))));
        clock += 10_000;
      }
      assert.equal(granted(results).length, 60);
      assert.equal(refused(results).length, 30);
      assert.equal((await a.usage(key)).minute, 60);
      await Promise.all(granted(results).map((p) => p.release()));
      // The first 30 calls were made at t0: they leave the window at t0 + 60 s (now is t0 + 30 s).
      const wait = await take(b, key);
      assert.ok(wait instanceof RetryableError);
      assert.ok(wait.retryAfterMs! > 29_000 && wait.retryAfterMs! <= 30_000, `retry after ${wait.retryAfterMs}`);
      clock += 30_000;
      assert.ok(!((await take(a, key)) instanceof RetryableError), 'a slot frees once the oldest calls leave the minute');
    });

    it('at the edge of the minute: with 55 calls made, 30 acquirers racing on three pools get exactly 5, each time', async () => {
      // The race the budget row's lock (PostgreSQL) or the write lock (SQLite) settles: many acquirers see
      // room for a few more at once, and only that many may be granted.
      for (let round = 0; round < 4; round++) {
        const key = tenant();
        await a.setLimits(key, { concurrent: 1000 });
        await t.db('xero_rate_calls').insert(Array.from({ length: 55 }, (_, i) => ({ tenant_key: key, at: clock - 50_000 + i })));
        const results = await Promise.all(Array.from({ length: 30 }, (_, i) => take([a, b, c][i % 3]!, key)));
        assert.equal(granted(results).length, 5, `round ${round}`);
        assert.equal((await a.usage(key)).minute, 60);
        await Promise.all(granted(results).map((p) => p.release()));
      }
    });

    it('5 in flight under churn: three instances, 90 calls, each held until five are held, never six at once', async () => {
      const key = tenant();
      await a.setLimits(key, { perMinute: 1000 });
      // These wait for a slot (inline, polling every 50 ms) instead of giving up at once.
      const waiting = [t.db, second, third].map((db) => new RateBudget({ db, now, maxInlineWaitMs: 60_000 }));
      const calls = 90;
      let holding = 0;
      let most = 0;
      let granted = 0;
      await Promise.all(Array.from({ length: calls }, async (_, i) => {
        const permit = await waiting[i % 3]!.acquire(key);
        granted++;
        most = Math.max(most, ++holding);
        // Hold until the slots are full (or nobody is left to take one), so the others are racing for a slot.
        while (holding < 5 && granted < calls) await new Promise((r) => setTimeout(r, 5));
        holding--;
        await permit.release();
      }));
      assert.equal(most, 5, 'five at once, never six');
      const usage = await a.usage(key);
      assert.deepEqual([usage.minute, usage.inFlight], [calls, 0]);
      clock += DAY;
    });

    it('5 in flight: the sixth waits until one is released (in either instance); a vanished holder\'s lease expires', async () => {
      const key = tenant();
      const held = await Promise.all(Array.from({ length: 6 }, (_, i) => take(i % 2 ? a : b, key)));
      assert.equal(granted(held).length, 5);
      assert.match(refused(held)[0]!.message, /5 calls in flight \(limit 5\)/);
      await granted(held)[0]!.release();
      const next = await take(b, key);
      assert.ok(!(next instanceof RetryableError));
      assert.ok((await take(a, key)) instanceof RetryableError, 'full again');
      clock += 31_000; // nobody releases: the default 30 s lease lapses (a killed worker's slots come back)
      assert.ok(!((await take(a, key)) instanceof RetryableError));
      clock += MINUTE;
    });

    it('5,000 per rolling day: 4,990 calls earlier today leave room for exactly 10, then wait for the oldest to age out', async () => {
      const key = tenant();
      await a.setLimits(key, { concurrent: 1000 });
      const rows = Array.from({ length: 4990 }, (_, i) => ({ tenant_key: key, at: clock - DAY + 3_600_000 + i * 10_000 }));
      for (let i = 0; i < rows.length; i += 400) await t.db('xero_rate_calls').insert(rows.slice(i, i + 400));
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => take(i % 2 ? a : b, key)));
      assert.equal(granted(results).length, 10);
      const refusal = refused(results)[0]!;
      assert.match(refusal.message, /5000 calls in the last 24 hours \(limit 5000\)/);
      // The oldest of the earlier calls (t − 23 h) leaves the day window in an hour.
      assert.ok(Math.abs(refusal.retryAfterMs! - 3_600_000) <= 1_000, `retry after ${refusal.retryAfterMs}`);
      await Promise.all(granted(results).map((p) => p.release()));
      clock += MINUTE;
    });

    it('Xero\'s remaining-call headers correct our count when Xero saw more calls than we made', async () => {
      const key = tenant();
      const report = (h: Partial<Headroom>) => async (): Promise<Headroom> => ({ minuteRemaining: null, dayRemaining: null, appMinuteRemaining: null, reportedAt: clock - 1, ...h });
      // X-MinLimit-Remaining: 3 (calls made elsewhere): three more, not sixty.
      const minute = await Promise.all(Array.from({ length: 5 }, (_, i) => take(i % 2 ? a : b, key, report({ minuteRemaining: 3 }))));
      assert.equal(granted(minute).length, 3);
      await Promise.all(granted(minute).map((p) => p.release()));
      clock += MINUTE + 1;
      // X-DayLimit-Remaining: 2.
      const day = await Promise.all(Array.from({ length: 4 }, () => take(a, key, report({ dayRemaining: 2 }))));
      assert.equal(granted(day).length, 2);
      assert.match(refused(day)[0]!.message, /last 24 hours/);
      await Promise.all(granted(day).map((p) => p.release()));
      // X-AppMinLimit-Remaining: 0 — the app's minute across organisations is spent: wait for its window.
      const key2 = tenant();
      const app = await take(b, key2, report({ appMinuteRemaining: 0, reportedAt: clock - 20_000 }));
      assert.ok(app instanceof RetryableError);
      assert.match(app.message, /app's minute limit/);
      assert.equal(app.retryAfterMs, 40_000);
      clock += MINUTE;
    });

    it(`one granted call costs at most ${MAX_STATEMENTS_PER_CALL[kind]} SQL statements (acquire + release), with or without Xero's report`, async (tc) => {
      const key = tenant();
      await a.setLimits(key, { concurrent: 1000 });
      const report = async (): Promise<Headroom> => ({ minuteRemaining: 50, dayRemaining: 4000, appMinuteRemaining: 9000, reportedAt: clock - 1 });
      for (const headroom of [undefined, report]) {
        await (await a.acquire(key, headroom ? { headroom } : {})).release(); // the tenant's row exists from here on
        for (let i = 0; i < 10; i++) await t.db('xero_rate_calls').insert({ tenant_key: key, at: clock - 30_000 + i }); // calls in both windows
        const sqls: string[] = [];
        const listen = (q: { sql: string }) => sqls.push(q.sql);
        t.db.on('query', listen);
        try {
          await (await a.acquire(key, headroom ? { headroom } : {})).release();
        } finally {
          t.db.off('query', listen);
        }
        tc.diagnostic(`${headroom ? 'with' : 'without'} a report (${kind}): ${sqls.length} statements`);
        assert.ok(sqls.length <= MAX_STATEMENTS_PER_CALL[kind]!, `${sqls.length} statements for one call:\n${sqls.join('\n')}`);
      }
      clock += MINUTE;
    });

    it('calls that left the day window are deleted by an acquirer, at most once a minute, and never a live lease', async () => {
      const key = tenant();
      const fresh = new RateBudget({ db: t.db, now, maxInlineWaitMs: 0 }); // a process that has pruned nothing yet
      const old = (lease: number) => ({ tenant_key: key, at: clock - DAY - 1_000, lease_until: lease });
      await t.db('xero_rate_calls').insert([old(0), old(0), old(clock + 10 * MINUTE), { tenant_key: key, at: clock - 1_000, lease_until: 0 }]);
      const rows = async () => Number(((await t.db('xero_rate_calls').where({ tenant_key: key }).count({ n: '*' })) as { n: number | string }[])[0]!.n);
      await (await fresh.acquire(key)).release();
      assert.equal(await rows(), 3, 'the two day-old calls went; the one still leased, the recent one and the new one stay');
      await t.db('xero_rate_calls').insert(old(0));
      await (await fresh.acquire(key)).release();
      assert.equal(await rows(), 5, 'not again within the minute');
      clock += MINUTE;
      await (await fresh.acquire(key)).release();
      assert.equal(await rows(), 5, 'a minute on: the day-old call went, the new call stayed');
      clock += MINUTE;
    });

    it('a 429\'s Retry-After holds every instance back until then, and only then', async () => {
      const key = tenant();
      await a.block(key, 7_000);
      for (const budget of [a, b]) {
        const r = await take(budget, key);
        assert.ok(r instanceof RetryableError);
        assert.equal(r.retryAfterMs, 7_000);
        assert.match(r.message, /429 Retry-After/);
      }
      await b.block(key, 2_000); // a shorter block never shortens a longer one
      clock += 6_999;
      assert.ok((await take(b, key)) instanceof RetryableError);
      clock += 1;
      const ok = await take(b, key);
      assert.ok(!(ok instanceof RetryableError));
      await ok.release();
    });
  });

  describe(`Xero rate budget against the emulator's headers (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false });
    });
    after(async () => f?.close());

    it('Xero\'s X-*-Remaining headers are recorded after each call, and at the limit its one 429 Retry-After blocks the tenant', async () => {
      const emu = request(f.emu.url);
      // Xero allows this tenant 4 calls a minute here; our budget thinks 60 (another install used the rest).
      await emu.post('/_emulator/limits').send({ perMinute: 4 }).expect(200);
      const budget = new RateBudget({ db: f.x.ctx.db, maxInlineWaitMs: 0 });
      const session = await openSession(f.x.deps, budget, f.org.orgId);
      const key = tenantKeyOf(f.org.orgId, f.tenantId);
      const reported = async (minuteRemaining: number): Promise<Headroom> => {
        // The client factory records the headers after the call (not awaited by the call itself).
        let headroom = await connectionHeadroom(f.x.ctx.db, f.org.orgId);
        for (let i = 0; i < 100 && headroom?.minuteRemaining !== minuteRemaining; i++) {
          await new Promise((r) => setTimeout(r, 20));
          headroom = await connectionHeadroom(f.x.ctx.db, f.org.orgId);
        }
        assert.equal(headroom?.minuteRemaining, minuteRemaining, 'X-MinLimit-Remaining recorded');
        return headroom!;
      };
      await session.xero.getOrganisation();
      const first = await reported(3);
      assert.equal(first.dayRemaining, 4999, 'X-DayLimit-Remaining recorded');
      assert.equal(first.appMinuteRemaining, 9999, 'X-AppMinLimit-Remaining recorded');
      // With 3 left by Xero's count the budget corrects ours (1 call) to 57 of 60: three more, by either instance.
      const other = new RateBudget({ db: f.x.ctx.db, maxInlineWaitMs: 0 });
      const permits = await Promise.all([budget, other, budget, other].map((bg) => take(bg, key, () => connectionHeadroom(f.x.ctx.db, f.org.orgId))));
      assert.equal(granted(permits).length, 3);
      assert.match(refused(permits)[0]!.message, /60 calls in the last minute/);
      await Promise.all(granted(permits).map((p) => p.release()));
      const permitRows = await f.x.ctx.db('xero_rate_calls').where({ tenant_key: key }).orderBy('id', 'desc').limit(3).pluck('id');
      await f.x.ctx.db('xero_rate_calls').whereIn('id', permitRows).del(); // those were only permits, no call was made

      for (let remaining = 2; remaining >= 0; remaining--) {
        await session.xero.getOrganisation();
        await reported(remaining);
      }
      // "0 remaining" is not taken as a minute's stall (engine/rateBudget.ts): the next call is refused by Xero,
      // whose Retry-After (until its oldest call leaves the minute) then holds the tenant in the database.
      const before429 = Date.now();
      await assert.rejects(session.xero.getOrganisation(), /429/);
      const row = await f.x.ctx.db('xero_rate_budget').where({ tenant_key: key }).first('blocked_until');
      const blockedFor = Number(row.blocked_until) - before429;
      assert.ok(blockedFor >= 50_000 && blockedFor <= 61_000, `blocked for ${blockedFor} ms`);
      const callsBefore = session.calls;
      for (const bg of [budget, other]) {
        await assert.rejects(session.xero.getOrganisation(), (err: unknown) => err instanceof RetryableError && /429 Retry-After/.test(err.message));
        assert.equal(session.calls, callsBefore, 'no call while blocked');
        await assert.rejects(bg.acquire(key), (err: unknown) => err instanceof RetryableError && /429 Retry-After/.test(err.message));
      }
      const served = ((await emu.get('/_emulator/calls')).body as { status: number; url: string }[]).filter((c) => c.url.includes('/api.xro/'));
      assert.deepEqual(served.map((c) => c.status), [200, 200, 200, 200, 429], 'one refusal, then nothing reaches Xero');
    });
  });
}
