// The per-batch bookkeeping every push service shares: one result slot per item, and the shorthands that
// fill it (failed, skipped because removed in Xero) with the sync state and audit row of that record kind.
import type { OutboxItem, SyncEntityType, SyncRecordUpdate } from '../../../server/plugins/contract';
import type { AuditEntry } from './audit';
import { done, failed, type ItemResult } from './outcomes';
import type { TriggeredBy, XeroRecordType } from './types';

type AuditFields = Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'recordType'>;

export interface BatchRecorder<P> {
  results: (ItemResult | undefined)[];
  syncOf(entityId: number): SyncRecordUpdate;
  audit(item: OutboxItem<P>, entry: AuditFields): AuditEntry;
  /** `note`: the mapping to fix ("Mapping to fix: …"), shown on the sale beside the error. */
  fail(item: OutboxItem<P>, index: number, message: string, extra?: Partial<AuditEntry>, note?: string): void;
  /** Removed in Xero: done, marked deleted upstream, never pushed again. */
  skip(item: OutboxItem<P>, index: number, message: string): void;
}

export function batchRecorder<P extends { triggeredBy?: TriggeredBy }>(
  items: readonly OutboxItem<P>[],
  scope: { orgId: number; entityType: SyncEntityType; recordType: XeroRecordType; entityId(payload: P): number },
): BatchRecorder<P> {
  const { orgId, entityType, recordType } = scope;
  const results: (ItemResult | undefined)[] = items.map(() => undefined);
  const syncOf = (entityId: number): SyncRecordUpdate => ({ orgId, entityType, entityId, recordType, status: 'synced' });
  const audit = (item: OutboxItem<P>, entry: AuditFields): AuditEntry => ({
    orgId, entityType, entityId: scope.entityId(item.payload), recordType, triggeredBy: item.payload.triggeredBy ?? 'system', outboxItemId: item.id, ...entry,
  });
  return {
    results,
    syncOf,
    audit,
    fail(item, index, message, extra = {}, note) {
      const said = note ? `${message} (${note})` : message;
      results[index] = failed(message, syncOf(scope.entityId(item.payload)), [audit(item, { action: 'failed', outcome: 'failed', message: said, ...extra })], note);
    },
    skip(item, index, message) {
      results[index] = done({ ...syncOf(scope.entityId(item.payload)), status: 'deleted_upstream', error: message }, [audit(item, { action: 'skipped', outcome: 'skipped', message })]);
    },
  };
}
