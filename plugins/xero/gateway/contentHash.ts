// The content of an invoice as Xero holds it, hashed: what a person could change in Xero (contact, number,
// reference, dates, lines, amounts, tax, currency) and nothing that payments, credit-note allocations,
// emailing or history notes move (AmountDue, Payments, PAID, SentToContact, UpdatedDateUTC). Taken from the
// answer to our own create, it is what we wrote; taken again from a read-back, an equal hash is our own write
// echoing back and a different one is someone's change in Xero to a record we wrote (issue 15).
//
// Only fields Xero answers identically on create and on read: UnitAmount is left out (a read without unitdp
// rounds it to 2 dp while our create used 4); LineAmount carries a price change. Line items must be in the
// answer (a create, a single read, or a paged list: gateway.getInvoices pages for this reason).
import { createHash } from 'node:crypto';
import type { Invoice, LineItem } from 'xero-node';

const day = (value: string | undefined): string | null => (value ? String(value).slice(0, 10) : null);
const num = (value: number | undefined): string | null => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(4) : null);
const str = (value: unknown): string | null => (value === undefined || value === null || value === '' ? null : String(value));

function line(l: LineItem): unknown[] {
  const tracking = (l.tracking ?? []).map((t) => `${str(t.name)}=${str(t.option)}`).sort();
  return [str(l.description), num(l.quantity), str(l.accountCode), str(l.itemCode), str(l.taxType), num(l.lineAmount), num(l.discountRate), tracking];
}

export function invoiceContentHash(inv: Invoice): string {
  const status = str(inv.status);
  const content = [
    str(inv.type), str(inv.invoiceNumber), str(inv.reference), str(inv.contact?.contactID)?.toLowerCase() ?? null,
    day(inv.date), day(inv.dueDate), str(inv.lineAmountTypes), str(inv.currencyCode),
    // Paying an invoice in full makes it PAID: a payment, not an edit (payments are reconciled on their own).
    status === 'PAID' ? 'AUTHORISED' : status,
    (inv.lineItems ?? []).map(line),
    num(inv.subTotal), num(inv.totalTax), num(inv.total),
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}
