#!/usr/bin/env node
// `npm run build`: compiles the server, the plugins and the CLI to JavaScript in dist/, one .js (and its
// source map) per .ts, in the same folders, and copies what they read from disk at run time (the .ejs views,
// public/) next to them, so dist/ runs on its own: `node --enable-source-maps dist/server/main.js`.
//
// Why esbuild and not tsc: esbuild transpiles each file on its own in well under a second (tsc's emit takes
// as long as a full type-check), and esbuild is already here as tsx's own compiler, so the built code is
// compiled exactly as the tests and development run it. Types are still checked, by `npm run typecheck`
// (tsc --noEmit) in CI. Not bundling keeps the module layout: stack traces, `import.meta.url` paths (views
// folders) and the plugins' folders look as they do in the source tree.
//
// The build records a hash of its inputs (dist/.build-hash); scripts/start.mjs rebuilds when it is stale.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInputs, HASH_FILE, sourceHash } from './buildInputs.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A relative import (`./boot`, `../db`) as Node's ESM loader needs it: the file, with its .js extension. */
function resolvedJsSpecifier(importer, spec) {
  const base = join(dirname(importer), spec);
  if (existsSync(`${base}.ts`)) return `${spec}.js`;
  if (existsSync(join(base, 'index.ts'))) return `${spec}/index.js`;
  if (existsSync(base) && statSync(base).isFile()) return spec; // .json, .js: as written
  throw new Error(`${importer}: cannot resolve '${spec}'`);
}

// Every import stays an import (nothing is bundled): relative ones get their .js file, packages stay as written.
const keepImports = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('.')) return { path: resolvedJsSpecifier(args.importer, args.path), external: true };
      return { path: args.path, external: true };
    });
  },
};

/** Builds the sources under `root` (default: this checkout) into `outDir` (default: its dist/), replacing it only once the new build is complete. */
export async function buildDist({ root = ROOT, outDir = join(root, 'dist'), quiet = false } = {}) {
  const started = performance.now();
  const inputs = buildInputs(root);
  const staging = `${outDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    await build({
      absWorkingDir: root,
      entryPoints: inputs.entries,
      outdir: staging,
      outbase: root,
      bundle: true, // with every import external (keepImports): one output per file, imports rewritten
      plugins: [keepImports],
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      sourcesContent: false, // the maps point at the .ts files; an image without them still gets file:line
      logLevel: 'warning',
    });
    for (const asset of inputs.assets) {
      mkdirSync(dirname(join(staging, asset)), { recursive: true });
      cpSync(join(root, asset), join(staging, asset));
    }
    writeFileSync(join(staging, HASH_FILE), `${sourceHash(root, inputs)}\n`);
    // Swap in the finished build: a start that raced us (another process building) never sees half of one.
    rmSync(outDir, { recursive: true, force: true });
    try {
      renameSync(staging, outDir);
    } catch (err) {
      if (!existsSync(outDir)) throw err; // another build landed first: same inputs, keep it
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!quiet) {
    const ms = performance.now() - started;
    console.log(`built ${inputs.entries.length} modules and ${inputs.assets.length} assets into ${relative(root, outDir) || outDir}/ in ${ms.toFixed(0)} ms`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildDist();
}
