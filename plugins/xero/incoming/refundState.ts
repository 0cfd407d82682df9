// Pure: what a refund should say about its credit note in Xero (issue 15), from the note as Xero has it now
// and what our own writes did to it (the allocation and pay-out the credit-note push recorded). Null when the
// note is exactly as we left it: our own writes echoing back tell the refund nothing. Otherwise, in words:
// settled in Xero (allocated and/or paid out there, nothing left), part settled (credit left), open again (our
// allocation or pay-out removed there), or voided/deleted.
import { isRemovedInXero } from '../engine/records';

export interface NoteInXero {
  number: string | null;
  status: string | null;
  totalCents: number;
  allocatedCents: number;
  paidOutCents: number;
}

export interface OurSettlement { allocatedCents: number; paidOutCents: number }

/** Xero keeps 2 dp; shown as Xero shows it. */
const amount = (cents: number): string => (cents / 100).toFixed(2);

export function refundStateInXero(note: NoteInXero, ours: OurSettlement): string | null {
  if (isRemovedInXero(note.status)) return `Credit note ${note.number ?? ''} ${note.status === 'VOIDED' ? 'voided' : 'deleted'} in Xero`.replace('  ', ' ');
  if (note.allocatedCents === ours.allocatedCents && note.paidOutCents === ours.paidOutCents) return null;
  const done = [
    ...(note.allocatedCents > 0 ? [`${amount(note.allocatedCents)} allocated`] : []),
    ...(note.paidOutCents > 0 ? [`${amount(note.paidOutCents)} paid out`] : []),
  ];
  const left = note.totalCents - note.allocatedCents - note.paidOutCents;
  if (done.length === 0) return `Open in Xero: ${amount(note.totalCents)} credit not used`;
  if (left <= 0) return `Settled in Xero: ${done.join(', ')}`;
  return `Part settled in Xero: ${done.join(', ')}; ${amount(left)} credit left`;
}
