// What plugins add to the host's sale page: links to a downstream record in its service
// (PluginDefinition.externalLink, "Open in Xero"), buttons (PluginDefinition.saleActions, "Send to Xero
// now") and figures (PluginDefinition.saleFigures, the invoice's net / VAT / total as Xero computed them).
// A plugin without the hook, or one that throws, simply adds nothing.
import type { ExternalRecordLink, RecordAction, Role, SaleFigures } from '../plugins/contract';
import type { PluginRuntime } from '../plugins/registry';

export type ExternalLinkOf = (record: { plugin: string; recordType: string; externalId: string | null }) => ExternalRecordLink | null;

type RecordLinker = (record: { recordType: string; externalId: string }) => ExternalRecordLink | null;

/** Each plugin's links for one organisation's records (externalLinks read once, else externalLink). */
export async function externalLinkOf(plugins: PluginRuntime, orgId: number): Promise<ExternalLinkOf> {
  const linkers = new Map<string, RecordLinker>();
  for (const p of plugins.plugins) {
    const def = p.definition;
    try {
      if (def.externalLinks) linkers.set(def.id, await def.externalLinks(p.context, orgId));
      else if (def.externalLink) linkers.set(def.id, (record) => def.externalLink!(p.context, record));
    } catch (err) {
      p.context.logger.warn({ err, orgId }, 'links to records unavailable');
    }
  }
  return (record) => {
    const linker = linkers.get(record.plugin);
    if (!record.externalId || !linker) return null;
    try {
      return linker({ recordType: record.recordType, externalId: record.externalId });
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
