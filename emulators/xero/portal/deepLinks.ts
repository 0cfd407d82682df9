// Xero's deep links, served by the emulator so the links Ledgerbridge shows work in the demo and in tests.
// Xero documents them as https://go.xero.com/organisationlogin/default.aspx?shortcode=<ShortCode>&redirecturl=<path>
// (developer.xero.com, "Deep link to Xero"), the path naming the record:
//   /AccountsReceivable/View.aspx?InvoiceID=…          an invoice
//   /AccountsReceivable/ViewCreditNote.aspx?creditNoteID=…   a credit note (Xero's example uses AccountsPayable for bills' credits)
//   /Bank/ViewTransaction.aspx?bankTransactionID=…     a bank transaction (spend/receive money)
//   /Bank/ViewTransaction.aspx?paymentID=…             a payment
//   /Bank/ViewTransfer.aspx?bankTransferID=…           a bank transfer
//   /Contacts/View/<ContactID>                         a contact
// The bare paths work too (Xero opens them in the organisation last used). Where the real pages are Xero's full
// app, these show the record's main figures; an unknown record is a 404 page, as Xero shows "Page not found".
import express, { type Request, type Response, type Router } from 'express';
import type { AccountingModule } from '../contracts';
import type { DeepLinkKind } from '../accounting/recordView';
import { html, page } from './html';

/** The record a deep-link path names, or undefined. `query` is the path's own query string. */
export function deepLinkTarget(path: string, query: URLSearchParams): { kind: DeepLinkKind; id: string } | undefined {
  const q = (name: string): string | undefined => {
    for (const [k, v] of query) if (k.toLowerCase() === name.toLowerCase() && v) return v;
    return undefined;
  };
  const p = path.toLowerCase();
  let id: string | undefined;
  if (p === '/accountsreceivable/view.aspx' && (id = q('InvoiceID'))) return { kind: 'invoice', id };
  if (p === '/accountsreceivable/viewcreditnote.aspx' && (id = q('creditNoteID'))) return { kind: 'credit_note', id };
  if (p === '/bank/viewtransaction.aspx' && (id = q('bankTransactionID'))) return { kind: 'bank_transaction', id };
  if (p === '/bank/viewtransaction.aspx' && (id = q('paymentID'))) return { kind: 'payment', id };
  if (p === '/bank/viewtransfer.aspx' && (id = q('bankTransferID'))) return { kind: 'bank_transfer', id };
  const contact = /^\/contacts\/view\/([0-9a-f-]{36})\/?$/i.exec(path);
  if (contact) return { kind: 'contact', id: contact[1]! };
  return undefined;
}

export function deepLinkRouter(deps: { records: Pick<AccountingModule, 'viewRecord' | 'viewBook'> }): Router {
  const router = express.Router();
  const show = (res: Response, path: string, query: URLSearchParams, shortCode?: string): void => {
    const target = deepLinkTarget(path, query);
    const view = target ? deps.records.viewRecord(target.kind, target.id, shortCode) : undefined;
    if (!view) {
      res.status(404).type('html').send(page('Page not found', html`<p>There is no such record${shortCode ? html` in the organisation <code>${shortCode}</code>` : ''}.</p>`, { heading: 'Xero' }));
      return;
    }
    res.type('html').send(page(view.title, html`<p>${view.organisation}</p>
<table id="record">${view.fields.map(([label, value]) => html`<tr><th scope="row">${label}</th><td>${value}</td></tr>`)}</table>`, { heading: 'Xero' }));
  };

  // Not a page of Xero's (its web app lists these under Business and Accounting): one page of what an
  // organisation's books hold, each record linking to its page, for the demo to print.
  router.get('/portal/organisations/:tenantId', (req: Request, res: Response) => {
    const book = deps.records.viewBook(String(req.params.tenantId));
    if (!book) {
      res.status(404).type('html').send(page('Page not found', html`<p>There is no such organisation.</p>`, { heading: 'Xero' }));
      return;
    }
    const sections = book.sections.map((s) => html`<section aria-labelledby="${s.id}-title"><h2 id="${s.id}-title">${s.title} (${s.rows.length})</h2>
${s.rows.length === 0 ? html`<p>None.</p>` : html`<div class="table-scroll" role="region" aria-label="${s.title}" tabindex="0"><table id="${s.id}"><tr>${s.columns.map((c) => html`<th scope="col">${c}</th>`)}</tr>
${s.rows.map((r) => html`<tr><td><a href="${r.href}">${r.cells[0]}</a></td>${r.cells.slice(1).map((c) => html`<td>${c}</td>`)}</tr>`)}</table></div>`}</section>`);
    res.type('html').send(page(`${book.organisation}: what is in its books`, html`${sections}`, { heading: 'Xero' }));
  });

  router.get('/organisationlogin/default.aspx', (req: Request, res: Response) => {
    const params = new URLSearchParams(req.url.split('?')[1] ?? '');
    const redirect = params.get('redirecturl') ?? '';
    const [path = '', query = ''] = redirect.split('?');
    show(res, path, new URLSearchParams(query), params.get('shortcode') ?? undefined);
  });
  router.get(/^\/(AccountsReceivable|Bank|Contacts\/View)\//i, (req: Request, res: Response) => {
    show(res, req.path, new URLSearchParams(req.url.split('?')[1] ?? ''));
  });
  return router;
}
