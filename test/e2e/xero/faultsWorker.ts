// The outbox worker process of the fault test: what `PROCESS_ROLE=worker npm start` runs, with only the
// Xero plugin, configured by the environment. The test kills it with SIGKILL at random.
import { runWorkerProcess } from '../../support/workerProcess';
import type { PluginDefinition } from '../../../server/plugins/contract';
import { xeroPlugin } from '../../../plugins/xero';

await runWorkerProcess([xeroPlugin as PluginDefinition<unknown>]);
