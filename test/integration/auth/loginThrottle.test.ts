import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { IP_LIMIT_FACTOR, checkLoginAllowed, recordLoginFailure, recordLoginSuccess } from '../../../server/auth/loginThrottle';

const settings = { maxAttempts: 3, windowMinutes: 10 };
const T0 = 1_700_000_000_000;

for (const kind of dbKinds()) {
  describe(`login throttle (${kind})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind);
    });
    after(async () => t.destroy());

    test('maxAttempts failures for one email from one IP lock that pair until the window passes', async () => {
      for (let i = 0; i < settings.maxAttempts; i++) {
        assert.equal((await checkLoginAllowed(t.db, settings, 'a@x.test', '10.0.0.1', T0 + i)).allowed, true);
        await recordLoginFailure(t.db, settings, 'A@x.test', '10.0.0.1', T0 + i * 60_000);
      }
      const locked = await checkLoginAllowed(t.db, settings, 'a@x.test', '10.0.0.1', T0 + 3 * 60_000);
      assert.deepEqual(locked, { allowed: false, retryAfterMinutes: 7 });
      // Other IPs and other emails are not affected.
      assert.equal((await checkLoginAllowed(t.db, settings, 'a@x.test', '10.0.0.2', T0)).allowed, true);
      assert.equal((await checkLoginAllowed(t.db, settings, 'b@x.test', '10.0.0.1', T0)).allowed, true);
      // The oldest failure leaves the window: one more try is allowed.
      assert.equal((await checkLoginAllowed(t.db, settings, 'a@x.test', '10.0.0.1', T0 + 10 * 60_000 + 1)).allowed, true);
    });

    test('a success resets the email counter for that IP', async () => {
      for (let i = 0; i < settings.maxAttempts - 1; i++) await recordLoginFailure(t.db, settings, 'c@x.test', '10.0.1.1', T0 + i);
      await recordLoginSuccess(t.db, 'c@x.test', '10.0.1.1');
      await recordLoginFailure(t.db, settings, 'c@x.test', '10.0.1.1', T0 + 10);
      assert.equal((await checkLoginAllowed(t.db, settings, 'c@x.test', '10.0.1.1', T0 + 20)).allowed, true);
    });

    test('one IP trying many emails is stopped by the wider per-IP limit', async () => {
      const ip = '10.9.9.9';
      const limit = settings.maxAttempts * IP_LIMIT_FACTOR;
      for (let i = 0; i < limit; i++) await recordLoginFailure(t.db, settings, `user${i}@x.test`, ip, T0 + i);
      const verdict = await checkLoginAllowed(t.db, settings, 'fresh@x.test', ip, T0 + limit);
      assert.equal(verdict.allowed, false);
      assert.equal(verdict.retryAfterMinutes, 10);
    });

    test('failures older than the window are pruned', async () => {
      await recordLoginFailure(t.db, settings, 'old@x.test', '10.7.7.7', T0);
      await recordLoginFailure(t.db, settings, 'new@x.test', '10.7.7.8', T0 + 11 * 60_000);
      const keys = (await t.db('login_failures').select('key')).map((r: { key: string }) => r.key);
      assert.ok(!keys.includes('old@x.test|10.7.7.7'));
      assert.ok(keys.includes('new@x.test|10.7.7.8'));
    });
  });
}
