#!/usr/bin/env node
// The production smoke test: deploy/Dockerfile's steps replayed without Docker (which cannot run on the CI
// machines), so CI proves the image would build and run.
//
//   builder:  a clean copy of the package files, `npm ci --omit=dev` (compiling sqlite3 from source, as
//             .prebuild-installrc asks: no binary download), the built code (npm run build) and scripts/.
//   runtime:  exactly the paths the Dockerfile's runtime stage copies from the builder (read from its COPY
//             lines, so the two cannot drift), the Dockerfile's ENV, nothing else: no sources, no tsx, no esbuild.
//   then:     the CLI creates an organisation and an admin; a web process answers /healthz (through the
//             Dockerfile's own HEALTHCHECK command) and /login (the login form); a worker starts its outbox
//             workers; both exit 0 on SIGTERM.
//
//   node scripts/smoke/production.mjs [--keep]      (--keep leaves the temporary folder for a look)
//
// npm ci compiles sqlite3 (about 1.5 minutes of CPU); packages come from npm's cache when they are there.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist } from '../build.mjs';
import { parseDockerfile } from './dockerfile.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const keep = process.argv.includes('--keep');
const started = performance.now();
const timings = [];
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function step(name, fn) {
  const t0 = performance.now();
  process.stdout.write(`- ${name} ... `);
  const result = await fn();
  const ms = performance.now() - t0;
  timings.push([name, ms]);
  console.log(`ok (${seconds(ms)})`);
  return result;
}

function fail(message) {
  throw new Error(message);
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The image's command, as the Dockerfile's CMD runs it, in the runtime folder. */
function startRole(runtime, image, env, role) {
  const [cmd, ...args] = image.cmd;
  const proc = spawn(cmd === 'node' ? process.execPath : cmd, args, {
    cwd: runtime, env: { ...env, PROCESS_ROLE: role }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (c) => (output += c));
  proc.stderr.on('data', (c) => (output += c));
  const exited = once(proc, 'exit');
  return { proc, exited, output: () => output };
}

async function waitFor(what, child, check, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (child.proc.exitCode !== null) fail(`${what}: the process exited (${child.proc.exitCode}) first:\n${child.output()}`);
    if (Date.now() > deadline) fail(`${what}: not within ${ms / 1000} s:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopsCleanly(child, role) {
  child.proc.kill('SIGTERM');
  const [code, signal] = await child.exited;
  if (code !== 0) fail(`${role}: SIGTERM gave exit ${code ?? signal}, not 0:\n${child.output()}`);
}

const image = parseDockerfile(readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'lb-smoke-'));
const builder = join(work, 'builder');
const runtime = join(work, 'runtime');
let web;
let worker;
try {
  console.log(`Production smoke test in ${work}`);
  const [packageFiles, ...sourceCopies] = image.builderCopies;
  const copyIn = ({ sources, to }) => {
    for (const src of sources) {
      const target = sources.length > 1 || to === '' ? join(builder, to, src) : join(builder, to);
      // As deploy/Dockerfile.dockerignore leaves them out of the build context: tests and docs.
      cpSync(join(ROOT, src), target, { recursive: true, filter: (f) => !/\.test\.ts$|\.md$|node_modules/.test(f.slice(ROOT.length)) });
    }
  };
  await step(`builder: copy ${packageFiles.sources.join(', ')}; npm ci --omit=dev`, () => {
    mkdirSync(builder, { recursive: true });
    copyIn(packageFiles);
    const r = run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: builder, env: { ...process.env, npm_config_loglevel: 'warn' },
    });
    const warnings = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /npm warn.*(unknown|config)/i.test(l));
    if (warnings.length) fail(`npm ci warned about its configuration:\n${warnings.join('\n')}`);
    // A compiled sqlite3 leaves node-gyp's object files; a downloaded prebuilt binary does not.
    if (!existsSync(join(builder, 'node_modules/sqlite3/build/Release/obj.target'))) fail('sqlite3 was not compiled from source');
    for (const dev of ['tsx', 'esbuild', 'typescript']) {
      if (existsSync(join(builder, 'node_modules', dev))) fail(`a dev dependency is installed: ${dev}`);
    }
  });
  await step(`builder: copy ${sourceCopies.map((c) => c.to).join(', ')}; npm run build`, async () => {
    sourceCopies.forEach(copyIn);
    // The builder's npm ci installed esbuild and npm prune removed it; here this checkout's esbuild builds the copy.
    await buildDist({ root: builder, quiet: true });
  });
  await step(`runtime: the Dockerfile's ${image.runtimeCopies.length} COPY --from=builder paths only`, () => {
    for (const { from, to } of image.runtimeCopies) {
      const source = join(builder, from);
      if (!existsSync(source)) fail(`the Dockerfile copies ${from}, which the builder does not have`);
      mkdirSync(dirname(join(runtime, to)), { recursive: true });
      if (from === 'node_modules') renameSync(source, join(runtime, to)); // large: moved, not copied
      else cpSync(source, join(runtime, to), { recursive: true });
    }
    for (const absent of ['server', 'plugins', 'test', 'bench', 'emulators', 'node_modules/tsx']) {
      if (existsSync(join(runtime, absent))) fail(`the runtime holds ${absent}`);
    }
    mkdirSync(join(runtime, 'data'));
  });

  const port = await freePort();
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME, ...image.env, PORT: String(port), HOST: '127.0.0.1',
    DATA_DIR: join(runtime, 'data'), MASTER_KEY: Buffer.alloc(32, 5).toString('base64'),
    SESSION_SECRET: 'smoke-test-session-secret-of-at-least-32-chars', LOG_LEVEL: 'info',
  };
  const cli = (args, input) => run(process.execPath, ['--enable-source-maps', 'scripts/start.mjs', 'cli', ...args], { cwd: runtime, env, input });
  await step('cli (built): org:create and user:create an admin', () => {
    cli(['org:create', '--name', 'Smoke Test Ltd']);
    cli(['user:create', '--role', 'admin', '--email', 'smoke@example.com', '--org', '1'], 'smoke-test-password-123\n');
  });

  const base = `http://127.0.0.1:${port}`;
  await step('web: the HEALTHCHECK command passes, /login shows the form', async () => {
    web = startRole(runtime, image, env, 'web');
    const healthcheck = () => spawnSync(process.execPath, image.healthcheck.slice(1), { env, encoding: 'utf8' }).status === 0;
    await waitFor('the HEALTHCHECK', web, healthcheck);
    const health = await fetch(`${base}/healthz`);
    if (health.status !== 200) fail(`/healthz answered ${health.status}`);
    const login = await fetch(`${base}/login`, { redirect: 'manual' });
    const page = await login.text();
    if (login.status !== 200 || !/<form[^>]+method="post"/i.test(page) || !page.includes('name="password"')) {
      fail(`/login answered ${login.status} without the login form:\n${page.slice(0, 500)}`);
    }
    const css = await fetch(`${base}/assets/app.css`);
    if (css.status !== 200) fail(`/assets/app.css answered ${css.status}`);
    if (/Building \(/.test(web.output())) fail('the runtime rebuilt: it must run dist/ as it is');
  });
  await step('web: SIGTERM exits 0', () => stopsCleanly(web, 'web'));
  await step('worker: starts its outbox workers and the plugins\' schedules', async () => {
    worker = startRole(runtime, image, env, 'worker');
    await waitFor('the worker', worker, () => worker.output().includes('plugin schedules started'));
    if (worker.output().includes('Ledgerbridge is listening')) fail('the worker listens for HTTP');
  });
  await step('worker: SIGTERM exits 0', () => stopsCleanly(worker, 'worker'));
  console.log(`\nProduction smoke test passed in ${seconds(performance.now() - started)}:`);
  for (const [name, ms] of timings) console.log(`  ${seconds(ms).padStart(8)}  ${name}`);
} catch (err) {
  console.log('FAILED');
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  for (const child of [web, worker]) if (child && child.proc.exitCode === null) child.proc.kill('SIGKILL');
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
