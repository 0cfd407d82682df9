// The lifetime of a long test (crash, fault and multi-process suites): its loops, sleeps, requests and
// child processes all end when the test ends, however it ends. Node's test runner aborts the test
// context's signal on a timeout, but it cannot stop a loop that never looks at it, and a child process
// with an open pipe keeps the test file alive forever (seen: a timed-out crash suite held CI until the
// 45-minute watchdog). So every loop asks `scope.active`, every wait is `scope.sleep`, every request
// carries `scope.signal`, every process is spawned through `scope.spawn`, and `after()` calls
// `scope.close()`, which kills what is left and waits for it to exit.
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnAppProcess, type AppProcess, type SpawnOptions } from './processes';

export class TestScope {
  readonly #controller = new AbortController();
  readonly #processes = new Set<AppProcess>();

  /** Aborted when the test's own signal aborts (timeout, cancel) or when close() runs. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get active(): boolean {
    return !this.#controller.signal.aborted;
  }

  /** Tie this scope to a test context's signal (`it('…', async (t) => scope.follow(t.signal))`). */
  follow(signal: AbortSignal): this {
    if (signal.aborted) this.#controller.abort(signal.reason);
    else signal.addEventListener('abort', () => this.#controller.abort(signal.reason), { once: true });
    return this;
  }

  /** Wait `ms`, or less if the scope ends first. Resolves `true` while the scope is still active. */
  async sleep(ms: number): Promise<boolean> {
    try {
      await delay(ms, undefined, { signal: this.signal });
    } catch {
      // Aborted: the caller's loop sees `false` and ends.
    }
    return this.active;
  }

  /** A signal for one request: aborted by the scope's end or after `timeoutMs`. */
  requestSignal(timeoutMs: number): AbortSignal {
    return AbortSignal.any([this.signal, AbortSignal.timeout(timeoutMs)]);
  }

  /** Spawn an app process that is SIGKILLed when the scope ends (refused once it has ended). */
  async spawn(opts: Omit<SpawnOptions, 'signal'>): Promise<AppProcess> {
    this.signal.throwIfAborted();
    const p = await spawnAppProcess({ ...opts, signal: this.signal });
    this.#processes.add(p);
    return p;
  }

  /** End the scope: abort every loop and request, SIGKILL every process, wait until each has exited. */
  async close(): Promise<void> {
    if (this.active) this.#controller.abort(new Error('test scope closed'));
    await Promise.all([...this.#processes].map(async (p) => {
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
      const exited = once(p.proc, 'exit');
      p.proc.kill('SIGKILL');
      await exited;
    }));
  }
}
