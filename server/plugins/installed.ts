// The one host file that names the install's plugins: it reads the install's list (plugins/index.ts). The
// rest of the host knows plugins only through the runtime built from this list; lint and
// test/unit/plugins/boundary.test.ts refuse any other host import of plugins/.
import type { PluginDefinition } from './contract';
import { installedPlugins as listed } from '../../plugins';

export const installedPlugins: readonly PluginDefinition<unknown>[] = listed;
