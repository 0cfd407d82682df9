#!/usr/bin/env node
// Runs the benchmarks in bench/ one after another (or those matching the arguments) and prints their
// figures. Benchmarks never pass or fail on time; they report. Usage: npm run bench [-- sale-path]
// Arguments starting with "--" are passed on to every benchmark run (npm run bench -- scale-workers --latency-only).
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const passed = args.filter((a) => a.startsWith('--'));
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => !f.endsWith('-harness.ts')) // shared set-up and child processes of the benchmarks
  .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n### bench/${file}`);
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', `bench/${file}`, ...passed], { stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
