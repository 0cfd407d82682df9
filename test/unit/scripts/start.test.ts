// scripts/start.mjs (`npm start`, `npm run cli`) runs dist/, building it first when it is missing or was built
// from other sources, and runs a dist/ without sources (a production image) as it is. Here on a small tree of
// its own: the real scripts (start, build, buildInputs) next to a two-file server, with this checkout's
// node_modules (esbuild) linked in.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'lb-start-'));
after(() => rmSync(root, { recursive: true, force: true }));

mkdirSync(join(root, 'scripts'));
for (const f of ['start.mjs', 'build.mjs', 'buildInputs.mjs']) cpSync(join(REPO, 'scripts', f), join(root, 'scripts', f));
symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
mkdirSync(join(root, 'server'));
mkdirSync(join(root, 'plugins/demo/views'), { recursive: true });
mkdirSync(join(root, 'views'));
const write = (path: string, text: string) => writeFileSync(join(root, path), text);
write('server/greeting.ts', "export const greeting: string = 'first';\n");
write('server/main.ts', "import { greeting } from './greeting';\nimport { existsSync } from 'node:fs';\n"
  + "console.log(`main:${greeting}:view=${existsSync(new URL('../plugins/demo/views/page.ejs', import.meta.url))}`);\n");
write('server/cli.ts', "console.log(`cli:${process.argv.slice(2).join(',')}`);\n");
write('plugins/demo/index.ts', 'export const id = 1;\n');
write('plugins/demo/views/page.ejs', '<p>page</p>\n');

function start(...args: string[]): { out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'scripts/start.mjs'), ...args], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, r.stderr);
  return { out: r.stdout.trim(), err: r.stderr };
}

test('builds when dist/ is missing, copies the views, runs the built entry', () => {
  const run = start();
  assert.match(run.err, /Building \(dist\/ is missing\)/);
  assert.equal(run.out, 'main:first:view=true');
});

test('runs dist/ as it is when the sources did not change', () => {
  const run = start();
  assert.equal(run.err, '');
  assert.equal(run.out, 'main:first:view=true');
});

test('rebuilds when a source file changes, and runs the new code', () => {
  write('server/greeting.ts', "export const greeting: string = 'second';\n");
  const run = start();
  assert.match(run.err, /Building \(the sources changed since the last build\)/);
  assert.equal(run.out, 'main:second:view=true');
});

test('rebuilds when a view changes or a file is added', () => {
  write('plugins/demo/views/page.ejs', '<p>page, edited</p>\n');
  assert.match(start().err, /sources changed/);
  write('plugins/demo/extra.ts', 'export const extra = 2;\n');
  assert.match(start().err, /sources changed/);
  assert.equal(start().err, '');
});

test('the cli entry gets its arguments as if run directly', () => {
  assert.equal(start('cli', 'user:list', '--org', '1').out, 'cli:user:list,--org,1');
});

test('without sources (a production image) it runs dist/ as built, never building', () => {
  rmSync(join(root, 'server'), { recursive: true });
  rmSync(join(root, 'plugins'), { recursive: true });
  const run = start();
  assert.equal(run.err, '');
  assert.equal(run.out, 'main:second:view=true');
});
