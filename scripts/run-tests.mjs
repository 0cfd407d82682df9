#!/usr/bin/env node
// Runs every test file with Node's own test runner (through tsx for TypeScript).
// Node 20's --test takes no globs, so the files are found here.
// Usage: npm test [-- <path-filter> ...]   e.g. npm test -- test/unit emulators
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

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
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...selected],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' } },
);
process.exit(result.status ?? 1);
