// Change detection: after any request that may have changed the books (the Accounting API by any app, the
// control API acting as the accountant), the books' resource stamps are compared with the last ones seen.
// A resource never seen before is a CREATE, a changed fingerprint an UPDATE (deletes and voids are UPDATEs
// in Xero too). Working from the books rather than from each route means no write path can forget to fire.
import type { ResourceStamp } from '../contracts';

export interface ChangeEvent {
  tenantId: string;
  category: ResourceStamp['category'];
  eventType: 'CREATE' | 'UPDATE';
  resourceId: string;
  data?: ResourceStamp['data'];
}

const keyOf = (s: ResourceStamp): string => `${s.tenantId}/${s.category}/${s.resourceId}`;

export class ChangeTracker {
  private seen = new Map<string, string>();

  constructor(private readonly stamps: () => ResourceStamp[]) {
    this.baseline();
  }

  /** Forget the differences (at start, after reset or restore): the books as they are fire nothing. */
  baseline(): void {
    this.seen = new Map(this.stamps().map((s) => [keyOf(s), s.fingerprint]));
  }

  /** What changed since the last call, in the books' order. */
  collect(): ChangeEvent[] {
    const next = new Map<string, string>();
    const events: ChangeEvent[] = [];
    for (const stamp of this.stamps()) {
      const key = keyOf(stamp);
      next.set(key, stamp.fingerprint);
      const before = this.seen.get(key);
      if (before === stamp.fingerprint) continue;
      events.push({
        tenantId: stamp.tenantId, category: stamp.category, eventType: before === undefined ? 'CREATE' : 'UPDATE', resourceId: stamp.resourceId,
        ...(stamp.data ? { data: stamp.data } : {}),
      });
    }
    this.seen = next;
    return events;
  }
}
