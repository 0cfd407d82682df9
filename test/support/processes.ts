// Real app processes for multi-process tests and benchmarks: `node --import tsx server/main.ts` with
// PROCESS_ROLE=web (HTTP on its own port) or worker (outbox workers), exactly what an install runs.
// Ready means: a web process answers /healthz; a worker logged "outbox workers started". kill9() is
// SIGKILL — no shutdown hooks, leases left behind — which is the point of crash tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type ProcessRole = 'web' | 'worker';

export interface AppProcess {
  id: string;
  role: ProcessRole;
  proc: ChildProcess;
  /** Web processes: http://127.0.0.1:<port>. */
  url: string | null;
  alive: boolean;
  isReady: boolean;
  /** Resolves when the process can take work; rejects if it exits first. */
  ready: Promise<void>;
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** A TCP port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SpawnOptions {
  id: string;
  role: ProcessRole;
  /** DATABASE_URL, DATA_DIR, MASTER_KEY, XERO_* ... (PROCESS_ROLE, PORT and LOG_LEVEL are set here). */
  env: Record<string, string>;
  /** Print the child's stderr (default: only when CHILD_LOGS is set). */
  stderr?: boolean;
  /** Another entry point than server/main.ts (a benchmark's worker harness), relative to the repository. */
  entry?: string;
  /** The stdout text that means ready, for another entry point (web or worker). */
  readyMarker?: string;
  /** SIGKILL the process when this aborts (a test's scope: see scope.ts). */
  signal?: AbortSignal;
}

export async function spawnAppProcess(opts: SpawnOptions): Promise<AppProcess> {
  const port = opts.role === 'web' ? await freePort() : null;
  // `source`: the package's own entries (ledgerbridge/embed, which examples/booking-host imports) resolve to
  // the TypeScript sources, as in the test runner, never to a dist/ build that may be stale or missing.
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', opts.entry ?? 'server/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env, NODE_ENV: 'test', ...opts.env, PROCESS_ROLE: opts.role, LOG_LEVEL: 'info',
      ...(port ? { PORT: String(port), HOST: '127.0.0.1' } : {}),
    },
    stdio: ['ignore', 'pipe', opts.stderr ?? process.env.CHILD_LOGS ? 'inherit' : 'ignore'],
    ...(opts.signal ? { signal: opts.signal, killSignal: 'SIGKILL' as const } : {}),
  });
  // An aborted signal kills the child and reports it as an 'error' event: expected, not a failure.
  proc.on('error', (err) => {
    if (err.name !== 'AbortError') throw err;
  });
  const url = port ? `http://127.0.0.1:${port}` : null;
  const p: AppProcess = {
    id: opts.id, role: opts.role, proc, url, alive: true, isReady: false, ready: Promise.resolve(),
    async kill9() {
      if (!p.alive) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 5_000) {
      if (!p.alive) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  proc.once('exit', () => (p.alive = false));
  let out = '';
  p.ready = new Promise<void>((resolve, reject) => {
    proc.once('exit', (code, signal) => reject(new Error(`${opts.id} exited (${code ?? signal}) before it was ready${process.env.CHILD_LOGS ? '' : ' (set CHILD_LOGS=1 to see why)'}`)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (p.isReady) return; // keep draining the pipe, stop looking
      out += chunk.toString();
      if (out.includes(opts.readyMarker ?? (opts.role === 'worker' ? 'outbox workers started' : 'Ledgerbridge is listening'))) {
        p.isReady = true;
        resolve();
      }
    });
  });
  p.ready.catch(() => undefined); // a process killed before it was ready is not an unhandled rejection
  return p;
}
