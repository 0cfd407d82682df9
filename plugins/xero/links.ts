// Links to records in Xero's web app (Xero's deep links, developer.xero.com "Deep link to Xero"): the page a
// person opens to see an invoice, credit note, payment, bank transaction, transfer or contact. `appUrl` is
// https://go.xero.com, or the emulator in the demo and tests (it serves the same paths). A bare path opens in
// the organisation the person last used in Xero; with the organisation's ShortCode (kept on the connection)
// the link goes through Xero's organisation login, which opens that organisation first:
//   <appUrl>/organisationlogin/default.aspx?shortcode=<ShortCode>&redirecturl=<path>
export type XeroLinkKind = 'invoice' | 'credit_note' | 'payment' | 'bank_transaction' | 'bank_transfer' | 'contact';

const PATHS: Record<XeroLinkKind, (id: string) => string> = {
  invoice: (id) => `/AccountsReceivable/View.aspx?InvoiceID=${id}`,
  credit_note: (id) => `/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=${id}`,
  payment: (id) => `/Bank/ViewTransaction.aspx?paymentID=${id}`,
  bank_transaction: (id) => `/Bank/ViewTransaction.aspx?bankTransactionID=${id}`,
  bank_transfer: (id) => `/Bank/ViewTransfer.aspx?bankTransferID=${id}`,
  contact: (id) => `/Contacts/View/${id}`,
};

/** Our sync records' types → the kind of page in Xero (a refund paid back is a payment on the credit note). */
const RECORD_KINDS: Record<string, XeroLinkKind> = {
  invoice: 'invoice', credit_note: 'credit_note', payment: 'payment', refund_payment: 'payment', prepayment_refund: 'payment', contact: 'contact',
  bank_transaction: 'bank_transaction', bank_transfer: 'bank_transfer',
};

export function xeroLink(appUrl: string, kind: XeroLinkKind, xeroId: string, shortCode?: string | null): string {
  const path = PATHS[kind](encodeURIComponent(xeroId));
  if (!shortCode) return `${appUrl}${path}`;
  return `${appUrl}/organisationlogin/default.aspx?${new URLSearchParams({ shortcode: shortCode, redirecturl: path }).toString()}`;
}

/** The page of one of our sync records in Xero, or null for a type Xero has no page for (an allocation). */
export function xeroRecordLink(appUrl: string, recordType: string, xeroId: string | null | undefined, shortCode?: string | null): string | null {
  const kind = RECORD_KINDS[recordType];
  return kind && xeroId ? xeroLink(appUrl, kind, xeroId, shortCode) : null;
}
