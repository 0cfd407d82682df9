// What the build reads, shared by scripts/build.mjs and scripts/start.mjs: the TypeScript it compiles (server/
// and plugins/, without tests), the files it copies (views, stylesheets and scripts under public/), and a hash
// of all of them (and of the build's own scripts) that says whether dist/ was built from this tree.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** dist/'s record of the inputs it was built from. */
export const HASH_FILE = '.build-hash';

const CODE_ROOTS = ['server', 'plugins'];
const ASSET_ROOTS = ['views', 'public', 'server', 'plugins'];
const BUILD_SCRIPTS = ['scripts/build.mjs', 'scripts/buildInputs.mjs'];

function walk(root, dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(root, path, out);
    else out.push(relative(root, path).split(sep).join('/'));
  }
  return out;
}

const isCode = (f) => f.endsWith('.ts') && !f.endsWith('.d.ts');
const isTest = (f) => f.endsWith('.test.ts');
// Read at run time: templates and static files. Docs and TypeScript are not.
const isAsset = (f) => !f.endsWith('.ts') && !f.endsWith('.md');

/** The build's inputs under `root`, sorted, as paths relative to it. */
export function buildInputs(root) {
  const entries = CODE_ROOTS.flatMap((r) => walk(root, join(root, r), [])).filter((f) => isCode(f) && !isTest(f)).sort();
  const assets = [...new Set(ASSET_ROOTS.flatMap((r) => walk(root, join(root, r), [])).filter(isAsset))].sort();
  return { entries, assets };
}

/** Whether `root` holds the sources (a checkout); a production image holds only dist/. */
export function hasSources(root) {
  return CODE_ROOTS.every((r) => existsSync(join(root, r)));
}

/** sha256 over every input's path and content, so any edit, new file or deletion changes it. */
export function sourceHash(root, inputs = buildInputs(root)) {
  const hash = createHash('sha256');
  for (const f of [...inputs.entries, ...inputs.assets, ...BUILD_SCRIPTS]) {
    hash.update(`${f}\0`);
    hash.update(readFileSync(join(root, f)));
    hash.update('\0');
  }
  return hash.digest('hex');
}
