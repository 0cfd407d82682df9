// Provider events are recorded once. Each event id is stored (unique per organisation) in the plugin's own
// events table in the same transaction as the work it asks for, so a duplicate, a replay or the sweep
// finding it again does nothing, and an accepted event can never lose its work.
import type { PluginContext, Queryable } from '../../server/plugins/contract';
import { enqueueWork, type Work } from './work';

export interface ProviderEvent {
  id: string;
  /** The plugin's own columns of its events table (type, action, …), beside org_id, event_id and received_at. */
  row: Record<string, unknown>;
  /** What the event asks for, or null when it is only recorded. */
  work: Work | null;
}

export async function acceptEvents(ctx: PluginContext<unknown>, trx: Queryable, eventsTable: string, orgId: number, events: readonly ProviderEvent[]): Promise<{ accepted: number; duplicates: number }> {
  let accepted = 0;
  for (const event of events) {
    const inserted = (await trx(eventsTable)
      .insert({ ...event.row, org_id: orgId, event_id: event.id, received_at: ctx.clock.now() })
      .onConflict(['org_id', 'event_id'])
      .ignore()
      .returning('id')) as unknown[];
    if (inserted.length === 0) continue;
    accepted += 1;
    if (event.work) await enqueueWork(ctx, trx, orgId, event.work);
  }
  return { accepted, duplicates: events.length - accepted };
}
