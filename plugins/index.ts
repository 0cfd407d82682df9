// The plugins this install runs, in order. A host that embeds Ledgerbridge may pass its own list.
import type { PluginDefinition } from '../server/plugins/contract';
import { xeroPlugin } from './xero';
import { stripePlugin } from './stripe';
import { gocardlessPlugin } from './gocardless';

export const installedPlugins: PluginDefinition<unknown>[] = [
  xeroPlugin as unknown as PluginDefinition<unknown>,
  stripePlugin as unknown as PluginDefinition<unknown>,
  gocardlessPlugin as unknown as PluginDefinition<unknown>,
];
