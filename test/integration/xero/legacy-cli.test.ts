// The headless steps (`npm run cli -- xero:…`) through the commands' own code, with the plugin context
// the CLI root gives them (booted app, Xero emulator on a port). A command that fails throws the AppError
// the CLI root prints as "Error: <message>" before exiting 1; these tests check that error and its reason.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { dbKinds } from '../../support/db';
import { bootXeroApp, registerPrivateAppAt, startXeroEmulator, type RunningEmulator, type XeroTestApp } from '../../support/xero';
import { AppError, ValidationError } from '../../../server/errors';
import { createOrganisation } from '../../../server/domain/organisations';
import { registerXeroCommands } from '../../../plugins/xero/cli';
import { XeroConnectionTestError } from '../../../plugins/xero/connection/legacy';
import { getLiveConnection } from '../../../plugins/xero/connection/store';

for (const kind of dbKinds()) {
  describe(`xero CLI commands (${kind})`, () => {
    let xero: RunningEmulator;
    let x: XeroTestApp;
    let dir: string;
    let orgId: number;

    /** Run one command line as `npm run cli -- …` would; returns what it printed. */
    async function cli(...args: string[]): Promise<string[]> {
      const lines: string[] = [];
      const program = new Command().exitOverride();
      registerXeroCommands(program, async () => x.ctx, (line) => lines.push(line));
      await program.parseAsync(args, { from: 'user' });
      return lines;
    }

    before(async () => {
      xero = await startXeroEmulator();
      x = await bootXeroApp(kind, { emulatorUrl: xero.url });
      dir = mkdtempSync(join(tmpdir(), 'lb-xero-cli-'));
      orgId = (await createOrganisation(x.host.deps.db, { name: 'Headless Gym' })).id;
    });
    after(async () => {
      await x?.close();
      await xero?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('xero:cert writes the certificate (--org optional with one organisation), the same one until --regenerate', async () => {
      const file = join(dir, 'headless.cer');
      const printed = await cli('xero:cert', '--out', file);
      const pem = readFileSync(file, 'utf8');
      assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
      assert.doesNotMatch(pem, /PRIVATE KEY/);
      assert.match(printed.join('\n'), /Wrote the certificate of Headless Gym/);
      assert.match(printed.join('\n'), /expires \d{1,2} [A-Z][a-z]{2} \d{4}\n/);

      await cli('xero:cert', '--org', String(orgId), '--out', file);
      assert.equal(readFileSync(file, 'utf8'), pem);
      const again = await cli('xero:cert', '--org', String(orgId), '--out', file, '--regenerate');
      assert.notEqual(readFileSync(file, 'utf8'), pem);
      assert.match(again.join('\n'), /new certificate: upload it/);
    });

    test('xero:connect-legacy fails with the precise reason (an AppError: the CLI root prints it and exits 1), then connects; xero:status shows it', async () => {
      await assert.rejects(cli('xero:connect-legacy', '--consumer-key', 'NOSUCHKEY000000000000000000000', '--consumer-secret', 'S'.repeat(30)), (err: unknown) => {
        assert.ok(err instanceof XeroConnectionTestError && err instanceof AppError);
        assert.match(err.message, /Xero does not know this consumer key/);
        return true;
      });
      await assert.rejects(cli('xero:connect-legacy', '--consumer-key', 'short', '--consumer-secret', 'S'.repeat(30)), ValidationError);
      assert.equal(await getLiveConnection(x.host.deps.db, orgId), undefined);

      const before = await cli('xero:status');
      assert.match(before.join('\n'), /Xero: not connected/);

      const file = join(dir, 'current.cer');
      await cli('xero:cert', '--out', file);
      const app = await registerPrivateAppAt(xero.url, readFileSync(file, 'utf8'));
      const connected = await cli('xero:connect-legacy', '--org', String(orgId), '--consumer-key', app.consumerKey, '--consumer-secret', app.consumerSecret);
      assert.match(connected.join('\n'), /Connected Headless Gym to Demo Company \(UK\)/);
      assert.equal((await getLiveConnection(x.host.deps.db, orgId))?.created_by, 'cli');

      const status = (await cli('xero:status', '--org', String(orgId))).join('\n');
      assert.match(status, /Xero: Connected to Demo Company \(UK\)/);
      assert.match(status, /Mode: Legacy private app \(OAuth 1\.0a\)/);
      assert.match(status, /Last successful call: \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d\n/, 'in the organisation\'s date style');
      assert.match(status, /Rate-limit headroom: 59 this minute/);
      assert.match(status, /Certificate expires: \d{1,2} [A-Z][a-z]{2} \d{4} /);
      assert.doesNotMatch(status, new RegExp(app.consumerSecret));
    });

    test('--org is required once the install has several organisations', async () => {
      await createOrganisation(x.host.deps.db, { name: 'Second Site' });
      await assert.rejects(cli('xero:status'), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.match(err.issues[0]!.message, /pass --org <id>/);
        return true;
      });
      await assert.rejects(cli('xero:status', '--org', 'abc'), ValidationError);
    });
  });
}
