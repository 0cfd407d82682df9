// The Xero gateway on its own: named options land in xero-node's positional parameters, and answers come
// back normalised once (ids, statuses, amounts as integer hundredths, dates as epoch ms), element by element
// for a batch. The caller is a stand-in that runs the gateway's operation against a recording fake api.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectSerializer, type AccountingApi } from 'xero-node';
import { XeroGateway, type XeroCaller } from '../../../plugins/xero/gateway/gateway';
import type { CallOptions, XeroOperation } from '../../../plugins/xero/gateway/client';
import { centsOf, xeroTime } from '../../../plugins/xero/gateway/answers';

interface Recorded { method: string; args: unknown[]; beforeSendRan: boolean }

/** A caller whose api answers every method with `answer` (Xero's JSON, deserialised as xero-node would). */
function fakeXero(answer: (method: string) => { json: unknown; model: string }): { gateway: XeroGateway; calls: Recorded[] } {
  const calls: Recorded[] = [];
  const caller: XeroCaller = {
    async call<T>(operation: XeroOperation<T>, opts: CallOptions = {}): Promise<T> {
      let beforeSendRan = false;
      if (opts.beforeSend) {
        await opts.beforeSend();
        beforeSendRan = true;
      }
      const api = new Proxy({}, {
        get: (_target, method: string) => async (...args: unknown[]) => {
          calls.push({ method, args, beforeSendRan });
          const { json, model } = answer(method);
          return { response: { status: 200, headers: {} }, body: ObjectSerializer.deserialize(json, model) };
        },
      }) as AccountingApi;
      return (await operation(api, 'tenant-1')).body;
    },
  };
  return { gateway: new XeroGateway(caller), calls };
}

describe('the Xero gateway', () => {
  it('finds invoices by number with xero-node\'s invoiceNumbers parameter, answers normalised', async () => {
    const { gateway, calls } = fakeXero(() => ({
      model: 'Invoices',
      json: { Invoices: [{ InvoiceID: 'inv-1', InvoiceNumber: 'LB-42', Status: 'AUTHORISED', SubTotal: 10.42, TotalTax: 2.08, Total: 12.5, AmountDue: 2.3, Date: '/Date(1718409600000+0000)/', Contact: { ContactID: 'c-1', Name: 'Ann', EmailAddress: 'ann@example.com' } }] },
    }));
    const [invoice] = await gateway.findInvoicesByNumber(['LB-42']);
    assert.deepEqual(calls.map((c) => [c.method, c.args]), [['getInvoices', ['tenant-1', undefined, undefined, undefined, undefined, ['LB-42']]]]);
    assert.deepEqual({ ...invoice, summary: undefined }, {
      invoiceId: 'inv-1', number: 'LB-42', status: 'AUTHORISED', totalCents: 1250, amountDueCents: 230, date: 1718409600000,
      contact: { contactId: 'c-1', name: 'Ann', email: 'ann@example.com' }, currency: null, payments: [],
      totals: { subTotalCents: 1042, totalTaxCents: 208, totalCents: 1250 }, summary: undefined,
    });
    assert.deepEqual(invoice!.summary, { InvoiceID: 'inv-1', InvoiceNumber: 'LB-42', Status: 'AUTHORISED', Total: 12.5, AmountDue: 2.3 }, 'the audit summary keeps Xero\'s names');
  });

  it('gets invoices by id (iDs) and reads a page of open invoices (where, page, summaryOnly)', async () => {
    const { gateway, calls } = fakeXero(() => ({ model: 'Invoices', json: { Invoices: [] } }));
    await gateway.getInvoices(['a', 'b']);
    await gateway.openInvoices({ currency: 'GBP', page: 3 });
    assert.deepEqual(calls[0]!.args, ['tenant-1', undefined, undefined, undefined, ['a', 'b']]);
    assert.deepEqual(calls[1]!.args, ['tenant-1', undefined, 'Type=="ACCREC" AND Status=="AUTHORISED" AND CurrencyCode=="GBP"', undefined, undefined, undefined, undefined, undefined, 3, undefined, undefined, undefined, true]);
  });

  it('a batch answers element by element: created with its values, refused with Xero\'s messages', async () => {
    const { gateway, calls } = fakeXero(() => ({
      model: 'Invoices',
      json: { Invoices: [
        { InvoiceID: 'inv-1', InvoiceNumber: 'LB-1', Status: 'AUTHORISED', SubTotal: 0, TotalTax: 0, Total: 0 },
        { InvoiceNumber: 'LB-2', HasErrors: true, ValidationErrors: [{ Message: 'Invoice # must be unique.' }] },
        { InvoiceNumber: 'LB-3', StatusAttributeString: 'ERROR' },
      ] },
    }));
    const sent = ['LB-1', 'LB-2', 'LB-3'].map((n) => ({ Type: 'ACCREC' as const, Contact: { ContactID: 'c' }, InvoiceNumber: n, Reference: n, CurrencyCode: 'GBP', Date: '2024-06-15', DueDate: '2024-06-15', Status: 'AUTHORISED' as const, LineAmountTypes: 'NoTax' as const, LineItems: [] }));
    let marked = false;
    const elements = await gateway.createInvoices(sent, { unitdp: 4, idempotencyKey: 'lb-key', beforeSend: async () => { marked = true; } });
    assert.ok(marked);
    assert.equal(calls[0]!.beforeSendRan, true, 'the send mark runs before the request');
    assert.deepEqual(calls[0]!.args.slice(2), [false, 4, 'lb-key'], 'summarizeErrors=false, unitdp, Idempotency-Key');
    // The content hash of what was created (gateway/contentHash.ts) comes with it: a sha256 in hex.
    assert.deepEqual(elements.map((e) => (e.ok ? { ...e.value, contentHash: /^[0-9a-f]{64}$/.test(e.value.contentHash) } : e.messages)), [
      { invoiceId: 'inv-1', number: 'LB-1', status: 'AUTHORISED', totals: { subTotalCents: 0, totalTaxCents: 0, totalCents: 0 }, contentHash: true, totalCents: 0 },
      ['Invoice # must be unique.'],
      [],
    ]);
    assert.equal(elements[2]!.ok, false);
  });

  it('refuses to match a batch Xero answered with another number of elements', async () => {
    const { gateway } = fakeXero(() => ({ model: 'Payments', json: { Payments: [{ PaymentID: 'p-1' }] } }));
    const payment = { Account: { Code: '090' }, Date: '2024-06-15', Amount: 1, Reference: 'LB-P-1' };
    await assert.rejects(gateway.createPayments([payment, payment], { idempotencyKey: 'k' }), /answered 1 Payments for 2 sent/);
  });

  it('finds payments by our key (alone or followed by the provider\'s reference), live ones only', async () => {
    const { gateway, calls } = fakeXero(() => ({
      model: 'Payments',
      json: { Payments: [
        { PaymentID: 'p-1', Reference: 'LB-P-1 ch_1', Status: 'AUTHORISED', Invoice: { InvoiceID: 'inv-1' } },
        { PaymentID: 'p-2', Reference: 'LB-P-1', Status: 'DELETED', Invoice: { InvoiceID: 'inv-1' } },
      ] },
    }));
    const found = await gateway.findPaymentsByKey(['LB-P-1']);
    assert.equal(calls[0]!.args[2], 'Reference=="LB-P-1" OR Reference.StartsWith("LB-P-1 ")');
    assert.deepEqual(found.map((p) => [p.paymentId, p.reference, p.invoiceId]), [['p-1', 'LB-P-1 ch_1', 'inv-1']]);
  });

  it('finds bank transactions by reference: spend/receive money only, never a transfer\'s legs (which carry the transfer\'s reference), live ones only', async () => {
    const { gateway } = fakeXero(() => ({
      model: 'BankTransactions',
      json: { BankTransactions: [
        { BankTransactionID: 'bt-fee', Type: 'SPEND', Reference: 'po_1 fees', Status: 'AUTHORISED' },
        { BankTransactionID: 'bt-old', Type: 'RECEIVE', Reference: 'po_1 adj', Status: 'DELETED' },
        { BankTransactionID: 'leg-out', Type: 'SPEND-TRANSFER', Reference: 'po_1', Status: 'AUTHORISED' },
        { BankTransactionID: 'leg-in', Type: 'RECEIVE-TRANSFER', Reference: 'po_1', Status: 'AUTHORISED' },
      ] },
    }));
    const found = await gateway.findBankTransactionsByReference(['po_1 fees', 'po_1 adj', 'po_1']);
    assert.deepEqual(found, [{ id: 'bt-fee', reference: 'po_1 fees', status: 'AUTHORISED' }]);
  });

  it('reads a credit note with what is already allocated and paid out of it', async () => {
    const { gateway, calls } = fakeXero(() => ({
      model: 'CreditNotes',
      json: { CreditNotes: [{ CreditNoteID: 'cn-1', CreditNoteNumber: 'LB-R-7', Status: 'PAID', Total: 10, Allocations: [{ Amount: 4.1 }, { Amount: 1, IsDeleted: true }], Payments: [{ Amount: 5.9 }] }] },
    }));
    const [note] = await gateway.findCreditNotesByNumber(['LB-R-7', 'LB-R-7']);
    assert.equal(calls[0]!.args[2], 'CreditNoteNumber=="LB-R-7"');
    assert.deepEqual([note!.creditNoteId, note!.totalCents, note!.allocations, note!.payments], ['cn-1', 1000, [{ amountCents: 410, isDeleted: false }, { amountCents: 100, isDeleted: true }], [{ amountCents: 590 }]]);
  });

  it('a created record without its id is not taken as created', async () => {
    const { gateway } = fakeXero(() => ({ model: 'Contacts', json: { Contacts: [{ Name: 'Ann' }] } }));
    await assert.rejects(gateway.createContacts([{ Name: 'Ann', ContactNumber: 'LB-C-1' }], { idempotencyKey: 'k' }), /without the ContactID/);
  });

  it('amounts and dates', () => {
    assert.equal(centsOf(0.1 + 0.2), 30);
    assert.equal(centsOf(undefined), 0);
    assert.equal(xeroTime('2024-06-15'), Date.UTC(2024, 5, 15));
    assert.equal(xeroTime('/Date(1718409600000+0000)/'), 1718409600000);
    assert.equal(xeroTime('not a date'), 0);
  });
});
