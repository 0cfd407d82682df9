// `npm start` as an install runs it, one process per role on one database: a web process serves HTTP and
// starts no background work; a worker process runs the outbox workers, housekeeping and the plugins'
// nightly sweeps. Both stop cleanly (exit 0) on SIGTERM, as a process manager stops them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT } from '../../support/processes';

const dataDir = mkdtempSync(join(tmpdir(), 'lb-roles-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

async function runUntil(role: 'web' | 'worker' | undefined, readyLine: string, script = 'start'): Promise<{ output: string; code: number | null; signal: string | null }> {
  const port = await freePort();
  const { PROCESS_ROLE: _inherited, ...env } = process.env;
  const proc = spawn('npm', ['run', script, '--silent'], {
    cwd: REPO_ROOT,
    env: {
      ...env, NODE_ENV: 'test', LOG_LEVEL: 'info', ...(role ? { PROCESS_ROLE: role } : {}), DATA_DIR: dataDir,
      MASTER_KEY: Buffer.alloc(32, 9).toString('base64'), PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = once(proc, 'exit') as Promise<[number | null, string | null]>;
  const deadline = Date.now() + 60_000;
  while (!output.includes(readyLine)) {
    assert.ok(proc.exitCode === null, `${script} exited early:\n${output}`);
    assert.ok(Date.now() < deadline, `${script} never logged "${readyLine}":\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGTERM');
  const [code, signal] = await exited;
  return { output, code, signal };
}

test('a web process starts no schedules; a worker starts every plugin\'s; both exit 0 on SIGTERM', { timeout: 120_000 }, async () => {
  const web = await runUntil('web', 'Ledgerbridge is listening');
  assert.deepEqual([web.code, web.signal], [0, null], web.output);
  assert.doesNotMatch(web.output, /plugin schedules started|outbox workers started/);

  const worker = await runUntil('worker', 'plugin schedules started');
  assert.deepEqual([worker.code, worker.signal], [0, null], worker.output);
  const line = worker.output.split('\n').find((l) => l.includes('plugin schedules started'))!;
  assert.deepEqual((JSON.parse(line) as { plugins: string[] }).plugins.sort(), ['gocardless', 'stripe', 'xero']);
  assert.doesNotMatch(worker.output, /Ledgerbridge is listening/);
});

test('npm run start:worker (the small V8 settings of docs/operators.md) runs a worker and exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
  const worker = await runUntil(undefined, 'plugin schedules started', 'start:worker');
  assert.deepEqual([worker.code, worker.signal], [0, null], worker.output);
  assert.match(worker.output, /outbox workers started/);
  assert.doesNotMatch(worker.output, /Ledgerbridge is listening/);
});
