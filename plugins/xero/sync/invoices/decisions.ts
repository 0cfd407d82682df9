// The invoice push's decisions, pure: what a sale's record says before anything is sent, what a look-up by
// number finds, and what each element of Xero's answer means for its item.
import { isRemovedInXero } from '../../engine/records';

/** What we already know of a sale's invoice (xero_records), before anything is sent. */
export type KnownInvoice =
  /** No record (or one without an id): it is sent, after a look-up when it may have landed. */
  | 'unknown'
  /** Voided or deleted in Xero by the accountant: never pushed again. */
  | 'removed'
  /** In Xero, and a person asked to resend: look it up to see it is still there. */
  | 'verify'
  | 'in_xero';

export function knownInvoice(record: { xeroId: string | null; status: string } | undefined, resend: boolean): KnownInvoice {
  if (!record) return 'unknown';
  if (isRemovedInXero(record.status)) return 'removed';
  if (!record.xeroId) return 'unknown';
  return resend ? 'verify' : 'in_xero';
}

/** What a look-up by InvoiceNumber found for a sale. */
export type LookedUp =
  /** An earlier attempt (or someone) created it: adopted, not created again. */
  | 'adopt'
  /** Voided or deleted there, or gone although we held it: never pushed again. */
  | 'removed'
  /** Not there: it is sent. */
  | 'send';

export function lookedUp(found: { status: string | null } | undefined, verifying: boolean): LookedUp {
  if (!found) return verifying ? 'removed' : 'send';
  return isRemovedInXero(found.status ?? 'UNKNOWN') ? 'removed' : 'adopt';
}

const UNIQUE_NUMBER = /must be unique/i;
const CONTACT_PROBLEM = /contact/i;

/** What one refused element of PUT /Invoices means for its item. */
export type Refusal =
  /** "must be unique": the number exists, perhaps from an earlier attempt; the retry looks it up (its send mark is kept). */
  | 'number_taken'
  /** A contact problem: the cached contact may be archived or gone in Xero; resolved afresh on the retry. */
  | 'contact'
  /** Anything else: the item fails with Xero's messages, for a person to fix. */
  | 'invalid';

export function refusalOf(messages: readonly string[]): Refusal {
  if (messages.some((m) => UNIQUE_NUMBER.test(m))) return 'number_taken';
  if (messages.some((m) => CONTACT_PROBLEM.test(m))) return 'contact';
  return 'invalid';
}
