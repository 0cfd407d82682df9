// The outbox worker process of bench/xero-memory.ts (not a benchmark itself: run-bench skips *-harness.ts):
// what `PROCESS_ROLE=worker npm start` runs — bootHost with the Xero plugin, startOutboxWorkers with the
// app's settings — configured by the environment. Every 50 ms it prints one JSON line with its memory:
// peak RSS so far (the kernel's high-water mark), RSS and V8 heap now, so the parent sees the peak even
// when it stops this process with SIGTERM.
import { runWorkerProcess } from '../test/support/workerProcess';
import type { PluginDefinition } from '../server/plugins/contract';
import { xeroPlugin } from '../plugins/xero';

let heapPeak = 0;
const sample = () => {
  const m = process.memoryUsage();
  heapPeak = Math.max(heapPeak, m.heapUsed);
  process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, rss: m.rss, heapUsed: m.heapUsed, heapPeak })}\n`);
};
sample();
const timer = setInterval(sample, 50);
await runWorkerProcess([xeroPlugin as PluginDefinition<unknown>], {
  onStop: () => {
    clearInterval(timer);
    sample();
  },
});
