// What plugins add to the host's sale page: links to a downstream record in its service
// (PluginDefinition.externalLink, "Open in Xero") and buttons (PluginDefinition.saleActions, "Send to Xero
// now"). A plugin without the hook, or one that throws, simply adds nothing.
import type { ExternalRecordLink, RecordAction, Role } from '../plugins/contract';
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

/** Every plugin's buttons for one sale that this role may use. */
export function saleActionsFor(plugins: PluginRuntime, saleId: number, role: Role): RecordAction[] {
  return plugins.plugins.flatMap((p) => {
    try {
      return (p.definition.saleActions?.(p.context, saleId) ?? []).filter((a) => a.roles.includes(role));
    } catch {
      return [];
    }
  });
}
