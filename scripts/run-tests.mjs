#!/usr/bin/env node
// Runs every test file with Node's own test runner (through tsx for TypeScript), resolving the package's own
// entries (ledgerbridge/embed, ...) to their TypeScript sources (the `source` export condition), so tests never
// need a build.
// Node 20's --test takes no globs, so the files are found here.
// Usage: npm test [-- <path-filter> ...]   e.g. npm test -- test/unit emulators
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

const roots = ['test', 'emulators', 'plugins'];
const filters = process.argv.slice(2);
const files = [];
function walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.test\.ts$/.test(name)) files.push(relative(process.cwd(), path));
  }
}
roots.forEach(walk);
// Browser tests need Chromium; they run only when asked for (npm run test:browser) or in CI.
const wantBrowser = process.env.TEST_BROWSER === '1' || filters.some((f) => f.includes('browser'));
const selected = files
  .filter((f) => wantBrowser || !f.includes('/browser/'))
  .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))
  .sort();
if (selected.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// A watchdog: Node's test runner cannot time out a file whose main thread is deadlocked (seen once: a Node 20
// crypto deadlock hung a file forever), so a hang would use up CI's whole budget. After TEST_WATCHDOG_MINUTES
// (default 45) it names the test files still running, stops everything and fails.
const watchdogMinutes = Number(process.env.TEST_WATCHDOG_MINUTES ?? '45');
const runner = spawn(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...selected],
  { stdio: 'inherit', detached: true, env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' } },
);
const stopGroup = (signal) => {
  try { process.kill(-runner.pid, signal); } catch { /* already gone */ }
};
// Ctrl-C reaches our group, not the runner's own: pass it on.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopGroup(signal));
const watchdog = setTimeout(() => {
  const running = spawnSync('ps', ['-o', 'args=', '-g', String(runner.pid)], { encoding: 'utf8' }).stdout
    .split('\n').filter((l) => /\.test\.ts/.test(l) && !l.includes(' --test ')).map((l) => l.trim().split(' ').pop());
  console.error(`\nTest watchdog: still running after ${watchdogMinutes} min, stopping. Test files still running:\n  ${running.join('\n  ') || '(none found)'}`);
  stopGroup('SIGKILL');
  process.exit(1);
}, watchdogMinutes * 60_000);
watchdog.unref();
runner.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  process.exit(code ?? (signal ? 1 : 0));
});
