// One outbox worker process of bench/scale-workers.ts (not a benchmark itself: run-bench skips
// *-harness.ts). What `PROCESS_ROLE=worker npm start` runs — bootHost with the Xero plugin and
// startOutboxWorkers with the app's settings — except that the plugin's rate budget reads the emulator's
// clock, which runs BENCH_CLOCK_SPEED times faster than real time: the clock is anchored once from the
// emulator's control API (GET /_emulator/clock) and advanced locally at the same speed, so every worker
// process and the emulator agree on what "a minute" is. Prints READY once it can be woken.
import { runWorkerProcess } from '../test/support/workerProcess';
import type { PluginDefinition } from '../server/plugins/contract';
import { xeroPlugin } from '../plugins/xero';
import { xeroHandlers } from '../plugins/xero/handlers';

const emulatorUrl = process.env.XERO_API_URL;
if (!emulatorUrl) throw new Error('XERO_API_URL (the emulator) is required');
const view = (await (await fetch(`${emulatorUrl}/_emulator/clock`)).json()) as { now: number; speed: number };
const anchorReal = performance.now();
const now = () => Math.floor(view.now + (performance.now() - anchorReal) * view.speed);

const plugin = {
  ...xeroPlugin,
  handlers: (ctx: Parameters<typeof xeroHandlers>[0]) => xeroHandlers(ctx, { budgetClock: { now, timeScale: view.speed } }),
} as unknown as PluginDefinition<unknown>;
await runWorkerProcess([plugin]);
