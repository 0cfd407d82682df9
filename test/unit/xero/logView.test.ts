// The sync log's pure parts (issue 14): pages, history notes folded under their record, people named the
// same way everywhere, Xero ids in messages replaced by the records' numbers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  actorLabel, actorShown, foldHistoryNotes, logPage, messageParts, nameXeroIds, pageNumber, pageWindow, SYSTEM_ACTOR, xeroIdsIn,
} from '../../../plugins/xero/engine/logView';
import { knownRecordOf } from '../../../plugins/xero/engine/knownRecords';

describe('sync log pages', () => {
  it('reads ?page= as a whole number from 1, anything else as the first page', () => {
    assert.deepEqual(['3', 3, '1', undefined, '', '0', '-2', '1.5', 'two', '9007199254740993'].map(pageNumber), [3, 3, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('reads one row more than a page holds, and shows it only as "older"', () => {
    assert.deepEqual(pageWindow(1, 50), { offset: 0, limit: 51 });
    assert.deepEqual(pageWindow(3, 50), { offset: 100, limit: 51 });
    const rows = Array.from({ length: 51 }, (_, i) => i);
    const second = logPage(rows, 2, 50);
    assert.equal(second.rows.length, 50);
    assert.deepEqual({ ...second, rows: undefined }, { rows: undefined, page: 2, first: 51, last: 100, hasNewer: true, hasOlder: true });
    const last = logPage(rows.slice(0, 7), 3, 50);
    assert.deepEqual({ ...last, rows: undefined }, { rows: undefined, page: 3, first: 101, last: 107, hasNewer: true, hasOlder: false });
    assert.deepEqual({ ...logPage([], 1, 50), rows: undefined }, { rows: undefined, page: 1, first: 0, last: 0, hasNewer: false, hasOlder: false });
  });
});

describe('history notes folded under their record', () => {
  const row = (id: number, entityId: number, recordType: string, action: string) => ({ id, entityType: 'sale', entityId, recordType, action });

  it('go under the row that created the record (not a later adoption), in the order given', () => {
    const rows = [row(10, 1, 'invoice', 'adopted'), row(9, 1, 'invoice', 'resend'), row(8, 2, 'invoice', 'created'), row(7, 1, 'payment', 'created'), row(6, 1, 'invoice', 'created')];
    const notes = [row(20, 1, 'invoice', 'history'), row(21, 2, 'invoice', 'history'), row(22, 1, 'invoice', 'history')];
    const { rows: folded, unplaced } = foldHistoryNotes(rows, notes);
    assert.deepEqual(folded.map((r) => [r.id, r.notes.map((n) => n.id)]), [[10, []], [9, []], [8, [21]], [7, []], [6, [20, 22]]]);
    assert.deepEqual(unplaced, []);
  });

  it('go under a row that adopted the record when none on the page created it', () => {
    const { rows } = foldHistoryNotes([row(3, 1, 'invoice', 'resend'), row(2, 1, 'invoice', 'adopted')], [row(4, 1, 'invoice', 'history')]);
    assert.deepEqual(rows.map((r) => [r.id, r.notes.map((n) => n.id)]), [[3, []], [2, [4]]]);
  });

  it("go under the record's first row when its creation is on another page; a note with no row is kept apart, not lost", () => {
    const { rows, unplaced } = foldHistoryNotes([row(5, 3, 'credit_note', 'allocated'), row(4, 3, 'credit_note', 'retry')], [row(6, 3, 'credit_note', 'history'), row(7, 4, 'invoice', 'history')]);
    assert.deepEqual(rows.map((r) => [r.id, r.notes.map((n) => n.id)]), [[5, [6]], [4, []]]);
    assert.deepEqual(unplaced.map((n) => n.id), [7]);
  });

  it('never fold a refund\'s note under a sale with the same number', () => {
    const { rows, unplaced } = foldHistoryNotes([{ id: 1, entityType: 'sale', entityId: 5, recordType: 'credit_note', action: 'created' }], [{ id: 2, entityType: 'refund', entityId: 5, recordType: 'credit_note', action: 'history' }]);
    assert.deepEqual(rows[0]!.notes, []);
    assert.equal(unplaced.length, 1);
  });
});

describe('who acted', () => {
  it('is a name and an email, once each', () => {
    assert.equal(actorLabel({ name: 'Ada Lovelace', email: 'ada@example.com' }), 'Ada Lovelace (ada@example.com)');
    assert.equal(actorLabel({ name: 'ada@example.com', email: 'ADA@example.com' }), 'ada@example.com');
    assert.equal(actorLabel({ name: 'Till 2' }), 'Till 2');
    assert.equal(actorLabel({ name: ' ', email: 'ada@example.com' }), 'ada@example.com');
  });

  it('is the same on every row: the system by name, a worker\'s row for a person\'s request by that person, never "user:1"', () => {
    const known = new Map([['user:3', 'Grace Hopper (grace@example.com)']]);
    assert.equal(actorShown({ triggeredBy: 'system', actor: null }, known), SYSTEM_ACTOR);
    assert.equal(actorShown({ triggeredBy: 'user:3', actor: 'Grace Hopper (grace@example.com)' }, new Map()), 'Grace Hopper (grace@example.com)');
    assert.equal(actorShown({ triggeredBy: 'user:3', actor: null }, known), 'Grace Hopper (grace@example.com)');
    assert.equal(actorShown({ triggeredBy: 'user:1', actor: null }, known), 'person #1 (not named in this log)');
  });
});

describe('Xero ids in messages', () => {
  const invoiceId = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
  const paymentId = 'a8098c1a-f86e-11da-bd1a-00112444be1e';

  it('are found once each, in any case', () => {
    assert.deepEqual(xeroIdsIn([`History note added to invoice ${invoiceId}`, null, `and ${invoiceId.toLowerCase()} → ${paymentId}`, 'no id here: INV-0042']), [invoiceId.toLowerCase(), paymentId]);
  });

  it('become the record\'s number where it has one; others stay as they are', () => {
    const numbers = new Map([[invoiceId.toLowerCase(), 'LB-16']]);
    assert.equal(nameXeroIds(`History note added to invoice ${invoiceId}; payment ${paymentId}`, numbers), `History note added to invoice LB-16; payment ${paymentId}`);
    assert.equal(nameXeroIds('nothing to name', numbers), 'nothing to name');
  });

  it('in Xero\'s message become the records we know, by number or name and linked; an id we do not know stays in the text', () => {
    const links = { of: (kind: string, id: string) => `https://go.xero.com/${kind}/${id}` };
    const contactId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
    const known = new Map([
      [invoiceId.toLowerCase(), knownRecordOf({ recordType: 'invoice', number: 'LB-16', entityType: 'sale', entityId: 16 }, invoiceId, links)],
      [contactId, knownRecordOf({ recordType: 'contact', number: null, entityType: 'customer', entityId: 4 }, contactId, links, 'Ada Lovelace')],
    ]);
    const unknown = '11111111-2222-4333-8444-555555555555';
    const message = `Invoice ${invoiceId} cannot be paid: the contact ${contactId} is archived (see ${unknown}).`;
    assert.deepEqual(messageParts(message, known), [
      { text: 'Invoice ' },
      { text: 'LB-16', record: { name: 'LB-16', what: 'Xero invoice LB-16', href: `https://go.xero.com/invoice/${invoiceId}` } },
      { text: ' cannot be paid: the contact ' },
      { text: 'Ada Lovelace', record: { name: 'Ada Lovelace', what: 'Xero contact Ada Lovelace', href: `https://go.xero.com/contact/${contactId}` } },
      { text: ` is archived (see ${unknown}).` },
    ]);
    assert.equal(messageParts(message, known).map((p) => p.text).join(''), `Invoice LB-16 cannot be paid: the contact Ada Lovelace is archived (see ${unknown}).`);
    assert.deepEqual(messageParts('no ids at all', known), [{ text: 'no ids at all' }]);
    assert.deepEqual(messageParts('', known), []);
    assert.deepEqual(messageParts(invoiceId, known).map((p) => p.text), ['LB-16'], 'a message that is only the id');
  });

  it('name each kind we keep by what it is, with the page Xero has for it', () => {
    const links = { of: (kind: string, id: string) => `${kind}:${id}` };
    const id = 'ed7f6041-c915-4667-bd1d-54c48e92161e';
    const of = (recordType: string, number: string | null) => knownRecordOf({ recordType, number, entityType: 'payment', entityId: 7 }, id, links);
    assert.deepEqual(of('credit_note', 'LB-CN-3'), { name: 'LB-CN-3', what: 'Xero credit note LB-CN-3', href: `credit_note:${id}` });
    assert.deepEqual(of('overpayment', 'LB-OP-7'), { name: 'LB-OP-7', what: 'Xero overpayment LB-OP-7', href: `bank_transaction:${id}` });
    assert.deepEqual(of('prepayment', 'LB-DEP-7'), { name: 'LB-DEP-7', what: 'Xero prepayment LB-DEP-7', href: `bank_transaction:${id}` });
    assert.deepEqual(of('bank_transaction', 'po_1 fees'), { name: 'po_1 fees', what: 'Xero bank transaction po_1 fees', href: `bank_transaction:${id}` });
    assert.deepEqual(of('payment', null), { name: 'Xero payment', what: 'Xero payment', href: `payment:${id}` }, 'ours without a number: said by what it is');
    assert.deepEqual(knownRecordOf({ recordType: 'contact', number: null, entityType: 'customer', entityId: 4 }, id, links),
      { name: 'Xero contact of customer 4', what: 'Xero contact of customer 4', href: `contact:${id}` });
  });
});
