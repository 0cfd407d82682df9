// The plugins this install runs, in order. A host that embeds Ledgerbridge may pass its own list.
import type { PluginDefinition } from '../server/plugins/contract';
import { xeroPlugin } from './xero';

export const installedPlugins: PluginDefinition<unknown>[] = [xeroPlugin as unknown as PluginDefinition<unknown>];
