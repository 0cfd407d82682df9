// Links from the host's pages to a downstream record in its service (PluginDefinition.externalLink): the
// sale page's "Open in Xero". A plugin without the hook, or one that throws, simply shows no link.
import type { ExternalRecordLink } from '../plugins/contract';
import type { PluginRuntime } from '../plugins/registry';

export type ExternalLinkOf = (record: { plugin: string; recordType: string; externalId: string | null }) => ExternalRecordLink | null;

export function externalLinkOf(plugins: PluginRuntime): ExternalLinkOf {
  return (record) => {
    if (!record.externalId) return null;
    const loaded = plugins.plugins.find((p) => p.definition.id === record.plugin);
    if (!loaded?.definition.externalLink) return null;
    try {
      return loaded.definition.externalLink(loaded.context, { recordType: record.recordType, externalId: record.externalId });
    } catch {
      return null;
    }
  };
}
