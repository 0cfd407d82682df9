// The long-running commands run as ONE node process, never through the tsx CLI or a shell that outlives it.
// The tsx CLI runs the program in a child and relays SIGINT/SIGTERM to it; if the child does not acknowledge
// within 30 ms (a busy event loop, a loaded machine) the CLI sends the signal again and then SIGKILLs it and
// exits 130. That cut the demo's Ctrl-C short in CI, and would cut a server's graceful SIGTERM shutdown
// (finishing in-flight Xero calls, releasing leases) the same way. And `exec`: npm runs a script through
// `sh -c` and passes SIGTERM to that shell only; without exec the shell dies and node is orphaned, never told
// to stop (a `docker stop` of `npm start` then ends in SIGKILL).
// Production (`start`, `cli`, `migrate`) runs the built JavaScript through scripts/start.mjs, with no tsx
// (a dev dependency only); development commands load tsx.
// test/e2e/processes/roles.test.ts stops `npm start` with SIGTERM and expects exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string>;
};
const { scripts } = pkg;

test('scripts that run TypeScript exec node with tsx loaded, instead of running the tsx CLI under a shell', () => {
  const viaCli = Object.entries(scripts).filter(([, command]) => /\btsx\b/.test(command.replaceAll('--import tsx', '')));
  assert.deepEqual(viaCli, [], 'use `node --import tsx <file>`');
  for (const name of ['demo', 'emulator:xero', 'emulator:stripe', 'emulator:gocardless']) {
    assert.match(scripts[name] ?? '', /^exec node (--conditions=source )?--import tsx \S+\.ts\b/, name);
  }
});

test('start, cli and migrate exec node on the built code (scripts/start.mjs), with source maps and without tsx', () => {
  for (const name of ['start', 'cli', 'migrate']) {
    assert.match(scripts[name] ?? '', /^exec node --enable-source-maps scripts\/start\.mjs (server|cli)\b/, name);
    assert.doesNotMatch(scripts[name] ?? '', /tsx/, name);
  }
  // A worker: the same entry with the small V8 settings (docs/operators.md, "Memory"), the role set in the script.
  assert.match(scripts['start:worker'] ?? '', /^PROCESS_ROLE=worker exec node (--[\w-]+(=\S+)? )+scripts\/start\.mjs server$/);
  for (const flag of ['--enable-source-maps', '--optimize-for-size', '--max-semi-space-size=2', '--v8-pool-size=1']) {
    assert.ok(scripts['start:worker']!.split(' ').includes(flag), flag);
  }
  assert.equal(pkg.dependencies.tsx, undefined, 'tsx is for development and tests only');
  assert.ok(pkg.devDependencies.tsx);
});
