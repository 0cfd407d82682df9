// What one batch of the payment push carries through its steps (push.ts: the payment on its invoice;
// credit.ts: an overpayment's excess, and a payment from the customer's credit).
import type { OutboxItem, PaymentSnapshot } from '../../../../server/plugins/contract';
import type { BatchRecorder } from '../../engine/batchRecorder';
import type { RecordKey } from '../../engine/records';
import type { XeroSession } from '../../engine/session';
import type { XeroServices } from '../../engine/services';
import type { ResolvedMappings } from '../../mappings/types';
import type { PaymentPushPayload } from '../types';

export type Item = OutboxItem<PaymentPushPayload>;

export interface Batch {
  svc: XeroServices;
  session: XeroSession;
  mappings: ResolvedMappings;
  /** The organisation's time zone: a payment is dated on its day there. */
  timeZone: string;
  /** The last day locked in Xero, as last read (../lockDates.ts); null: nothing known to be locked. */
  lockedUpTo: string | null;
  recorder: BatchRecorder<PaymentPushPayload>;
  keys: { invoice: RecordKey; payment: RecordKey; overpayment: RecordKey };
}

export interface Loaded { item: Item; index: number; payment: PaymentSnapshot }
