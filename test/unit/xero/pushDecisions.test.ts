// The invoice and payment pushes' decisions (plugins/xero/sync/invoices/decisions.ts, payments/decisions.ts):
// what our records say before anything is sent, what to adopt instead of creating, and which refusals fail
// an item for a person versus retry it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { knownInvoice, lookedUp, refusalOf } from '../../../plugins/xero/sync/invoices/decisions';
import { invoiceNotAuthorised, notAuthorisedBecause, ourPayment, paymentGuard } from '../../../plugins/xero/sync/payments/decisions';
import type { PaymentAnswer } from '../../../plugins/xero/gateway/answers';

describe('invoice push decisions', () => {
  it('reads what xero_records knows before sending', () => {
    assert.equal(knownInvoice(undefined, false), 'unknown');
    assert.equal(knownInvoice({ xeroId: 'inv-1', status: 'AUTHORISED' }, false), 'in_xero');
    assert.equal(knownInvoice({ xeroId: 'inv-1', status: 'AUTHORISED' }, true), 'verify', 'a resend checks it is still there');
    assert.equal(knownInvoice({ xeroId: 'inv-1', status: 'VOIDED' }, true), 'removed');
    assert.equal(knownInvoice({ xeroId: null, status: 'deleted_upstream' }, false), 'removed');
    assert.equal(knownInvoice({ xeroId: null, status: 'AUTHORISED' }, false), 'unknown');
  });

  it('adopts what a look-up finds, and never re-creates what the accountant removed', () => {
    assert.equal(lookedUp({ status: 'AUTHORISED' }, false), 'adopt');
    assert.equal(lookedUp({ status: 'PAID' }, true), 'adopt');
    assert.equal(lookedUp({ status: 'DELETED' }, false), 'removed');
    assert.equal(lookedUp(undefined, false), 'send', 'not there: the earlier attempt did not land');
    assert.equal(lookedUp(undefined, true), 'removed', 'held by us, gone from Xero: deleted there');
  });

  it('retries a taken number or a contact problem, fails anything else with Xero\'s message', () => {
    assert.equal(refusalOf(['Invoice # must be unique.']), 'number_taken');
    assert.equal(refusalOf(['The contact has been archived']), 'contact');
    assert.equal(refusalOf(['Invoice # must be unique.', 'The contact has been archived']), 'number_taken', 'a taken number first: it may be ours');
    assert.equal(refusalOf(['Account code 999 is not a valid code']), 'invalid');
    assert.equal(refusalOf([]), 'invalid');
  });
});

describe('payment push decisions', () => {
  const inv = { xeroId: 'inv-1', status: 'AUTHORISED' };
  it('never creates an invoice, and never pushes what the accountant removed', () => {
    assert.equal(paymentGuard(undefined, inv), 'proceed');
    assert.equal(paymentGuard({ xeroId: 'p-1', status: 'AUTHORISED' }, inv), 'in_xero');
    assert.equal(paymentGuard({ xeroId: 'p-1', status: 'DELETED' }, inv), 'payment_removed');
    assert.equal(paymentGuard(undefined, undefined), 'no_invoice');
    assert.equal(paymentGuard(undefined, { xeroId: 'inv-1', status: 'VOIDED' }), 'invoice_removed');
    assert.equal(paymentGuard(undefined, { xeroId: null, status: 'deleted_upstream' }), 'invoice_removed');
  });

  it('adopts only our payment on the same invoice', () => {
    const found = (reference: string, invoiceId: string): PaymentAnswer => ({ paymentId: `p-${reference}`, reference, status: 'AUTHORISED', invoiceId, summary: {} });
    const payments = [found('LB-P-10', 'INV-2'), found('LB-P-1 ch_9', 'inv-1'), found('LB-P-12', 'inv-1')];
    assert.equal(ourPayment(payments, 'LB-P-1', 'INV-1')?.paymentId, 'p-LB-P-1 ch_9', 'key then the provider\'s reference; ids compared case-insensitively');
    assert.equal(ourPayment(payments, 'LB-P-10', 'inv-1'), undefined, 'same key on another invoice is not ours');
    assert.equal(ourPayment([found('LB-P-12', 'inv-1')], 'LB-P-1', 'inv-1'), undefined, 'LB-P-12 is not LB-P-1');
  });

  it('tells a voided invoice from a draft when Xero refuses a payment as not AUTHORISED', () => {
    assert.equal(invoiceNotAuthorised(['Payments can only be made against AUTHORISED documents']), true);
    assert.equal(invoiceNotAuthorised(['Account is not enabled for payments']), false);
    assert.equal(notAuthorisedBecause({ status: 'VOIDED' }), 'invoice_removed');
    assert.equal(notAuthorisedBecause(undefined), 'invoice_removed');
    assert.equal(notAuthorisedBecause({ status: 'DRAFT' }), 'not_approved');
  });
});
