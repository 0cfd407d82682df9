// The long-running commands (`npm start`, the demo, the emulators, the CLI) run as ONE node process with
// tsx as a loader, never through the tsx CLI. The CLI runs the program in a child and relays SIGINT/SIGTERM
// to it; if the child does not acknowledge within 30 ms (a busy event loop, a loaded machine) the CLI sends
// the signal again and then SIGKILLs it and exits 130. That cut the demo's Ctrl-C short in CI, and would
// cut a server's graceful SIGTERM shutdown (finishing in-flight Xero calls, releasing leases) the same way.
// And `exec`: npm runs a script through `sh -c` and passes SIGTERM to that shell only; without exec the
// shell dies and node is orphaned, never told to stop (a `docker stop` of `npm start` then ends in SIGKILL).
// test/e2e/processes/roles.test.ts stops `npm start` with SIGTERM and expects exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const scripts = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;

test('scripts that run TypeScript exec node with tsx loaded, instead of running the tsx CLI under a shell', () => {
  const viaCli = Object.entries(scripts).filter(([, command]) => /\btsx\b/.test(command.replaceAll('--import tsx', '')));
  assert.deepEqual(viaCli, [], 'use `node --import tsx <file>`');
  for (const name of ['start', 'demo', 'cli', 'migrate', 'emulator:xero', 'emulator:stripe', 'emulator:gocardless']) {
    assert.match(scripts[name] ?? '', /^exec node --import tsx \S+\.ts\b/, name);
  }
});
