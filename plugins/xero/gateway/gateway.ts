// The Xero gateway: the only code that calls xero-node's Accounting API. Domain methods with named options
// in, plain typed answers out (answers.ts); a batch sent with summarizeErrors=false comes back element by
// element. Every call goes through the caller it was built on: a connection's client (the connection page's
// test) or a session (engine/session.ts), which takes a rate-budget slot first and runs `beforeSend` (the
// send marks, engine/sendMarks.ts) once the slot is granted, right before the request goes out. Failures
// come back as the client's errors (XeroHttpError; client.ts).
import type { AccountingApi } from 'xero-node';
import {
  accountOf, attachmentOf, bankTransactionOf, bankTransferOf, contactOf, createdAccountOf, creditNoteOf, elementsOf, invoiceOf, organisationOf,
  paymentOf, prepaymentOf, prepaymentReceiptOf, taxRateOf, trackingCategoryOf,
  type PrepaymentAnswer, type PrepaymentReceiptAnswer, type AccountAnswer, type AttachmentAnswer, type ContactAnswer, type CreditNoteAnswer, type Element, type InvoiceAnswer, type InvoiceTotals, type OrganisationAnswer,
  type PaymentAnswer, type ReferencedAnswer, type ChangedRecord, xeroTime, type TaxRateAnswer, type TrackingCategoryAnswer,
} from './answers';
import type { CallOptions, XeroOperation } from './client';
import { invoiceContentHash } from './contentHash';
import {
  toXeroNodeAccount, toXeroNodeManualJournal, toXeroNodeAllocation, toXeroNodeBankTransaction, toXeroNodeBankTransfer, toXeroNodeContact, toXeroNodeCreditNote,
  toXeroNodeInvoice, toXeroNodeOverpaymentDraft, toXeroNodePayment, toXeroNodePrepaymentReceipt, type XeroPrepaymentReceipt,
  type XeroAllocation, type XeroManualJournal, type XeroOverpaymentDraft, type XeroBankAccountDraft, type XeroBankTransaction, type XeroBankTransfer, type XeroContact, type XeroCreditNote,
  type XeroInvoice, type XeroPayment,
} from './documents';
import { createdOverpaymentId, overpaymentOf, type OverpaymentAnswer } from './overpayments';
import { whereAnyOf, whereString } from './where';

/** What the gateway's calls run through: a client, or a rate-budgeted session. */
export interface XeroCaller {
  call<T>(operation: XeroOperation<T>, opts?: CallOptions): Promise<T>;
}

/** A call that creates something: a deterministic Idempotency-Key, and the hook that marks the send. */
export interface SendOptions extends CallOptions {
  idempotencyKey: string;
}

export interface CreatedInvoice {
  invoiceId: string; number: string | null; status: string | null; totals: InvoiceTotals | null;
  /** The content we wrote, as Xero answered it (contentHash.ts): the reference an echo is recognised by. */
  contentHash: string; totalCents: number;
}
export interface CreatedCreditNote { creditNoteId: string; number: string | null; status: string | null }
export interface CreatedPayment { paymentId: string | null; status: string | null }

const refsWhere = (references: readonly string[]): string => references.map((r) => `Reference==${whereString(r)}`).join(' OR ');

/** The bank transaction types the product posts (spend and receive money); transfer legs are not among them. */
const POSTED_BANK_TRANSACTION_TYPES: ReadonlySet<string> = new Set(['SPEND', 'RECEIVE']);

export class XeroGateway {
  constructor(private readonly caller: XeroCaller) {}

  private call<T>(operation: (api: AccountingApi, tenantId: string) => ReturnType<XeroOperation<T>>, opts?: CallOptions): Promise<T> {
    return this.caller.call(operation, opts);
  }

  // ---- invoices ----

  /** Invoices by InvoiceNumber (any status): one call for a batch's natural keys. */
  async findInvoicesByNumber(numbers: readonly string[]): Promise<InvoiceAnswer[]> {
    const body = await this.call((api, tenant) => api.getInvoices(tenant, undefined, undefined, undefined, undefined, [...numbers]));
    return (body.invoices ?? []).map(invoiceOf);
  }

  /** Invoices by InvoiceID, as they are now (status, amount due, contact). */
  async getInvoices(ids: readonly string[]): Promise<InvoiceAnswer[]> {
    const body = await this.call((api, tenant) => api.getInvoices(tenant, undefined, undefined, undefined, [...ids]));
    return (body.invoices ?? []).map(invoiceOf);
  }

  /**
   * Invoices by InvoiceID with their line items and content hash (Xero lists line items only when paging:
   * page 1 holds up to 100, and a batch asks for fewer), for telling our own writes from changes made in Xero.
   */
  async readInvoices(ids: readonly string[]): Promise<(InvoiceAnswer & { contentHash: string })[]> {
    const body = await this.call((api, tenant) => api.getInvoices(tenant, undefined, undefined, undefined, [...ids], undefined, undefined, undefined, 1));
    return (body.invoices ?? []).map((inv) => ({ ...invoiceOf(inv), contentHash: invoiceContentHash(inv) }));
  }

  /** One page (100, summaries) of the open sales invoices (ACCREC, AUTHORISED) in a currency. */
  async openInvoices(opts: { currency: string; page: number }): Promise<InvoiceAnswer[]> {
    const where = `Type=="ACCREC" AND Status=="AUTHORISED" AND CurrencyCode==${JSON.stringify(opts.currency)}`;
    const body = await this.call((api, tenant) => api.getInvoices(tenant, undefined, where, undefined, undefined, undefined, undefined, undefined, opts.page, undefined, undefined, undefined, true));
    return (body.invoices ?? []).map(invoiceOf);
  }

  async createInvoices(invoices: readonly XeroInvoice[], opts: SendOptions & { unitdp: 2 | 4 }): Promise<Element<CreatedInvoice>[]> {
    const body = await this.call(
      (api, tenant) => api.createInvoices(tenant, { invoices: invoices.map(toXeroNodeInvoice) }, false, opts.unitdp, opts.idempotencyKey), opts,
    );
    return elementsOf(body.invoices, invoices.length, 'Invoices', (inv) => {
      const { invoiceId, number, status, totals, totalCents } = invoiceOf(inv);
      return { invoiceId, number, status, totals, contentHash: invoiceContentHash(inv), totalCents };
    });
  }

  /** A History note on an invoice, credit note or payment (one record per call: Xero has no batch for it). */
  async addHistoryNote(record: { type: 'invoice' | 'credit_note' | 'payment'; xeroId: string }, details: string): Promise<void> {
    const historyRecords = { historyRecords: [{ details }] };
    if (record.type === 'invoice') await this.call((api, tenant) => api.createInvoiceHistory(tenant, record.xeroId, historyRecords));
    else if (record.type === 'payment') await this.call((api, tenant) => api.createPaymentHistory(tenant, record.xeroId, historyRecords));
    else await this.call((api, tenant) => api.createCreditNoteHistory(tenant, record.xeroId, historyRecords));
  }

  /** The files attached to an invoice (GET /Invoices/{id}/Attachments). */
  async invoiceAttachments(invoiceId: string): Promise<AttachmentAnswer[]> {
    const body = await this.call((api, tenant) => api.getInvoiceAttachments(tenant, invoiceId));
    return (body.attachments ?? []).map(attachmentOf);
  }

  /**
   * Attach a file to an invoice (PUT /Invoices/{id}/Attachments/{FileName}); `includeOnline` shows it with
   * the online invoice. The bytes go as they are (application/octet-stream).
   */
  async attachToInvoice(invoiceId: string, file: { fileName: string; content: Buffer }, opts: SendOptions & { includeOnline: boolean }): Promise<AttachmentAnswer> {
    const body = await this.call((api, tenant) => api.createInvoiceAttachmentByFileName(
      // xero-node types the body as a file stream; it reads a Buffer the same way (Readable.from).
      tenant, invoiceId, file.fileName, file.content as unknown as Parameters<AccountingApi['createInvoiceAttachmentByFileName']>[3],
      opts.includeOnline, opts.idempotencyKey, { headers: { 'Content-Type': 'application/octet-stream' } },
    ), opts);
    const attached = body.attachments?.[0];
    if (!attached) throw new Error(`Xero answered the attachment of ${file.fileName} without the attachment`);
    return attachmentOf(attached);
  }

  /**
   * One page (100) of what changed since `since` (If-Modified-Since), for the polling sweep: invoices and
   * credit notes by their own id, payments by the document they are on (a payment changes its invoice).
   */
  async changedSince(endpoint: 'Invoices' | 'CreditNotes' | 'Payments', since: number | null, page: number): Promise<ChangedRecord[]> {
    const after = since === null ? undefined : new Date(since);
    if (endpoint === 'Invoices') {
      const body = await this.call((api, tenant) => api.getInvoices(tenant, after, 'Type=="ACCREC"', 'UpdatedDateUTC ASC', undefined, undefined, undefined, undefined, page, true, undefined, undefined, true));
      return (body.invoices ?? []).flatMap((i) => (i.invoiceID ? [{ kind: 'INVOICE' as const, resourceId: i.invoiceID, updatedAt: xeroTime(i.updatedDateUTC) }] : []));
    }
    if (endpoint === 'CreditNotes') {
      const body = await this.call((api, tenant) => api.getCreditNotes(tenant, after, 'Type=="ACCRECCREDIT"', 'UpdatedDateUTC ASC', page));
      return (body.creditNotes ?? []).flatMap((n) => (n.creditNoteID ? [{ kind: 'CREDITNOTE' as const, resourceId: n.creditNoteID, updatedAt: xeroTime(n.updatedDateUTC) }] : []));
    }
    const body = await this.call((api, tenant) => api.getPayments(tenant, after, undefined, 'UpdatedDateUTC ASC', page));
    return (body.payments ?? []).flatMap((p): ChangedRecord[] => {
      const updatedAt = xeroTime(p.updatedDateUTC);
      if (p.invoice?.invoiceID) return [{ kind: 'INVOICE' as const, resourceId: p.invoice.invoiceID, updatedAt }];
      if (p.creditNote?.creditNoteID) return [{ kind: 'CREDITNOTE' as const, resourceId: p.creditNote.creditNoteID, updatedAt }];
      return [];
    });
  }

  // ---- credit notes ----

  /** One credit note as it is now (status, allocations, pay-outs). */
  async getCreditNote(id: string): Promise<CreditNoteAnswer | null> {
    const body = await this.call((api, tenant) => api.getCreditNote(tenant, id));
    const note = body.creditNotes?.[0];
    return note ? creditNoteOf(note) : null;
  }

  /** Credit notes by CreditNoteNumber, with what is already allocated and paid out of them. */
  async findCreditNotesByNumber(numbers: readonly string[]): Promise<CreditNoteAnswer[]> {
    const body = await this.call((api, tenant) => api.getCreditNotes(tenant, undefined, whereAnyOf('CreditNoteNumber', numbers)));
    return (body.creditNotes ?? []).map(creditNoteOf);
  }

  async createCreditNotes(notes: readonly XeroCreditNote[], opts: SendOptions & { unitdp: 2 | 4 }): Promise<Element<CreatedCreditNote>[]> {
    const body = await this.call(
      (api, tenant) => api.createCreditNotes(tenant, { creditNotes: notes.map(toXeroNodeCreditNote) }, false, opts.unitdp, opts.idempotencyKey), opts,
    );
    return elementsOf(body.creditNotes, notes.length, 'CreditNotes', (note) => {
      const { creditNoteId, number, status } = creditNoteOf(note);
      return { creditNoteId, number, status };
    });
  }

  /** Allocate part of a credit note to an invoice (Xero's endpoint is per note). */
  async allocateCreditNote(creditNoteId: string, allocation: XeroAllocation, opts: SendOptions): Promise<Element<{ allocationId: string | null }>> {
    const body = await this.call(
      (api, tenant) => api.createCreditNoteAllocation(tenant, creditNoteId, { allocations: [toXeroNodeAllocation(allocation)] }, false, opts.idempotencyKey), opts,
    );
    return elementsOf(body.allocations, 1, 'Allocations', (a) => ({ allocationId: a.allocationID ?? null }))[0]!;
  }

  // ---- payments ----

  /** Payments on invoices, refund payments out of credit notes, a payout's payments: one batch. */
  async createPayments(payments: readonly XeroPayment[], opts: SendOptions): Promise<Element<CreatedPayment>[]> {
    const body = await this.call((api, tenant) => api.createPayments(tenant, { payments: payments.map(toXeroNodePayment) }, false, opts.idempotencyKey), opts);
    return elementsOf(body.payments, payments.length, 'Payments', (p) => {
      const { paymentId, status } = paymentOf(p);
      return { paymentId, status };
    });
  }

  /** Live (not DELETED) payments whose Reference is exactly one of these. */
  async findPaymentsByReference(references: readonly string[]): Promise<PaymentAnswer[]> {
    return this.livePayments(refsWhere(references));
  }

  /**
   * Live payments whose Reference is one of these keys, alone or followed by a space and more (our payments'
   * References are the key, then the provider's reference: payloads/numbers.ts paymentKeyFor).
   */
  async findPaymentsByKey(keys: readonly string[]): Promise<PaymentAnswer[]> {
    return this.livePayments(keys.map((k) => `Reference==${whereString(k)} OR Reference.StartsWith(${whereString(`${k} `)})`).join(' OR '));
  }

  private async livePayments(where: string): Promise<PaymentAnswer[]> {
    const body = await this.call((api, tenant) => api.getPayments(tenant, undefined, where));
    return (body.payments ?? []).map(paymentOf).filter((p) => p.status !== 'DELETED');
  }

  // ---- contacts ----

  /** Contacts (any status) with one of these ContactNumbers, email addresses or names: one call. */
  async findContacts(by: { numbers: readonly string[]; emails?: readonly string[]; names?: readonly string[] }): Promise<ContactAnswer[]> {
    const clauses = [
      ...(by.numbers.length ? [whereAnyOf('ContactNumber', by.numbers)] : []),
      ...(by.emails ?? []).map((e) => `EmailAddress==${whereString(e)}`),
      ...(by.names ?? []).map((n) => `Name==${whereString(n)}`),
    ];
    const body = await this.call((api, tenant) => api.getContacts(tenant, undefined, clauses.join(' OR ')));
    return (body.contacts ?? []).map(contactOf);
  }

  /** Contacts by ContactID (invoice lists name a contact but do not always carry its email). */
  async getContacts(ids: readonly string[]): Promise<ContactAnswer[]> {
    const body = await this.call((api, tenant) => api.getContacts(tenant, undefined, undefined, undefined, [...ids]));
    return (body.contacts ?? []).map(contactOf);
  }

  async createContacts(contacts: readonly XeroContact[], opts: SendOptions): Promise<Element<{ contactId: string }>[]> {
    const body = await this.call((api, tenant) => api.createContacts(tenant, { contacts: contacts.map(toXeroNodeContact) }, false, opts.idempotencyKey), opts);
    return elementsOf(body.contacts, contacts.length, 'Contacts', (c) => ({ contactId: contactOf(c).contactId }));
  }

  // ---- the chart: accounts, tax rates, tracking ----

  /** The chart of accounts, or only its bank accounts. */
  async getAccounts(opts: { type?: 'BANK' } = {}): Promise<AccountAnswer[]> {
    const body = opts.type
      ? await this.call((api, tenant) => api.getAccounts(tenant, undefined, `Type==${whereString(opts.type!)}`))
      : await this.call((api, tenant) => api.getAccounts(tenant));
    return (body.accounts ?? []).map(accountOf);
  }

  /** Create a bank account. A name Xero already holds comes back refused ("unique Name"), or as a 400 (XeroHttpError). */
  async createBankAccount(account: XeroBankAccountDraft, opts: SendOptions): Promise<Element<{ accountId: string }>> {
    const body = await this.call((api, tenant) => api.createAccount(tenant, toXeroNodeAccount(account), opts.idempotencyKey), opts);
    return elementsOf(body.accounts, 1, 'Accounts', createdAccountOf)[0]!;
  }

  async getTaxRates(): Promise<TaxRateAnswer[]> {
    const body = await this.call((api, tenant) => api.getTaxRates(tenant));
    return (body.taxRates ?? []).map(taxRateOf);
  }

  /** Every tracking category with its options, archived ones included (a saved setting may name one). */
  async getTrackingCategories(): Promise<TrackingCategoryAnswer[]> {
    const body = await this.call((api, tenant) => api.getTrackingCategories(tenant, undefined, undefined, true));
    return (body.trackingCategories ?? []).map(trackingCategoryOf);
  }

  // ---- bank transactions and transfers (payouts) ----

  async createBankTransactions(transactions: readonly XeroBankTransaction[], opts: SendOptions): Promise<Element<{ bankTransactionId: string | null }>[]> {
    const body = await this.call(
      (api, tenant) => api.createBankTransactions(tenant, { bankTransactions: transactions.map(toXeroNodeBankTransaction) }, false, undefined, opts.idempotencyKey), opts,
    );
    return elementsOf(body.bankTransactions, transactions.length, 'BankTransactions', (t) => ({ bankTransactionId: bankTransactionOf(t).id }));
  }

  async createBankTransfers(transfers: readonly XeroBankTransfer[], opts: SendOptions): Promise<Element<{ bankTransferId: string | null }>[]> {
    const body = await this.call((api, tenant) => api.createBankTransfer(tenant, { bankTransfers: transfers.map(toXeroNodeBankTransfer) }, opts.idempotencyKey), opts);
    return elementsOf(body.bankTransfers, transfers.length, 'BankTransfers', (t) => ({ bankTransferId: bankTransferOf(t).id }));
  }

  /** Post a manual journal (an expired gift voucher's balance moved to revenue). */
  async createManualJournal(journal: XeroManualJournal, opts: SendOptions): Promise<Element<{ manualJournalId: string | null }>> {
    const body = await this.call((api, tenant) => api.createManualJournals(tenant, { manualJournals: [toXeroNodeManualJournal(journal)] }, false, opts.idempotencyKey), opts);
    return elementsOf(body.manualJournals, 1, 'ManualJournals', (j) => ({ manualJournalId: j.manualJournalID ?? null }))[0]!;
  }

  /**
   * Live (not DELETED) spend/receive money transactions whose Reference is one of these. Xero also lists a
   * bank transfer's two legs (SPEND-TRANSFER / RECEIVE-TRANSFER, carrying the transfer's Reference) under
   * BankTransactions: those are the transfer's, never a bank transaction we posted, so they are left out.
   */
  async findBankTransactionsByReference(references: readonly string[]): Promise<ReferencedAnswer[]> {
    const body = await this.call((api, tenant) => api.getBankTransactions(tenant, undefined, refsWhere(references)));
    return (body.bankTransactions ?? [])
      .filter((t) => POSTED_BANK_TRANSACTION_TYPES.has(String(t.type)))
      .map(bankTransactionOf)
      .filter((t) => t.status !== 'DELETED');
  }

  async findBankTransfersByReference(references: readonly string[]): Promise<ReferencedAnswer[]> {
    const body = await this.call((api, tenant) => api.getBankTransfers(tenant, undefined, refsWhere(references)));
    return (body.bankTransfers ?? []).map(bankTransferOf);
  }

  // ---- overpayments (money above what a sale owed, kept as the customer's credit) ----

  /** RECEIVE-OVERPAYMENT bank transactions: each becomes an Overpayment with the same id. */
  async createOverpayments(drafts: readonly XeroOverpaymentDraft[], opts: SendOptions): Promise<Element<{ overpaymentId: string | null }>[]> {
    const body = await this.call(
      (api, tenant) => api.createBankTransactions(tenant, { bankTransactions: drafts.map(toXeroNodeOverpaymentDraft) }, false, undefined, opts.idempotencyKey), opts,
    );
    return elementsOf(body.bankTransactions, drafts.length, 'BankTransactions', (t) => ({ overpaymentId: createdOverpaymentId(t) }));
  }

  /** Overpayments (not VOIDED) whose Reference is exactly one of these. */
  async findOverpaymentsByReference(references: readonly string[]): Promise<OverpaymentAnswer[]> {
    const body = await this.call((api, tenant) => api.getOverpayments(tenant, undefined, refsWhere(references)));
    return (body.overpayments ?? []).flatMap((o) => overpaymentOf(o) ?? []).filter((o) => o.status !== 'VOIDED');
  }

  async getOverpayment(id: string): Promise<OverpaymentAnswer | null> {
    const body = await this.call((api, tenant) => api.getOverpayment(tenant, id));
    const first = body.overpayments?.[0];
    return first ? overpaymentOf(first) : null;
  }

  /** Allocate part of an overpayment's credit to an invoice of the same contact and currency. */
  async allocateOverpayment(overpaymentId: string, allocation: XeroAllocation, opts: SendOptions): Promise<Element<{ allocationId: string | null }>> {
    const body = await this.call(
      (api, tenant) => api.createOverpaymentAllocations(tenant, overpaymentId, { allocations: [toXeroNodeAllocation(allocation)] }, false, opts.idempotencyKey), opts,
    );
    return elementsOf(body.allocations, 1, 'Allocations', (a) => ({ allocationId: a.allocationID ?? null }))[0]!;
  }

  // ---- prepayments (a customer's deposit before its invoice: sync/deposits/) ----

  /** RECEIVE-PREPAYMENT bank transactions: Xero makes each a Prepayment, whose id comes back on the transaction. */
  async createPrepayments(receipts: readonly XeroPrepaymentReceipt[], opts: SendOptions): Promise<Element<PrepaymentReceiptAnswer>[]> {
    const body = await this.call(
      (api, tenant) => api.createBankTransactions(tenant, { bankTransactions: receipts.map(toXeroNodePrepaymentReceipt) }, false, undefined, opts.idempotencyKey), opts,
    );
    return elementsOf(body.bankTransactions, receipts.length, 'BankTransactions', prepaymentReceiptOf);
  }

  /** Live RECEIVE-PREPAYMENT transactions whose Reference is one of these (one that may have landed). */
  async findPrepaymentsByReference(references: readonly string[]): Promise<PrepaymentReceiptAnswer[]> {
    const body = await this.call((api, tenant) => api.getBankTransactions(tenant, undefined, `Type=="RECEIVE-PREPAYMENT" AND (${refsWhere(references)})`));
    return (body.bankTransactions ?? []).map(prepaymentReceiptOf).filter((t) => t.status !== 'DELETED');
  }

  async getPrepayment(prepaymentId: string): Promise<PrepaymentAnswer | null> {
    const body = await this.call((api, tenant) => api.getPrepayment(tenant, prepaymentId));
    const found = body.prepayments?.[0];
    return found ? prepaymentOf(found) : null;
  }

  /** Apply part of a prepayment's credit to an invoice of the same contact and currency. */
  async allocatePrepayment(prepaymentId: string, allocation: XeroAllocation, opts: SendOptions): Promise<Element<{ allocationId: string | null }>> {
    const body = await this.call(
      (api, tenant) => api.createPrepaymentAllocations(tenant, prepaymentId, { allocations: [toXeroNodeAllocation(allocation)] }, false, opts.idempotencyKey), opts,
    );
    return elementsOf(body.allocations, 1, 'Allocations', (a) => ({ allocationId: a.allocationID ?? null }))[0]!;
  }

  // ---- the organisation ----

  /** The connected organisation (a private app's own, or the tenant's), or null when Xero names none. */
  async getOrganisation(): Promise<OrganisationAnswer | null> {
    const body = await this.call((api, tenant) => api.getOrganisations(tenant));
    const organisation = body.organisations?.[0];
    return organisation ? organisationOf(organisation) : null;
  }
}
