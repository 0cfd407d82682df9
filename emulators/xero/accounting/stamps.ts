// What the webhooks half needs to see of the books (contracts.ts ResourceStamp): one fingerprint per invoice,
// credit note and contact that changes whenever Xero would send an UPDATE for it. Xero fires an INVOICE
// event when a payment is applied or deleted, which moves AmountPaid/AmountDue but, on a frozen emulator
// clock, not necessarily UpdatedDateUTC; so the amounts are part of the fingerprint.
import type { ResourceStamp } from '../contracts';
import type { Book, DocumentRecord } from './model';

const documentPrint = (d: DocumentRecord): string =>
  [d.UpdatedDateUTC, d.Status, d.Total, d.AmountPaid, d.AmountCredited, d.Number ?? '', d.Reference ?? '', d.lines.length].join('|');

export function resourceStampsOf(book: Book): ResourceStamp[] {
  const tenantId = book.organisation.OrganisationID;
  const out: ResourceStamp[] = [];
  for (const inv of book.invoices.values()) out.push({ tenantId, category: 'INVOICE', resourceId: inv.id, fingerprint: documentPrint(inv) });
  for (const note of book.creditNotes.values()) {
    out.push({ tenantId, category: 'CREDITNOTE', resourceId: note.id, fingerprint: documentPrint(note), data: { Type: note.Type, Status: note.Status } });
  }
  for (const c of book.contacts.values()) {
    out.push({ tenantId, category: 'CONTACT', resourceId: c.ContactID, fingerprint: [c.UpdatedDateUTC, c.Name, c.ContactStatus, JSON.stringify(c.fields)].join('|') });
  }
  return out;
}
