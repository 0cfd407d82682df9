// outbox:list / outbox:retry / outbox:purge, driven through commander as the CLI runs them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { dbKinds } from '../../support/db';
import { registerOutboxCommands } from '../../../server/cli/outbox';
import { claimBatch } from '../../../server/outbox/claim';
import { complete, fail } from '../../../server/outbox/transitions';
import { enqueueAll, item, outboxFixture, silentLogger, statusOf, type OutboxFixture } from './helpers';

for (const kind of dbKinds()) {
  describe(`outbox CLI (${kind})`, () => {
    let fx: OutboxFixture;
    before(async () => {
      fx = await outboxFixture(kind);
    });
    after(async () => {
      await fx.close();
    });

    async function run(...args: string[]): Promise<string> {
      const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
      registerOutboxCommands(program, async () => ({ db: fx.tdb.db, logger: silentLogger }));
      const lines: string[] = [];
      const original = console.log;
      console.log = (...parts: unknown[]) => void lines.push(parts.join(' '));
      try {
        await program.parseAsync(['node', 'cli', ...args]);
      } finally {
        console.log = original;
      }
      return lines.join('\n');
    }

    it('lists, retries dead items and purges old done ones', async () => {
      const type = 'test.cli.push';
      const [a, b, c] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type }), item({ type }), item({ type })]);
      const claimed = await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: 60_000, limit: 3 });
      await fail(fx.tdb.db, claimed.filter((i) => i.id === b), 'w', 'Account code 999\nis not valid');
      await complete(fx.tdb.db, claimed.filter((i) => i.id === a), 'w', Date.now() - 10 * 86_400_000);
      await complete(fx.tdb.db, claimed.filter((i) => i.id === c), 'w');

      const dead = await run('outbox:list', '--status', 'dead');
      assert.match(dead, /^id\s+status\s+type/);
      // Due when, in the one date style (never an ISO timestamp).
      assert.match(dead, new RegExp(`^${b}\\s+dead\\s+test\\.cli\\.push\\s+1\\s+1/5\\s+\\d{1,2} [A-Z][a-z]{2} \\d{4}, \\d\\d:\\d\\d\\s+Account code 999 is not valid$`, 'm'));
      assert.doesNotMatch(dead, new RegExp(`^${a}\\s`, 'm'));
      await assert.rejects(run('outbox:list', '--status', 'stuck'), /must be one of/);

      await assert.rejects(run('outbox:retry'), /exactly one of/);
      assert.match(await run('outbox:retry', '--id', String(b), String(c)), /^1 item back to pending\. \(Only dead or paused/);
      assert.deepEqual(await statusOf(fx.tdb.db, b!).then((r) => [r.status, r.attempts]), ['pending', 0]);

      assert.match(await run('outbox:purge', '--older-than', '7'), /^1 done item deleted\.$/);
      assert.equal(await fx.tdb.db('outbox').where({ id: a }).first(), undefined);
      assert.equal((await statusOf(fx.tdb.db, c!)).status, 'done');
    });
  });
}
