// Boot: config → db → migrate → plugins → app → listen (web) → workers, housekeeping and plugin schedules
// (worker). PROCESS_ROLE=all runs both. Stops cleanly on SIGINT/SIGTERM.
import type { Server } from 'node:http';
import { bootHost, startHostWorkers } from './boot';
import { createApp } from './app';
import { ConfigError } from './errors';
import { startHousekeeping } from './housekeeping/schedule';
import { installedPlugins } from './plugins/installed';

async function main(): Promise<void> {
  const host = await bootHost({ plugins: installedPlugins });
  const { config, logger, plugins } = host.deps;
  const stops: (() => Promise<void>)[] = [];

  let server: Server | undefined;
  if (config.processRole !== 'worker') {
    const app = createApp(host.deps);
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.once('error', reject);
    });
    logger.info({ url: config.publicUrl, port: config.port, host: config.host }, 'Ledgerbridge is listening');
    stops.push(() => new Promise<void>((resolve) => server!.close(() => resolve())));
  }
  if (config.processRole !== 'web') {
    const workers = startHostWorkers(host);
    stops.push(() => workers.stop());
    stops.push(startHousekeeping({ db: host.deps.db, events: host.deps.events, logger, retention: config.retention }));
    logger.info({ concurrency: config.worker.concurrency, types: [...plugins.handlers.keys()] }, 'outbox workers started');
    // Plugins' background schedules (nightly sweeps) run where the background work runs: with N web and
    // M worker processes, only the M start them.
    const schedules = await host.runtime.startSchedules();
    stops.push(() => schedules.stop());
    logger.info({ plugins: schedules.scheduled }, 'plugin schedules started');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const stop of stops.reverse()) await stop().catch((err) => logger.error({ err }, 'stop failed'));
    await host.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    console.error('Fix these settings (see docs/operators.md, "Configuration") and start again.');
  } else {
    console.error(err);
  }
  process.exit(1);
});
