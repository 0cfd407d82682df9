// Deposits, the pure decisions (plugins/xero/sync/deposits/decisions.ts) and the payloads they post
// (payloads/prepayment.ts): which payment is a deposit, which refund comes out of one, how much of each
// prepayment goes to the invoice, to the penny.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allocationAmount, depositNote, depositToRefundFrom, dueByOurRecords, heldMinor, isDeposit, mustReadInvoiceFirst, packInCalls } from '../../../../plugins/xero/sync/deposits/decisions';
import { buildPrepaymentReceipt, buildPrepaymentRefund } from '../../../../plugins/xero/payloads';
import { PermanentError } from '../../../../server/errors';
import { makeSale, ukMappings } from '../payloadsFixtures';

describe('isDeposit', () => {
  const base = { invoiceInXero: false, invoiceWaitsUntil: Date.parse('2027-06-14T00:00:00Z'), saleCurrency: 'GBP', baseCurrency: 'GBP' };
  it('is a payment before an invoice that waits for its service date, in the base currency', () => {
    assert.equal(isDeposit(base), true);
  });
  it('is an ordinary payment once the invoice is in Xero, when it does not wait, or in another currency (Xero prepayments are base-currency only)', () => {
    assert.equal(isDeposit({ ...base, invoiceInXero: true }), false);
    assert.equal(isDeposit({ ...base, invoiceWaitsUntil: null }), false);
    assert.equal(isDeposit({ ...base, saleCurrency: 'EUR' }), false);
  });
});

describe('depositToRefundFrom', () => {
  const deposits = [{ paymentId: 1, amountMinor: 2000, refundedMinor: 0 }, { paymentId: 2, amountMinor: 3000, refundedMinor: 500 }];
  it('takes a refund with a method from the latest deposit that still holds enough', () => {
    assert.equal(depositToRefundFrom({ method: 'cash', amountMinor: 2000 }, false, deposits), 2);
    assert.equal(depositToRefundFrom({ method: 'cash', amountMinor: 2500 }, false, deposits), 2);
    assert.equal(depositToRefundFrom({ method: 'cash', amountMinor: 1000 }, false, [deposits[0]!, { ...deposits[1]!, refundedMinor: 2500 }]), 1);
  });
  it('none when no money went back, the invoice is in Xero, or no single deposit holds it', () => {
    assert.equal(depositToRefundFrom({ method: null, amountMinor: 1000 }, false, deposits), null);
    assert.equal(depositToRefundFrom({ method: 'cash', amountMinor: 1000 }, true, deposits), null);
    assert.equal(depositToRefundFrom({ method: 'cash', amountMinor: 2501 }, false, deposits), null);
    assert.equal(depositToRefundFrom({ method: 'cash', amountMinor: 1000 }, false, []), null);
  });
});

describe('allocationAmount', () => {
  it('allocates what the prepayment still holds, never more than the invoice has due', () => {
    const deposit = { paymentId: 2, amountMinor: 3001, refundedMinor: 1 };
    assert.equal(heldMinor(deposit), 3000);
    assert.equal(allocationAmount(deposit, 8000), 3000);
    assert.equal(allocationAmount(deposit, 2000), 2000);
    assert.equal(allocationAmount(deposit, 0), 0);
    assert.equal(allocationAmount(deposit, -500), 0, 'an invoice over-credited owes nothing');
    assert.equal(allocationAmount({ paymentId: 3, amountMinor: 1000, refundedMinor: 1000 }, 500), 0, 'all given back');
  });
});

describe('dueByOurRecords and mustReadInvoiceFirst', () => {
  const deposits = [{ paymentId: 1, amountMinor: 2000, refundedMinor: 0 }, { paymentId: 2, amountMinor: 3000, refundedMinor: 500 }];
  it('owes its total as posted less what our deposits already allocated; unknown without a total', () => {
    assert.equal(dueByOurRecords(8000, []), 8000);
    assert.equal(dueByOurRecords(8000, [2000, 0]), 6000);
    assert.equal(dueByOurRecords(null, [2000]), null);
  });
  it('reads the invoice only when our figure is unknown or would cap a deposit below what it holds', () => {
    assert.equal(mustReadInvoiceFirst(deposits, 8000), false, 'every deposit goes in full: no read');
    assert.equal(mustReadInvoiceFirst(deposits, 4500), false, 'exactly what they hold');
    assert.equal(mustReadInvoiceFirst(deposits, 4499), true, 'the last one would be capped: Xero says by how much');
    assert.equal(mustReadInvoiceFirst(deposits, null), true);
    assert.equal(mustReadInvoiceFirst([{ paymentId: 3, amountMinor: 1000, refundedMinor: 1000 }], 0), false, 'nothing held, nothing to cap');
  });
});

describe('packInCalls', () => {
  it('keeps a sale\'s deposits in one call, starting the next call when a sale would not fit', () => {
    assert.deepEqual(packInCalls([[1], [2, 3], [4]], 3), [[1, 2, 3], [4]]);
    assert.deepEqual(packInCalls([[1, 2], [3, 4], [5]], 3), [[1, 2], [3, 4, 5]]);
    assert.deepEqual(packInCalls([[], [1], []], 50), [[1]]);
    assert.deepEqual(packInCalls([], 50), []);
  });
  it('fills calls up to the limit (50 sales of one deposit: one call), splitting only a sale larger than a call', () => {
    const fifty = Array.from({ length: 50 }, (_, i) => [i]);
    assert.deepEqual(packInCalls(fifty, 50).map((c) => c.length), [50]);
    assert.deepEqual(packInCalls([...fifty, [50]], 50).map((c) => c.length), [50, 1]);
    assert.deepEqual(packInCalls([[1], [2, 3, 4, 5, 6], [7]], 2), [[1], [2, 3], [4, 5], [6, 7]]);
  });
});

describe('depositNote', () => {
  const format = (m: number) => (m / 100).toFixed(2);
  it('says the deposit waits as a prepayment, then when and how much of it was allocated', () => {
    assert.match(depositNote({ invoiceNumber: 'LB-7', allocatedOn: null, allocatedMinor: null, currency: 'GBP', format }), /held in Xero as a prepayment until the invoice LB-7 is posted/);
    assert.equal(depositNote({ invoiceNumber: 'LB-7', allocatedOn: '2027-06-14', allocatedMinor: 3000, currency: 'GBP', format }),
      'Deposit held in Xero as a prepayment; 30.00 GBP allocated to the invoice LB-7 on 14 Jun 2027');
  });
});

describe('prepayment payloads', () => {
  const sale = { ...makeSale('GBP', [{ price: 8000 }]), reference: 'CAMP-1' };
  const payment = { id: 41, orgId: 1, saleId: sale.id, method: 'card_terminal', amountMinor: 3050, currency: 'GBP', providerRef: 'tx-9', receivedAt: Date.parse('2026-05-31T23:30:00Z') };
  const m = ukMappings({ methodAccountCodes: { card_terminal: '090' } });
  it('a deposit is a RECEIVE-PREPAYMENT into the method\'s account for the customer, tax-inclusive so its total is the amount paid', () => {
    const receipt = buildPrepaymentReceipt(payment, sale, m, { contactId: 'c-1', timeZone: 'Europe/London' });
    assert.equal(receipt.Type, 'RECEIVE-PREPAYMENT');
    assert.deepEqual(receipt.BankAccount, { Code: '090' });
    assert.deepEqual(receipt.Contact, { ContactID: 'c-1' });
    assert.equal(receipt.Date, '2026-06-01', "the organisation's day");
    assert.equal(receipt.Reference, 'LB-P-41 tx-9');
    assert.equal(receipt.LineAmountTypes, 'Inclusive');
    assert.equal(receipt.LineItems[0]!.UnitAmount, 30.5);
    assert.match(receipt.LineItems[0]!.Description, new RegExp(`LB-${sale.id} \\(CAMP-1\\)`));
  });
  it('a refund out of it is a payment on the prepayment from the refund method\'s account; without a method it cannot be', () => {
    const refund = { id: 5, orgId: 1, saleId: sale.id, kind: 'amount' as const, amountMinor: 1000, currency: 'GBP', method: 'card_terminal', providerRef: null, reason: null, createdAt: Date.parse('2026-06-02T10:00:00Z'), lines: [] };
    const out = buildPrepaymentRefund(refund, 'pp-1', 1000, m, { timeZone: 'Europe/London' });
    assert.deepEqual(out, { Prepayment: { PrepaymentID: 'pp-1' }, Account: { Code: '090' }, Date: '2026-06-02', Amount: 10, Reference: 'LB-R-5' });
    assert.throws(() => buildPrepaymentRefund({ ...refund, method: null }, 'pp-1', 1000, m), PermanentError);
  });
});
