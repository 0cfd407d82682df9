// What became of a provider's payouts, per organisation. A payout read from the provider is recorded with
// the host (ctx.payouts.record, idempotent) and noted in the plugin's own `<id>_payouts` table, which the
// sweep reads to skip what it already has. The settings page lists the recent ones with their outcome,
// together with payouts whose work has not succeeded (waiting to retry, or failed with the reason).
import type { OutboxItemState, PayoutInput, PluginContext, Queryable, RecordedPayout } from '../../server/plugins/contract';

export async function recordPayout(ctx: PluginContext<unknown>, payoutsTable: string, orgId: number, input: PayoutInput): Promise<RecordedPayout> {
  const recorded = await ctx.payouts.record(orgId, input);
  await ctx.db(payoutsTable)
    .insert({
      org_id: orgId, payout_id: input.providerPayoutId, currency: input.currency, amount_minor: Number(input.amountMinor), arrival_date: input.arrivalDate,
      line_count: input.lines.length, host_payout_id: recorded.payoutId, status: recorded.status, recorded_at: ctx.clock.now(),
    })
    .onConflict(['org_id', 'payout_id'])
    .ignore();
  ctx.logger.info({ orgId, payout: input.providerPayoutId, lines: input.lines.length, created: recorded.created, status: recorded.status }, 'payout recorded');
  return recorded;
}

/** Which of these provider payout ids the organisation has recorded already. */
export async function knownPayouts(db: Queryable, payoutsTable: string, orgId: number, payoutIds: readonly string[]): Promise<Set<string>> {
  if (payoutIds.length === 0) return new Set();
  const rows = (await db(payoutsTable).where({ org_id: orgId }).whereIn('payout_id', [...payoutIds]).select('payout_id')) as { payout_id: string }[];
  return new Set(rows.map((r) => r.payout_id));
}

export type Tone = 'ok' | 'warn' | 'bad';

/** One payout as the settings page shows it. */
export interface PayoutActivity {
  payoutId: string;
  arrivalDate: string;
  amount: string;
  lines: string;
  outcome: string;
  tone: Tone;
  /** Why it failed or waits (the provider's or the host's own words). */
  reason: string | null;
}

/** Work that has not succeeded and needs a person's eye (a failed charge or payment). */
export interface Attention {
  what: string;
  outcome: string;
  tone: Tone;
  reason: string;
  at: string;
}

const waitingOutcome = (item: OutboxItemState): { outcome: string; tone: Tone } => {
  if (item.status === 'dead') return { outcome: 'Failed', tone: 'bad' };
  if (item.status === 'paused') return { outcome: 'Waiting for the connection to be fixed', tone: 'bad' };
  return item.attempts > 0 ? { outcome: `Waiting to retry (${item.attempts} attempt${item.attempts === 1 ? '' : 's'} so far)`, tone: 'warn' } : { outcome: 'Queued', tone: 'warn' };
};

export interface ActivitySpec {
  payoutsTable: string;
  payoutType: string;
  /** The provider payout id of a payout item's payload. */
  payoutIdOf(payload: unknown): string;
  /** Other work types whose failures a person should see, and each item described in a few words. */
  attentionTypes: readonly string[];
  describe(item: OutboxItemState): string;
  limit?: number;
}

/** The organisation's recent payouts (unfinished and failed first) and its failed work, for the settings page. */
export async function providerActivity(ctx: PluginContext<unknown>, orgId: number, spec: ActivitySpec): Promise<{ payouts: PayoutActivity[]; attention: Attention[] }> {
  const limit = spec.limit ?? 10;
  const { timeZone } = await ctx.organisations.get(ctx.db, orgId);
  const unfinished = await ctx.outbox.list(ctx.db, { orgId, types: [spec.payoutType], excludeStatuses: ['done'], limit });
  const recorded = (await ctx.db(spec.payoutsTable).where({ org_id: orgId }).orderBy('recorded_at', 'desc').limit(limit)) as {
    payout_id: string; currency: string; amount_minor: number | string; arrival_date: string | null; line_count: number; status: string;
  }[];
  const payouts: PayoutActivity[] = [
    ...unfinished.map((item) => ({ payoutId: spec.payoutIdOf(item.payload), arrivalDate: '', amount: '', lines: '', reason: item.lastError, ...waitingOutcome(item) })),
    ...recorded.map((r) => ({
      payoutId: r.payout_id,
      arrivalDate: r.arrival_date ?? '',
      amount: `${ctx.pages.formatMoney(BigInt(r.amount_minor), r.currency)} ${r.currency}`,
      lines: String(r.line_count),
      ...(r.status === 'discrepancy'
        ? { outcome: 'Recorded, but its lines do not add up to the payout', tone: 'warn' as const, reason: null }
        : { outcome: 'Recorded', tone: 'ok' as const, reason: null }),
    })),
  ].slice(0, limit);
  const failed = spec.attentionTypes.length
    ? await ctx.outbox.list(ctx.db, { orgId, types: spec.attentionTypes, statuses: ['dead', 'paused'], limit })
    : [];
  const attention = failed.map((item) => ({
    what: spec.describe(item), ...waitingOutcome(item), reason: item.lastError ?? '', at: ctx.pages.formatDateTime(item.updatedAt, timeZone),
  }));
  return { payouts, attention };
}
