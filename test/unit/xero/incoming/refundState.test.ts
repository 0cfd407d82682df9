// What a refund says about its credit note in Xero: nothing while the note is as our push left it (our own
// writes echoing back), and in words once someone allocated, paid out, undid or voided it there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refundStateInXero, type NoteInXero } from '../../../../plugins/xero/incoming/refundState';

const note = (over: Partial<NoteInXero>): NoteInXero => ({ number: 'LB-R-3', status: 'AUTHORISED', totalCents: 3000, allocatedCents: 0, paidOutCents: 0, ...over });

test('as our push left it (allocated or paid out by us, or untouched credit): nothing to say', () => {
  assert.equal(refundStateInXero(note({ status: 'PAID', allocatedCents: 3000 }), { allocatedCents: 3000, paidOutCents: 0 }), null);
  assert.equal(refundStateInXero(note({ status: 'PAID', paidOutCents: 3000 }), { allocatedCents: 0, paidOutCents: 3000 }), null);
  assert.equal(refundStateInXero(note({}), { allocatedCents: 0, paidOutCents: 0 }), null);
});

test('allocated or paid out in Xero: settled, or part settled with the credit left', () => {
  assert.equal(refundStateInXero(note({ status: 'PAID', paidOutCents: 3000 }), { allocatedCents: 0, paidOutCents: 0 }), 'Settled in Xero: 30.00 paid out');
  assert.equal(refundStateInXero(note({ status: 'PAID', allocatedCents: 3000 }), { allocatedCents: 0, paidOutCents: 0 }), 'Settled in Xero: 30.00 allocated');
  assert.equal(refundStateInXero(note({ status: 'PAID', allocatedCents: 1000, paidOutCents: 2000 }), { allocatedCents: 1000, paidOutCents: 0 }), 'Settled in Xero: 10.00 allocated, 20.00 paid out');
  assert.equal(refundStateInXero(note({ allocatedCents: 1000 }), { allocatedCents: 0, paidOutCents: 0 }), 'Part settled in Xero: 10.00 allocated; 20.00 credit left');
});

test('our allocation removed in Xero: open again; voided or deleted: said so', () => {
  assert.equal(refundStateInXero(note({}), { allocatedCents: 3000, paidOutCents: 0 }), 'Open in Xero: 30.00 credit not used');
  assert.equal(refundStateInXero(note({ status: 'VOIDED', allocatedCents: 3000 }), { allocatedCents: 3000, paidOutCents: 0 }), 'Credit note LB-R-3 voided in Xero');
  assert.equal(refundStateInXero(note({ status: 'DELETED', number: null }), { allocatedCents: 0, paidOutCents: 0 }), 'Credit note deleted in Xero');
});
