// Xero's deep links (plugins/xero/links.ts): the bare path of each kind of record, and the organisation-login
// form that names the organisation by its ShortCode (Xero opens that organisation, then the record).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xeroLink, xeroRecordLink } from '../../../plugins/xero/links';

const APP = 'https://go.xero.com';
const ID = '0b0a2b5e-64b8-4a33-8a59-3c2a5a1d9a11';

describe('Xero deep links', () => {
  it('links each kind of record to its page, bare when the ShortCode is not known', () => {
    assert.equal(xeroLink(APP, 'invoice', ID), `${APP}/AccountsReceivable/View.aspx?InvoiceID=${ID}`);
    assert.equal(xeroLink(APP, 'credit_note', ID), `${APP}/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=${ID}`);
    assert.equal(xeroLink(APP, 'payment', ID), `${APP}/Bank/ViewTransaction.aspx?paymentID=${ID}`);
    assert.equal(xeroLink(APP, 'bank_transaction', ID), `${APP}/Bank/ViewTransaction.aspx?bankTransactionID=${ID}`);
    assert.equal(xeroLink(APP, 'bank_transfer', ID), `${APP}/Bank/ViewTransfer.aspx?bankTransferID=${ID}`);
    assert.equal(xeroLink(APP, 'contact', ID), `${APP}/Contacts/View/${ID}`);
    assert.equal(xeroLink(APP, 'invoice', ID, null), xeroLink(APP, 'invoice', ID));
  });

  it('with the ShortCode, goes through the organisation login with the record\'s path as redirecturl', () => {
    const href = xeroLink(APP, 'credit_note', ID, '!23eYt');
    const url = new URL(href);
    assert.equal(`${url.origin}${url.pathname}`, `${APP}/organisationlogin/default.aspx`);
    assert.equal(url.searchParams.get('shortcode'), '!23eYt');
    assert.equal(url.searchParams.get('redirecturl'), `/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=${ID}`);
  });

  it('maps our record types to pages; an allocation has none', () => {
    assert.equal(xeroRecordLink(APP, 'refund_payment', ID), `${APP}/Bank/ViewTransaction.aspx?paymentID=${ID}`);
    assert.equal(xeroRecordLink(APP, 'allocation', ID), null);
    assert.equal(xeroRecordLink(APP, 'invoice', null), null);
    assert.match(xeroRecordLink(APP, 'contact', ID, 'ABC')!, /shortcode=ABC&redirecturl=%2FContacts%2FView%2F/);
  });
});
