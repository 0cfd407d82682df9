// The Xero panel on the dashboard (PluginDefinition.health): what is waiting, what failed, when a record
// last reached Xero, the rate budget left (from the shared budget tables the workers use), the
// connection's state with the reason when it needs re-authorising or when Xero refuses this server's
// clock, and records synced per hour over the last 24 hours. A handful of indexed queries; read-only.
import { SYNC_COUNTS, type HealthPanel, type PluginContext, type Queryable } from '../../server/plugins/contract';
import type { XeroConfig } from './config';
import { getLiveConnection } from './connection/store';
import { tenantKeyOf, XERO_LIMITS } from './engine/rateBudget';
import { HISTORY_NOTE } from './sync/types';
import { isClockAlert } from './gateway/clockRefusal';
import { lastIncomingAt, webhookReceipts } from './incoming/store';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 86_400_000;

const num = (v: unknown): number => Number(v ?? 0);
const firstCount = (rows: unknown): number => num((rows as { n?: unknown }[])[0]?.n);

/** Our own count of calls against the tenant's limits: what a worker may still send right now. */
async function budgetLeft(db: Queryable, tenantKey: string, now: number): Promise<{ minute: number; perMinute: number; day: number; perDay: number; blockedUntil: number }> {
  const limits = (await db('xero_rate_budget').where({ tenant_key: tenantKey }).first('per_minute', 'per_day', 'blocked_until')) as
    | { per_minute: number; per_day: number; blocked_until: number | string }
    | undefined;
  const perMinute = limits ? num(limits.per_minute) : XERO_LIMITS.perMinute;
  const perDay = limits ? num(limits.per_day) : XERO_LIMITS.perDay;
  const minute = firstCount(await db('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '>', now - MINUTE).count({ n: '*' }));
  const day = firstCount(await db('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '>', now - DAY).count({ n: '*' }));
  return { minute: Math.max(0, perMinute - minute), perMinute, day: Math.max(0, perDay - day), perDay, blockedUntil: num(limits?.blocked_until) };
}

const when = (ms: number | null, now: number): string => {
  if (ms === null) return 'never';
  const ago = Math.max(0, now - ms);
  if (ago < MINUTE) return 'just now';
  if (ago < HOUR) return `${Math.round(ago / MINUTE)} min ago`;
  if (ago < DAY) return `${Math.round(ago / HOUR)} h ago`;
  return new Date(ms).toISOString().slice(0, 10);
};

export async function xeroHealth(ctx: PluginContext<XeroConfig>, orgId: number, now = ctx.clock.now()): Promise<HealthPanel | null> {
  const db = ctx.db;
  const connection = await getLiveConnection(db, orgId);
  // History notes are a courtesy that steps aside whenever the budget is busy (sync/historyNotes.ts): not
  // records waiting to reach Xero, so not counted as queued or failed.
  const byStatus = await ctx.outbox.countByStatus(db, { orgId, excludeTypes: [HISTORY_NOTE], statuses: ['pending', 'leased', 'paused', 'dead'] });
  if (!connection && Object.keys(byStatus).length === 0) return null; // never set up: the dashboard stays quiet

  const failedRecords = await ctx.sync.count(db, { orgId, status: 'failed' });
  const lastSuccess = await ctx.sync.lastSyncedAt(db, orgId);
  const queued = (byStatus.pending ?? 0) + (byStatus.leased ?? 0);
  const paused = byStatus.paused ?? 0;
  const dead = byStatus.dead ?? 0;

  let status: HealthPanel['status'];
  if (!connection) status = { label: 'Not connected to Xero', tone: 'bad', detail: 'Connect Xero to send what is waiting.' };
  else if (connection.status === 'needs_reauth') {
    status = { label: `Needs re-authorising (${connection.tenant_name ?? 'Xero'})`, tone: 'bad', detail: connection.last_error ?? 'Xero refused the saved authorisation; connect again.' };
  } else if (connection.status === 'choosing_tenant') status = { label: 'Waiting for an organisation to be chosen', tone: 'warn', detail: 'Finish connecting on the connection page.' };
  else if (isClockAlert(connection.last_error)) {
    // Xero refuses our signed calls' time: nothing lands until the server clock is fixed (items retry by themselves).
    status = { label: `Connected to ${connection.tenant_name ?? 'Xero'}`, tone: 'bad', detail: connection.last_error };
  } else if (dead > 0) {
    status = { label: `Connected to ${connection.tenant_name ?? 'Xero'}`, tone: 'bad', detail: `${dead === 1 ? '1 item was' : `${dead} items were`} given up: see the failures page.` };
  } else if (failedRecords > 0) {
    status = { label: `Connected to ${connection.tenant_name ?? 'Xero'}`, tone: 'warn', detail: `${failedRecords === 1 ? '1 record' : `${failedRecords} records`} failed on the last attempt.` };
  } else status = { label: `Connected to ${connection.tenant_name ?? 'Xero'}`, tone: 'ok', detail: connection.last_error ? `Last error: ${connection.last_error}` : null };

  // The host's definitions (SYNC_COUNTS): a failed record counts once under Failed; given-up work is apart.
  const facts: HealthPanel['facts'] = [
    { ...SYNC_COUNTS.waiting, value: String(queued), testId: 'xero-queued' },
    { ...SYNC_COUNTS.failed, value: String(failedRecords), tone: failedRecords > 0 ? 'warn' : undefined, testId: 'xero-failed' },
    { ...SYNC_COUNTS.givenUp, value: String(dead), tone: dead > 0 ? 'bad' : undefined, testId: 'xero-given-up' },
  ];
  if (paused > 0) facts.push({ ...SYNC_COUNTS.paused, value: String(paused), tone: 'warn', testId: 'xero-paused' });
  facts.push({ label: 'Last success', value: when(lastSuccess, now), testId: 'xero-last-success' });
  if (connection) {
    const budget = await budgetLeft(db, tenantKeyOf(orgId, connection.tenant_id), now);
    const blocked = budget.blockedUntil > now;
    // A figure as short as its neighbours' (issue 14: the phrase made its tile the widest); the day's
    // budget is in its help, shown on hover and under "What these numbers mean".
    facts.push({
      label: 'Calls left this minute',
      value: blocked ? `paused ${Math.ceil((budget.blockedUntil - now) / 1000)} s` : `${budget.minute}/${budget.perMinute}`,
      tone: blocked || budget.minute < budget.perMinute / 10 ? 'warn' : undefined,
      testId: 'xero-rate',
      help: `Xero allows ${budget.perMinute} calls a minute and ${budget.perDay.toLocaleString('en-GB')} a day for this organisation; ${budget.day.toLocaleString('en-GB')} of today's are left.`
        + (blocked ? ' Xero asked us to pause: sending resumes by itself.' : ' Sync work waits for room; it never fails for lack of it.'),
    });
  }
  // What comes back from Xero (issue 15): when an event last arrived for this organisation, and whether
  // Xero's intent-to-receive check has passed for the install's webhook (or it is not set up: polling).
  const lastEvent = await lastIncomingAt(db, orgId);
  facts.push({ label: 'Last event from Xero', value: when(lastEvent, now), testId: 'xero-last-event' });
  const receipts = await webhookReceipts(db);
  facts.push(
    !ctx.config.webhookKey
      ? { label: 'Webhooks', value: 'not set up (polling every sweep)', testId: 'xero-webhooks' }
      : receipts.intentVerifiedAt === null
        ? { label: 'Webhooks', value: 'not verified yet: save the webhook in Xero\'s developer portal', tone: 'warn', testId: 'xero-webhooks' }
        : { label: 'Webhooks', value: `verified ${when(receipts.intentVerifiedAt, now)}`, testId: 'xero-webhooks' },
  );
  return {
    title: 'Xero',
    status,
    facts,
    hourly: await ctx.sync.syncedPerHour(db, orgId, now),
    links: [
      { label: 'Failures', href: `${ctx.mountPath}/sync/failures`, roles: ['admin'] },
      { label: 'Sync log', href: `${ctx.mountPath}/sync/log`, roles: ['admin', 'accountant'] },
      { label: 'Connection', href: `${ctx.mountPath}/connection`, roles: ['admin'] },
    ],
  };
}
