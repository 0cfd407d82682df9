import { Router } from 'express';
import type { HostDeps } from '../hostDeps';
import type { Queryable } from '../db/knex';
import { getOrganisation } from '../domain/organisations';
import { formatMinor } from '../domain/money';
import { requireRole } from '../auth/middleware';
import { renderPage } from './render';
import { startOfDayInZone } from './time';
import { hourlyChart, type HourlyChart } from './hourlyChart';
import type { Role } from '../auth/principal';
import { SYNC_COUNTS, type HealthPanel } from '../plugins/contract';
import type { PluginRuntime } from '../plugins/registry';
import type { Logger } from '../logger';

/** The card's counts, as SYNC_COUNTS defines them. */
export interface SyncHealth {
  /** Outbox items waiting or running (pending + leased), background work left out. */
  pending: number;
  /** Outbox items given up on (dead), background work left out: need a person. */
  dead: number;
  /** Outbox items waiting for a re-authorised connection. */
  paused: number;
  /** Downstream records whose last push failed. */
  failed: number;
  /** Background outbox items (plugins' backgroundOutboxTypes) waiting or running: shown apart. */
  background: number;
}

const countBy = async (q: Queryable, table: string, orgId: number, types?: { in?: readonly string[]; notIn?: readonly string[] }): Promise<Map<string, number>> => {
  const query = q(table).where({ org_id: orgId });
  if (types?.in) query.whereIn('type', [...types.in]);
  if (types?.notIn?.length) query.whereNotIn('type', [...types.notIn]);
  const rows = (await query.select('status').count<{ status: string; n: number | string }[]>({ n: '*' }).groupBy('status')) as {
    status: string;
    n: number | string;
  }[];
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
};

export async function syncHealth(db: Queryable, orgId: number, backgroundTypes: readonly string[] = []): Promise<SyncHealth> {
  const outbox = await countBy(db, 'outbox', orgId, { notIn: backgroundTypes });
  const background = backgroundTypes.length ? await countBy(db, 'outbox', orgId, { in: backgroundTypes }) : new Map<string, number>();
  const records = await countBy(db, 'sync_records', orgId);
  return {
    pending: (outbox.get('pending') ?? 0) + (outbox.get('leased') ?? 0),
    dead: outbox.get('dead') ?? 0,
    paused: outbox.get('paused') ?? 0,
    failed: records.get('failed') ?? 0,
    background: (background.get('pending') ?? 0) + (background.get('leased') ?? 0),
  };
}

/** Every installed plugin's background outbox types (PluginDefinition.backgroundOutboxTypes). */
export function backgroundOutboxTypes(plugins: PluginRuntime): string[] {
  return plugins.plugins.flatMap((p) => [...(p.definition.backgroundOutboxTypes ?? [])]);
}

export interface DaySummary {
  currency: string;
  count: number;
  total: string;
  refunded: string;
}

export async function salesSince(db: Queryable, orgId: number, since: number): Promise<DaySummary[]> {
  const rows = (await db('sales')
    .where({ org_id: orgId })
    .andWhere('occurred_at', '>=', since)
    .select('currency')
    .count({ n: '*' })
    .sum({ total: 'total_minor', refunded: 'refunded_minor' })
    .groupBy('currency')
    .orderBy('currency')) as { currency: string; n: number | string; total: number | string | null; refunded: number | string | null }[];
  return rows.map((r) => ({
    currency: r.currency,
    count: Number(r.n),
    total: formatMinor(Number(r.total ?? 0), r.currency),
    refunded: formatMinor(Number(r.refunded ?? 0), r.currency),
  }));
}

export interface HealthPanelView extends HealthPanel {
  pluginId: string;
  chart: HourlyChart | null;
}

/**
 * Each plugin's health panel (PluginDefinition.health), links filtered by the viewer's role. A plugin
 * whose panel fails is shown as unavailable rather than taking the dashboard down.
 */
export async function pluginHealthPanels(
  plugins: PluginRuntime, orgId: number, role: Role, timeZone: string, logger?: Logger,
): Promise<HealthPanelView[]> {
  const panels: HealthPanelView[] = [];
  for (const p of plugins.plugins) {
    if (!p.definition.health) continue;
    let panel: HealthPanel | null;
    try {
      panel = await p.definition.health(p.context, orgId);
    } catch (err) {
      logger?.error({ err, plugin: p.definition.id }, 'health panel failed');
      panel = { title: p.definition.title, status: { label: 'Status unavailable', tone: 'warn', detail: 'The health check failed; see the log.' }, facts: [] };
    }
    if (!panel) continue;
    panels.push({
      ...panel,
      links: (panel.links ?? []).filter((l) => l.roles.includes(role)),
      pluginId: p.definition.id,
      chart: panel.hourly ? hourlyChart(panel.hourly, timeZone) : null,
    });
  }
  return panels;
}

export function createDashboardPage(deps: Pick<HostDeps, 'db' | 'plugins' | 'logger'>): Router {
  const router = Router();
  router.get('/', requireRole('admin', 'staff', 'accountant'), async (req, res, next) => {
    try {
      const principal = req.principal!;
      const org = await getOrganisation(deps.db, principal.orgId);
      const today = await salesSince(deps.db, org.id, startOfDayInZone(Date.now(), org.timezone));
      const health = await syncHealth(deps.db, org.id, backgroundOutboxTypes(deps.plugins));
      const panels = await pluginHealthPanels(deps.plugins, org.id, principal.role, org.timezone, deps.logger);
      renderPage(res, 'dashboard', { title: 'Dashboard', org, today, health, panels, counts: SYNC_COUNTS });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
