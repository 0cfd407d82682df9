// The per-batch bookkeeping every push service shares: one result slot per item, and the shorthands that
// fill it (failed, skipped because removed in Xero) with the sync state and audit row of that record kind.
// Also the first step of every batch: load the organisation's mappings, or fail every item with the reason.
import type { OutboxItem, OutboxOutcome, SyncEntityType, SyncRecordUpdate } from '../../../server/plugins/contract';
import { PermanentError } from '../../../server/errors';
import type { ResolvedMappings } from '../payloads';
import type { AuditEntry } from './audit';

import { done, failed, finishBatch, type ItemResult } from './outcomes';
import { permanentMessage, type SyncServices } from './services';
import type { TriggeredBy, XeroRecordType } from './types';

type AuditFields = Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'recordType'>;

export interface BatchRecorder<P> {
  results: (ItemResult | undefined)[];
  syncOf(entityId: number): SyncRecordUpdate;
  audit(item: OutboxItem<P>, entry: AuditFields): AuditEntry;
  fail(item: OutboxItem<P>, index: number, message: string, extra?: Partial<AuditEntry>): void;
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
    fail(item, index, message, extra = {}) {
      results[index] = failed(message, syncOf(scope.entityId(item.payload)), [audit(item, { action: 'failed', outcome: 'failed', message, ...extra })]);
    },
    skip(item, index, message) {
      results[index] = done({ ...syncOf(scope.entityId(item.payload)), status: 'deleted_upstream', error: message }, [audit(item, { action: 'skipped', outcome: 'skipped', message })]);
    },
  };
}

/** The organisation's mappings, or — when one is missing — every item failed with the reason and the batch finished. */
export async function mappingsOrFinish<P>(
  svc: SyncServices, orgId: number, items: OutboxItem<P>[], batch: BatchRecorder<P>, workerId: string,
): Promise<{ mappings: ResolvedMappings } | { finished: OutboxOutcome[] }> {
  try {
    return { mappings: await svc.mappings(orgId) };
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    items.forEach((item, index) => batch.fail(item, index, permanentMessage(err)));
    return { finished: await finishBatch(svc.ctx, items, batch.results as ItemResult[], workerId) };
  }
}
