// What Xero's web app shows for one record, for the emulator's stand-ins of Xero's deep links
// (portal/deepLinks.ts): the organisation it belongs to, a title and the main figures. Read-only.
import type { Book } from './model';
import type { BookStore } from './store';
import { centsToNumber, type Cents } from './money';

export type DeepLinkKind = 'invoice' | 'credit_note' | 'payment' | 'bank_transaction' | 'bank_transfer' | 'contact';

export interface RecordView {
  organisation: string;
  shortCode: string;
  title: string;
  fields: [label: string, value: string][];
}

const money = (cents: Cents, currency: string): string => `${centsToNumber(cents).toFixed(2)} ${currency}`;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function viewIn(book: Book, kind: DeepLinkKind, id: string): Omit<RecordView, 'organisation' | 'shortCode'> | undefined {
  const contactName = (contactId: string | undefined): string => (contactId === undefined ? '' : book.contacts.get(contactId)?.Name ?? contactId);
  switch (kind) {
    case 'invoice':
    case 'credit_note': {
      const doc = (kind === 'invoice' ? book.invoices : book.creditNotes).get(id);
      if (!doc) return undefined;
      const due = doc.Total - doc.AmountPaid - doc.AmountCredited;
      return {
        title: `${kind === 'invoice' ? 'Invoice' : 'Credit note'} ${doc.Number ?? ''}`.trim(),
        fields: [
          ['To', contactName(doc.ContactID)], ['Date', day(doc.Date)], ['Reference', doc.Reference ?? ''], ['Status', doc.Status],
          ['Subtotal', money(doc.SubTotal, doc.CurrencyCode)], ['Total tax', money(doc.TotalTax, doc.CurrencyCode)], ['Total', money(doc.Total, doc.CurrencyCode)],
          [kind === 'invoice' ? 'Amount due' : 'Remaining credit', money(due, doc.CurrencyCode)],
        ],
      };
    }
    case 'payment': {
      const p = book.payments.get(id);
      if (!p) return undefined;
      const doc = (p.documentKind === 'invoice' ? book.invoices : book.creditNotes).get(p.documentId);
      const currency = doc?.CurrencyCode ?? book.organisation.BaseCurrency;
      return {
        title: `Payment on ${doc?.Number ?? p.documentId}`,
        fields: [['Date', day(p.Date)], ['Amount', money(p.Amount, currency)], ['Reference', p.Reference ?? ''], ['Status', p.Status], ['Reconciled', p.IsReconciled ? 'Yes' : 'No']],
      };
    }
    case 'bank_transaction': {
      const t = book.bankTransactions.get(id);
      if (!t) return undefined;
      return {
        title: `${t.Type.startsWith('SPEND') ? 'Spend money' : 'Receive money'}: ${contactName(t.ContactID)}`,
        fields: [['Date', day(t.Date)], ['Reference', t.Reference ?? ''], ['Status', t.Status], ['Total tax', money(t.TotalTax, t.CurrencyCode ?? book.organisation.BaseCurrency)], ['Total', money(t.Total, t.CurrencyCode ?? book.organisation.BaseCurrency)]],
      };
    }
    case 'bank_transfer': {
      const t = book.bankTransfers.get(id);
      if (!t) return undefined;
      const account = (accountId: string): string => book.accounts.get(accountId)?.Name ?? accountId;
      return { title: 'Bank transfer', fields: [['From', account(t.FromAccountID)], ['To', account(t.ToAccountID)], ['Date', day(t.Date)], ['Amount', money(t.Amount, book.organisation.BaseCurrency)], ['Reference', t.Reference ?? '']] };
    }
    case 'contact': {
      const c = book.contacts.get(id);
      if (!c) return undefined;
      return { title: c.Name, fields: [['Status', c.ContactStatus], ['Email', String(c.fields.EmailAddress ?? '')]] };
    }
  }
}

/** The record in the organisation with that ShortCode, or in any organisation when none is given. */
export function viewRecord(store: BookStore, kind: DeepLinkKind, id: string, shortCode?: string): RecordView | undefined {
  const key = id.toLowerCase();
  for (const book of store.all()) {
    if (shortCode && book.organisation.ShortCode !== shortCode) continue;
    const view = viewIn(book, kind, key) ?? viewIn(book, kind, id);
    if (view) return { organisation: book.organisation.Name, shortCode: book.organisation.ShortCode, ...view };
  }
  return undefined;
}
