// What plugins add to the host's sale page: links to a downstream record in its service
// (PluginDefinition.externalLink, "Open in Xero"), buttons (PluginDefinition.saleActions, "Send to Xero
// now") and figures (PluginDefinition.saleFigures, the invoice's net / VAT / total as Xero computed them).
// A plugin without the hook, or one that throws, simply adds nothing.
import type { ExternalRecordLink, RecordAction, Role, SaleFigures } from '../plugins/contract';
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

/** Every plugin's figures for one sale, in the install's plugin order. A plugin that fails adds nothing (logged). */
export async function saleFiguresFor(plugins: PluginRuntime, orgId: number, saleId: number): Promise<SaleFigures[]> {
  const all = await Promise.all(plugins.plugins.map(async (p) => {
    if (!p.definition.saleFigures) return null;
    try {
      return await p.definition.saleFigures(p.context, { orgId, saleId });
    } catch (err) {
      p.context.logger.warn({ err, saleId }, 'sale figures unavailable');
      return null;
    }
  }));
  return all.filter((f): f is SaleFigures => f !== null);
}
