// The outbox worker process of the fault test: what `PROCESS_ROLE=worker npm start` runs (bootHost →
// startOutboxWorkers), with the Xero plugin installed (plugins/index.ts does not list it yet), configured
// by the environment. Prints READY once it can be woken; the test kills it with SIGKILL at random.
import { bootHost } from '../../../server/boot';
import { startOutboxWorkers } from '../../../server/outbox/worker';
import type { PluginDefinition } from '../../../server/plugins/contract';
import { xeroPlugin } from '../../../plugins/xero';

const host = await bootHost({ plugins: [xeroPlugin as PluginDefinition<unknown>], migrate: false });
const { config, logger, plugins } = host.deps;
const workers = startOutboxWorkers({
  db: host.deps.db, handlers: plugins.handlers, concurrency: config.worker.concurrency, leaseMs: config.worker.leaseMs,
  pollMs: config.worker.pollMs, logger, notifier: host.notifier, workerIdPrefix: process.env.WORKER_ID,
});
await workers.ready;
process.stdout.write('READY\n');
process.on('SIGTERM', () => {
  void (async () => {
    await workers.stop();
    await host.close();
    process.exit(0);
  })();
});
