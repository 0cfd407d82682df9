import type { Queryable } from '../db/knex';
import type { HostEvent, HostEventType } from './events';

export type EventListener = (event: HostEvent, trx: Queryable) => Promise<void>;

/**
 * Delivers domain events to subscribers inside the caller's transaction: if a subscriber fails,
 * the change itself rolls back, so a sale can never exist without its downstream outbox items.
 * Every event is also kept in `domain_events` (audit log, and the source for history imports).
 */
export class EventBus {
  private readonly listeners = new Map<HostEventType, EventListener[]>();

  on(type: HostEventType, listener: EventListener): void {
    const list = this.listeners.get(type) ?? [];
    list.push(listener);
    this.listeners.set(type, list);
  }

  hasListeners(type: HostEventType): boolean {
    return (this.listeners.get(type)?.length ?? 0) > 0;
  }

  async emit(trx: Queryable, event: HostEvent, subject: { type: string; id: number }): Promise<void> {
    if (!trx.isTransaction) throw new Error(`event ${event.type} must be emitted inside a transaction`);
    await trx('domain_events').insert({
      org_id: event.orgId,
      type: event.type,
      subject_type: subject.type,
      subject_id: subject.id,
      payload: JSON.stringify(event.data),
      occurred_at: event.occurredAt,
    });
    for (const listener of this.listeners.get(event.type) ?? []) {
      await listener(event, trx);
    }
  }
}
