// Control routes (mounted under /_emulator by the infrastructure): inspect a tenant's books and act
// as the organisation's accountant would in Xero's web app (void, delete, archive).
import { Router, type Response } from 'express';
import type { Clock } from '../contracts';
import { deleteAccount, accountInUse, writeAccount } from './accounts';
import { findDocument, KINDS, serializeDocument, type DocumentKind } from './documents';
import { recordHistory } from './history';
import { parseXeroDate } from './dates';
import type { Book, DocumentStatus } from './model';
import { isOverpayment, serializeOverpayment } from './overpayments';
import { deletePayment } from './payments';
import { serializePrepayment } from './prepayments';
import { findAccountByCode } from './rules/accounts';
import { transitionError } from './rules/status';
import {
  serializeAccount, serializeAllocation, serializeBankTransaction, serializeBankTransfer, serializeContact, serializeHistory, serializeManualJournal,
  serializeOrganisation, serializePayment, serializeTaxRate, serializeTrackingCategory, type Json,
} from './serialize';
import { tenantSummary, type BookStore } from './store';

const ACCOUNTANT = 'Accountant (emulator control)';

const COLLECTIONS: Record<string, (book: Book) => Json[]> = {
  invoices: (book) => [...book.invoices.values()].map((d) => serializeDocument(book, d)),
  creditnotes: (book) => [...book.creditNotes.values()].map((d) => serializeDocument(book, d)),
  payments: (book) => [...book.payments.values()].map((p) => serializePayment(book, p)),
  allocations: (book) => [...book.allocations.values()].map((a) => serializeAllocation(book, a)),
  contacts: (book) => [...book.contacts.values()].map(serializeContact),
  accounts: (book) => [...book.accounts.values()].map(serializeAccount),
  taxrates: (book) => [...book.taxRates.values()].map(serializeTaxRate),
  trackingcategories: (book) => [...book.trackingCategories.values()].map(serializeTrackingCategory),
  banktransactions: (book) => [...book.bankTransactions.values()].map((t) => serializeBankTransaction(book, t)),
  banktransfers: (book) => [...book.bankTransfers.values()].map((t) => serializeBankTransfer(book, t)),
  overpayments: (book) => [...book.bankTransactions.values()].filter(isOverpayment).map((t) => serializeOverpayment(book, t)),
  prepayments: (book) => [...book.prepayments.values()].map((p) => serializePrepayment(book, p)),
  manualjournals: (book) => [...book.manualJournals.values()].map((j) => serializeManualJournal(book, j)),
  history: (book) => book.history.map((h) => ({ Endpoint: h.endpoint, ObjectID: h.objectId, ...serializeHistory(h) })),
};

function problem(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message });
}

export function createControlRouter(store: BookStore, clock: Clock): Router {
  const router = Router();

  const withBook = (res: Response, tenantId: string): Book | undefined => {
    const book = store.get(tenantId);
    if (!book) problem(res, 404, `Unknown tenant ${tenantId}`);
    return book;
  };

  router.get('/tenants/:tenantId/counts', (req, res) => {
    const book = withBook(res, req.params.tenantId);
    if (!book) return;
    const byStatus = (docs: Iterable<{ Status: string }>) => {
      const counts: Record<string, number> = {};
      for (const doc of docs) counts[doc.Status] = (counts[doc.Status] ?? 0) + 1;
      return counts;
    };
    res.json({
      tenantId: book.organisation.OrganisationID,
      invoices: book.invoices.size,
      invoicesByStatus: byStatus(book.invoices.values()),
      creditNotes: book.creditNotes.size,
      creditNotesByStatus: byStatus(book.creditNotes.values()),
      payments: book.payments.size,
      allocations: book.allocations.size,
      contacts: book.contacts.size,
      accounts: book.accounts.size,
      bankTransactions: book.bankTransactions.size,
      bankTransfers: book.bankTransfers.size,
      history: book.history.length,
    });
  });

  router.get('/tenants/:tenantId/:collection', (req, res) => {
    const book = withBook(res, req.params.tenantId);
    if (!book) return;
    const list = COLLECTIONS[req.params.collection.toLowerCase()];
    if (!list) return problem(res, 404, `Unknown collection ${req.params.collection}; one of ${Object.keys(COLLECTIONS).join(', ')}`);
    res.json({ tenantId: book.organisation.OrganisationID, tenant: tenantSummary(book), items: list(book) });
  });

  // The files on a document as the accountant sees them, bytes included (base64), for tests to read back.
  for (const [kind, collection] of [['invoice', 'invoices'], ['creditnote', 'creditnotes']] as const) {
    router.get(`/tenants/:tenantId/${collection}/:id/attachments`, (req, res) => {
      const book = withBook(res, req.params.tenantId);
      if (!book) return;
      const doc = findDocument(book, kind, req.params.id);
      if (!doc) return problem(res, 404, `No ${KINDS[kind].label} ${req.params.id}`);
      res.json({ items: (doc.attachments ?? []).map((a) => ({ AttachmentID: a.AttachmentID, FileName: a.FileName, MimeType: a.MimeType, ContentLength: a.ContentLength, IncludeOnline: a.IncludeOnline, ContentBase64: a.contentBase64 })) });
    });
  }

  const documentAction = (kind: DocumentKind, collection: string, action: 'void' | 'delete' | 'authorise', next: DocumentStatus) => {
    router.post(`/tenants/:tenantId/${collection}/:id/${action}`, (req, res) => {
      const book = withBook(res, req.params.tenantId);
      if (!book) return;
      const doc = findDocument(book, kind, req.params.id);
      if (!doc) return problem(res, 404, `Unknown ${collection} ${req.params.id}`);
      const error = transitionError(doc, next);
      if (error) return problem(res, 409, error);
      const now = clock.now();
      doc.Status = next;
      doc.UpdatedDateUTC = now;
      const label = action === 'void' ? 'Voided' : action === 'delete' ? 'Deleted' : 'Approved';
      recordHistory(book, KINDS[kind].endpoint, doc.id, label, `${KINDS[kind].label} ${doc.Number ?? ''} ${label.toLowerCase()} by the accountant.`, now, ACCOUNTANT);
      res.json(serializeDocument(book, doc));
    });
  };
  for (const [kind, collection] of [['invoice', 'invoices'], ['creditnote', 'creditnotes']] as const) {
    documentAction(kind, collection, 'void', 'VOIDED');
    documentAction(kind, collection, 'delete', 'DELETED');
    documentAction(kind, collection, 'authorise', 'AUTHORISED');
  }

  router.post('/tenants/:tenantId/payments/:id/delete', (req, res) => {
    const book = withBook(res, req.params.tenantId);
    if (!book) return;
    const payment = book.payments.get(req.params.id.toLowerCase());
    if (!payment) return problem(res, 404, `Unknown payment ${req.params.id}`);
    const error = deletePayment(book, payment, clock.now());
    if (error) return problem(res, 409, error);
    res.json(serializePayment(book, payment));
  });

  // Adding an account as the accountant does in Xero's web app (Chart of accounts → Add account), with the
  // same rules as PUT /Accounts: { Code, Name, Type, TaxType? }. 201 with the account; 400 with Xero's messages.
  router.post('/tenants/:tenantId/accounts', (req, res) => {
    const book = withBook(res, req.params.tenantId);
    if (!book) return;
    const outcome = writeAccount(req.body ?? {}, { book, now: clock.now() });
    if (!outcome.ok) return res.status(400).json({ error: outcome.errors.join(' ') });
    res.status(201).json(outcome.json);
  });

  // Deleting an account the way an accountant would: gone if never used, otherwise archived
  // (Xero's web app offers archive for accounts with transactions). ?archive=true always archives.
  router.delete('/tenants/:tenantId/accounts/:code', (req, res) => {
    const book = withBook(res, req.params.tenantId);
    if (!book) return;
    const account = findAccountByCode(book, req.params.code) ?? book.accounts.get(req.params.code.toLowerCase());
    if (!account || account.Status === 'DELETED') return problem(res, 404, `Unknown account ${req.params.code}`);
    if (account.SystemAccount) return problem(res, 409, 'System accounts cannot be deleted or archived.');
    const now = clock.now();
    if (req.query.archive === 'true' || accountInUse(book, account.AccountID)) {
      account.Status = 'ARCHIVED';
      account.UpdatedDateUTC = now;
      return res.json({ action: 'archived', account: serializeAccount(account) });
    }
    const error = deleteAccount(book, account, now);
    if (error) return problem(res, 409, error);
    res.json({ action: 'deleted', account: serializeAccount(account) });
  });

  // A tax rate of the organisation's own, added as in Xero's web app (Settings → Tax rates → New): Xero names
  // its TaxType TAX001, TAX002, … in order. Body: { Name, Rate (percent), ReportTaxType: OUTPUT | INPUT }.
  router.post('/tenants/:tenantId/taxrates', (req, res) => {
    const book = withBook(res, req.params.tenantId);
    if (!book) return;
    const body = (req.body ?? {}) as { Name?: unknown; Rate?: unknown; ReportTaxType?: unknown };
    const name = typeof body.Name === 'string' ? body.Name.trim() : '';
    const rate = typeof body.Rate === 'number' ? String(body.Rate) : typeof body.Rate === 'string' ? body.Rate.trim() : '';
    if (!name || !/^\d{1,3}(\.\d{1,4})?$/.test(rate)) return problem(res, 400, 'Name and Rate (percent, e.g. "20") are required');
    if ([...book.taxRates.values()].some((t) => t.Name.toLowerCase() === name.toLowerCase() && t.Status !== 'DELETED')) {
      return problem(res, 409, `A tax rate named ${name} already exists`);
    }
    const report = body.ReportTaxType === 'INPUT' ? 'INPUT' : 'OUTPUT';
    let n = 1;
    while (book.taxRates.has(`TAX${String(n).padStart(3, '0')}`)) n += 1;
    const taxType = `TAX${String(n).padStart(3, '0')}`;
    const sales = report === 'OUTPUT';
    book.taxRates.set(taxType, {
      Name: name, TaxType: taxType, ReportTaxType: report, rate, Status: 'ACTIVE', usage: sales ? 'sales' : 'purchases',
      CanApplyToAssets: true, CanApplyToEquity: true, CanApplyToLiabilities: true, CanApplyToExpenses: !sales, CanApplyToRevenue: sales,
    });
    res.status(201).json(serializeTaxRate(book.taxRates.get(taxType)!));
  });

  // Deleting a tax rate as in Xero's web app: only the organisation's own (TAX001…); Xero's system rates
  // (OUTPUT2, ZERORATEDOUTPUT, …) cannot be deleted there. Documents using it keep it; new ones are refused.
  router.post('/tenants/:tenantId/taxrates/:taxType/delete', (req, res) => {
    const book = withBook(res, req.params.tenantId);
    if (!book) return;
    const rate = book.taxRates.get(req.params.taxType.toUpperCase());
    if (!rate || rate.Status === 'DELETED') return problem(res, 404, `Unknown tax rate ${req.params.taxType}`);
    if (!/^TAX\d{3}$/.test(rate.TaxType)) return problem(res, 409, `${rate.Name} is a system tax rate and cannot be deleted`);
    rate.Status = 'DELETED';
    res.json(serializeTaxRate(rate));
  });

  // Lock dates, as the accountant sets them (Settings → Advanced → Financial settings): { PeriodLockDate,
  // EndOfYearLockDate }, each 'YYYY-MM-DD' or null to clear; a field left out keeps its value.
  router.post('/tenants/:tenantId/lockdates', (req, res) => {
    const book = withBook(res, req.params.tenantId);
    if (!book) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    for (const field of ['PeriodLockDate', 'EndOfYearLockDate'] as const) {
      if (!(field in body)) continue;
      const value = body[field];
      if (value === null) {
        delete book.organisation[field];
        continue;
      }
      const day = parseXeroDate(value);
      if (day === undefined) return problem(res, 400, `${field}: a date, YYYY-MM-DD, or null`);
      book.organisation[field] = day;
    }
    res.json(serializeOrganisation(book));
  });

  router.delete('/tenants/:tenantId/contacts/:id', (req, res) => {
    const book = withBook(res, req.params.tenantId);
    if (!book) return;
    const contact = book.contacts.get(req.params.id.toLowerCase());
    if (!contact) return problem(res, 404, `Unknown contact ${req.params.id}`);
    const now = clock.now();
    contact.ContactStatus = 'ARCHIVED';
    contact.UpdatedDateUTC = now;
    recordHistory(book, 'Contacts', contact.ContactID, 'Archived', `Contact ${contact.Name} archived by the accountant.`, now, ACCOUNTANT);
    res.json({ action: 'archived', contact: serializeContact(contact) });
  });

  return router;
}
