// One batch of refunds on its way to Xero as credit notes: what every step of the push reads and writes.
import type { OutboxItem, RefundSnapshot, SaleSnapshot } from '../../../../server/plugins/contract';
import type { AuditEntry } from '../../engine/audit';
import type { BatchRecorder } from '../../engine/batchRecorder';
import type { RecordKey, XeroRecord } from '../../engine/records';
import type { XeroSession } from '../../engine/session';
import type { XeroServices } from '../../engine/services';
import type { CreditNoteAnswer } from '../../gateway/answers';
import type { ResolvedMappings } from '../../mappings/types';
import type { BuiltCreditNote } from '../../payloads';
import type { CreditNotePushPayload } from '../types';

export type Item = OutboxItem<CreditNotePushPayload>;

export interface Batch {
  svc: XeroServices;
  session: XeroSession;
  mappings: ResolvedMappings;
  /** The organisation's time zone: notes and pay-outs are dated on their day there. */
  timeZone: string;
  /** The last day locked in Xero, as last read (../lockDates.ts); null: nothing known to be locked. */
  lockedUpTo: string | null;
  recorder: BatchRecorder<CreditNotePushPayload>;
  /** The xero_records of each step: the sale's invoice, the refund's note, its allocation and its pay-out. */
  keys: Record<'invoice' | 'note' | 'allocation' | 'payOut', RecordKey>;
}

export function recordKeys(orgId: number, tenantId: string): Batch['keys'] {
  const note: RecordKey = { orgId, tenantId, entityType: 'refund', recordType: 'credit_note' };
  return {
    invoice: { orgId, tenantId, entityType: 'sale', recordType: 'invoice' },
    note,
    allocation: { ...note, recordType: 'allocation' },
    payOut: { ...note, recordType: 'refund_payment' },
  };
}

/** A refund whose host records were found. */
export interface LoadedRefund {
  item: Item;
  index: number;
  refund: RefundSnapshot;
  sale: SaleSnapshot;
}

/** A refund past the guard, and how far it got. */
export interface RefundWork extends LoadedRefund {
  invoice: XeroRecord;
  number: string;
  creditNoteId?: string;
  /** The steps recorded before this attempt (read once after the guard). */
  allocationRecord?: XeroRecord;
  payOutRecord?: XeroRecord;
  /** The note as Xero holds it, when a reconcile found it: what earlier attempts already did on it. */
  adopted?: CreditNoteAnswer;
  built?: BuiltCreditNote;
  allocatedCents: number;
  paidOutCents: number;
  /** Credit (hundredths) still to pay out or keep, once allocated. */
  remainingCents?: number;
  /** What the refund's sync state says besides "synced" (not allocated, kept as credit, …). */
  notes: string[];
  /** Said on the refund (its sync note), the Xero records and the trail when its note or pay-out was moved out of a locked period. */
  moved?: string[];
  audit: AuditEntry[];
}

/** The refunds no step has decided yet (failed, skipped). */
export const undecided = (b: Batch, work: readonly RefundWork[]): RefundWork[] => work.filter((w) => !b.recorder.results[w.index]);
