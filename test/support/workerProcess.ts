// The body of a worker child process for tests and benchmarks: boot the host (migrations already ran),
// start its outbox workers as PROCESS_ROLE=worker would, print READY for the parent, and stop cleanly on
// SIGTERM (SIGKILL, the point of several tests, needs no handling).
import { bootHost, startHostWorkers, type BootedHost } from '../../server/boot';
import type { PluginDefinition } from '../../server/plugins/contract';

export async function runWorkerProcess(plugins: PluginDefinition<unknown>[], opts: { onStop?: () => void } = {}): Promise<BootedHost> {
  const host = await bootHost({ plugins, migrate: false });
  const workers = startHostWorkers(host, process.env.WORKER_ID ? { workerIdPrefix: process.env.WORKER_ID } : {});
  await workers.ready;
  process.stdout.write('READY\n');
  process.on('SIGTERM', () => {
    void (async () => {
      await workers.stop();
      opts.onStop?.();
      await host.close();
      process.exit(0);
    })();
  });
  return host;
}
