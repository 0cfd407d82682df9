#!/usr/bin/env node
// `npm start`, `npm run migrate`, `npm run cli`: run the built code, building it first when dist/ is missing or
// was built from other sources (its recorded hash differs), so `npm install && npm start` works on a fresh
// checkout and an edited checkout never runs stale code. A production image holds dist/ without the sources
// (and without esbuild): there it runs dist/ as it is.
//
//   node scripts/start.mjs [server|cli] [args...]     (default: server)
//
// The built code runs in this same process (imported, not spawned), so signals from a process manager reach
// the server directly. The V8 flags that keep a process small are set in package.json's scripts, on node.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hasSources, HASH_FILE, sourceHash } from './buildInputs.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const ENTRIES = { server: 'server/main.js', cli: 'server/cli.js' };

/** Why dist/ must be (re)built, or null when it matches the sources (or there are no sources to build from). */
export function staleReason(root = ROOT) {
  const dist = join(root, 'dist');
  if (!hasSources(root)) {
    if (!existsSync(join(dist, ENTRIES.server))) throw new Error(`${dist} holds no build and there are no sources to build it from`);
    return null;
  }
  const hashFile = join(dist, HASH_FILE);
  if (!existsSync(hashFile)) return 'dist/ is missing';
  return readFileSync(hashFile, 'utf8').trim() === sourceHash(root) ? null : 'the sources changed since the last build';
}

async function main() {
  const [which = 'server', ...rest] = process.argv.slice(2);
  const entry = ENTRIES[which];
  if (!entry) throw new Error(`unknown entry '${which}' (one of ${Object.keys(ENTRIES).join(', ')})`);
  const reason = staleReason();
  if (reason) {
    console.error(`Building (${reason})...`);
    // Imported only here: a production image has no esbuild and never needs it.
    const { buildDist } = await import('./build.mjs');
    await buildDist({ outDir: DIST, quiet: true });
  }
  // The entry reads process.argv as if it were run directly (the CLI's commander does).
  process.argv = [process.argv[0], join(DIST, entry), ...rest];
  await import(pathToFileURL(join(DIST, entry)).href);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
