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
      // A prepayment is opened as the bank transaction that made it (in Xero they share the id; here the
      // prepayment may keep an id of its own, so it is looked up by that too).
      const t = book.bankTransactions.get(id) ?? [...book.bankTransactions.values()].find((x) => x.PrepaymentID === id);
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

/** The path of a record's page (Xero's deep-link paths, served by portal/deepLinks.ts). */
export function deepLinkPath(kind: DeepLinkKind, id: string): string {
  const e = encodeURIComponent(id);
  switch (kind) {
    case 'invoice': return `/AccountsReceivable/View.aspx?InvoiceID=${e}`;
    case 'credit_note': return `/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=${e}`;
    case 'payment': return `/Bank/ViewTransaction.aspx?paymentID=${e}`;
    case 'bank_transaction': return `/Bank/ViewTransaction.aspx?bankTransactionID=${e}`;
    case 'bank_transfer': return `/Bank/ViewTransfer.aspx?bankTransferID=${e}`;
    case 'contact': return `/Contacts/View/${e}`;
  }
}

export interface BookSection {
  id: string;
  title: string;
  columns: string[];
  /** Each row's cells; the first links to the record's page. */
  rows: { href: string; cells: string[] }[];
}

/**
 * An organisation's books as a person reads them (the page the demo prints instead of the JSON control
 * API): its invoices, credit notes, payments, bank transactions and transfers, newest first, each linking
 * to its record's page. Undefined for an unknown organisation.
 */
export function viewBook(store: BookStore, tenantId: string): { organisation: string; sections: BookSection[] } | undefined {
  const book = store.get(tenantId);
  if (!book) return undefined;
  const base = book.organisation.BaseCurrency;
  const contactName = (contactId: string | undefined): string => (contactId === undefined ? '' : book.contacts.get(contactId)?.Name ?? '');
  const accountName = (accountId: string): string => book.accounts.get(accountId)?.Name ?? accountId;
  const newest = <T extends { Date: number }>(items: Iterable<T>): T[] => [...items].sort((a, b) => b.Date - a.Date);
  const documents = (kind: 'invoice' | 'credit_note', docs: Iterable<DocumentRecordLike>): BookSection['rows'] => newest(docs).map((d) => ({
    href: deepLinkPath(kind, d.id),
    cells: [d.Number ?? '(no number)', day(d.Date), contactName(d.ContactID), d.Reference ?? '', money(d.Total, d.CurrencyCode), d.Status],
  }));
  return {
    organisation: book.organisation.Name,
    sections: [
      { id: 'invoices', title: 'Invoices', columns: ['Number', 'Date', 'To', 'Reference', 'Total', 'Status'], rows: documents('invoice', book.invoices.values()) },
      { id: 'credit-notes', title: 'Credit notes', columns: ['Number', 'Date', 'To', 'Reference', 'Total', 'Status'], rows: documents('credit_note', book.creditNotes.values()) },
      {
        id: 'payments', title: 'Payments', columns: ['On', 'Date', 'Account', 'Reference', 'Amount', 'Status'],
        rows: newest(book.payments.values()).map((p) => {
          const doc = (p.documentKind === 'invoice' ? book.invoices : book.creditNotes).get(p.documentId);
          return { href: deepLinkPath('payment', p.PaymentID), cells: [doc?.Number ?? p.documentId, day(p.Date), accountName(p.AccountID), p.Reference ?? '', money(p.Amount, doc?.CurrencyCode ?? base), p.Status] };
        }),
      },
      {
        id: 'bank-transactions', title: 'Bank transactions (spend and receive money)', columns: ['Type', 'Date', 'Contact', 'Reference', 'Total', 'Status'],
        rows: newest(book.bankTransactions.values()).map((t) => ({
          href: deepLinkPath('bank_transaction', t.BankTransactionID),
          cells: [t.Type.startsWith('SPEND') ? 'Spend money' : 'Receive money', day(t.Date), contactName(t.ContactID), t.Reference ?? '', money(t.Total, t.CurrencyCode ?? base), t.Status],
        })),
      },
      {
        id: 'bank-transfers', title: 'Bank transfers', columns: ['From', 'Date', 'To', 'Reference', 'Amount'],
        rows: newest(book.bankTransfers.values()).map((t) => ({
          href: deepLinkPath('bank_transfer', t.BankTransferID),
          cells: [accountName(t.FromAccountID), day(t.Date), accountName(t.ToAccountID), t.Reference ?? '', money(t.Amount, base)],
        })),
      },
    ],
  };
}

type DocumentRecordLike = { id: string; Number?: string; Date: number; ContactID: string; Reference?: string; Total: Cents; CurrencyCode: string; Status: string };
