// One sentence per downstream record for the sale page ("Invoice LB-12 in Xero"), used both by the
// server-rendered page and by the JSON its live script polls, so the two can never word it differently.
import type { SyncRecordView } from '../domain/saleView';

const RECORD_NAMES: Record<string, string> = { invoice: 'Invoice', credit_note: 'Credit note', payment: 'Payment', allocation: 'Allocation' };

/** `xero` → `Xero`: sync records carry the plugin id; the ids are single words. */
export const pluginTitle = (pluginId: string): string => pluginId.charAt(0).toUpperCase() + pluginId.slice(1);

export function syncLabel(r: Pick<SyncRecordView, 'plugin' | 'recordType' | 'status' | 'externalRef' | 'externalId' | 'error'>): string {
  const name = RECORD_NAMES[r.recordType] ?? r.recordType.replace(/_/g, ' ');
  const where = pluginTitle(r.plugin);
  const ref = r.externalRef ?? r.externalId ?? '';
  switch (r.status) {
    case 'synced':
      return `${name} ${ref} in ${where}`.replace(/\s+/g, ' ');
    case 'deleted_upstream':
      return `${name} ${ref} was deleted in ${where}; it will not be sent again`.replace(/\s+/g, ' ');
    case 'failed':
      return `${name} not in ${where}: ${r.error ?? 'failed'}`;
    default:
      return `${name}: sending to ${where}…`;
  }
}

/** Nothing more will change without someone acting (the live script stops polling). */
export const isSettled = (status: string): boolean => status === 'synced' || status === 'failed' || status === 'deleted_upstream';
