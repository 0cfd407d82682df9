// The credit-note push's decisions (plugins/xero/sync/creditNotes/decisions.ts): the guard, when a retry
// looks its note up, and what becomes of the credit — allocated, paid out, left for the payout, or kept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  allocatedSoFar, allocationDecision, allocationSettled, amountText, creditLeft, doneOnNote, guardRefund, mayHaveLanded, moneyText, payOutDecision, remainingCents,
  type RefundSteps,
} from '../../../plugins/xero/sync/creditNotes/decisions';
import type { CreditNoteAnswer } from '../../../plugins/xero/gateway/answers';

const note = (over: Partial<CreditNoteAnswer> = {}): CreditNoteAnswer => ({
  creditNoteId: 'cn-1', number: 'LB-R-1', status: 'AUTHORISED', totalCents: 1250, allocations: [], payments: [], summary: {}, ...over,
});
const nothingYet: RefundSteps = { hasNote: false, allocationRecorded: false, payOutRecorded: false, marked: { note: false, allocation: false, payOut: false } };

describe('credit note decisions', () => {
  it('guard: a removed note or invoice skips the refund, a missing invoice fails it', () => {
    assert.equal(guardRefund({ status: 'VOIDED' }, { status: 'AUTHORISED' }), 'note_removed');
    assert.equal(guardRefund({ status: 'deleted_upstream' }, undefined), 'note_removed', 'the note first: nothing to push either way');
    assert.equal(guardRefund(undefined, undefined), 'no_invoice');
    assert.equal(guardRefund(undefined, { status: 'DELETED' }), 'invoice_removed');
    assert.equal(guardRefund({ status: 'AUTHORISED' }, { status: 'PAID' }), 'proceed');
  });

  it('looks the note up only when a step may have landed, or a person asked to resend', () => {
    assert.equal(mayHaveLanded(false, nothingYet), false, 'a retry after a deferral or a refusal costs no look-up');
    assert.equal(mayHaveLanded(true, nothingYet), true);
    assert.equal(mayHaveLanded(false, { ...nothingYet, marked: { ...nothingYet.marked, note: true } }), true);
    assert.equal(mayHaveLanded(false, { ...nothingYet, hasNote: true, marked: { ...nothingYet.marked, note: true } }), false, 'the note is recorded: its mark is stale');
    assert.equal(mayHaveLanded(false, { ...nothingYet, hasNote: true, marked: { ...nothingYet.marked, allocation: true } }), true);
    assert.equal(mayHaveLanded(false, { ...nothingYet, hasNote: true, payOutRecorded: true, marked: { ...nothingYet.marked, payOut: true } }), false);
  });

  it('reads what is already done on a note Xero holds (deleted allocations do not count)', () => {
    const done = doneOnNote(note({ allocations: [{ amountCents: 400, isDeleted: false }, { amountCents: 100, isDeleted: true }], payments: [{ amountCents: 250 }] }));
    assert.deepEqual(done, { allocatedCents: 400, paidCents: 250, settled: true });
    assert.deepEqual(doneOnNote(note({ allocations: [{ amountCents: 100, isDeleted: true }] })), { allocatedCents: 0, paidCents: 0, settled: false });
    assert.deepEqual(doneOnNote(undefined), { allocatedCents: 0, paidCents: 0, settled: false });
  });

  it('needs the invoice\'s amount due only while an allocation may still be made', () => {
    const steps = { allocationRecorded: false, payOutRecorded: false };
    assert.equal(allocationSettled(null, steps, undefined), false);
    assert.equal(allocationSettled('cash', steps, undefined), true, 'money went back: never allocated');
    assert.equal(allocationSettled(null, { ...steps, allocationRecorded: true }, undefined), true);
    assert.equal(allocationSettled(null, steps, note({ payments: [{ amountCents: 1 }] })), true);
  });

  const input = { method: null, allocationRecorded: false, payOutRecorded: false, onNote: { allocatedCents: 0, paidCents: 0 }, invoiceDueCents: 5000, creditCents: 1250 };

  it('allocates a credit without a method up to what the invoice still asks for', () => {
    assert.deepEqual(allocationDecision(input), { kind: 'allocate', amountCents: 1250 });
    assert.deepEqual(allocationDecision({ ...input, invoiceDueCents: 500 }), { kind: 'allocate', amountCents: 500 }, 'partly paid: the rest stays on the note');
    assert.deepEqual(allocationDecision({ ...input, invoiceDueCents: 0 }), { kind: 'nothing_due' });
  });

  it('never allocates money that went back, nor twice', () => {
    assert.deepEqual(allocationDecision({ ...input, method: 'stripe' }), { kind: 'money_went_back' });
    assert.deepEqual(allocationDecision({ ...input, allocationRecorded: true }), { kind: 'settled' });
    assert.deepEqual(allocationDecision({ ...input, payOutRecorded: true }), { kind: 'settled' });
    assert.deepEqual(allocationDecision({ ...input, onNote: { allocatedCents: 1250, paidCents: 0 } }), { kind: 'settled' }, 'found allocated on the adopted note');
    assert.deepEqual(allocationDecision({ ...input, method: 'cash', onNote: { allocatedCents: 0, paidCents: 1250 } }), { kind: 'settled' }, 'found paid out on the adopted note');
  });

  it('knows what an earlier attempt allocated from its typed amount, or from the note Xero holds', () => {
    assert.equal(allocatedSoFar(0, { status: 'ALLOCATED', amountCents: 500 }), 500);
    assert.equal(allocatedSoFar(0, { status: 'NONE', amountCents: null }), 0);
    assert.equal(allocatedSoFar(0, undefined), 0);
    assert.equal(allocatedSoFar(700, { status: 'ALLOCATED', amountCents: 500 }), 700, 'what Xero shows on the adopted note wins');
  });

  it('pays out, keeps or leaves for the payout what no allocation took', () => {
    assert.equal(remainingCents(1250, 500, 0), 750);
    assert.equal(remainingCents(1250, 1000, 400), 0, 'never below zero');
    assert.equal(creditLeft({ payOutRecorded: false, remainingCents: 750 }), true);
    assert.equal(creditLeft({ payOutRecorded: true, remainingCents: 750 }), false, 'an earlier attempt paid it out or kept it');
    assert.equal(creditLeft({ payOutRecorded: false, remainingCents: 0 }), false);
    assert.equal(payOutDecision({ method: 'stripe', awaitingPayout: true }), 'awaiting_payout');
    assert.equal(payOutDecision({ method: 'cash', awaitingPayout: false }), 'pay_out');
    assert.equal(payOutDecision({ method: null, awaitingPayout: false }), 'keep_as_credit');
  });

  it('writes amounts at Xero\'s 2 dp', () => {
    assert.equal(amountText(1250), '12.50');
    assert.equal(amountText(5), '0.05');
    assert.equal(amountText(10_000_000_001), '100000000.01');
  });
  it('money a person reads names its currency, in the house style ("12.50 GBP")', () => {
    assert.equal(moneyText(29, 'GBP'), '0.29 GBP');
    assert.equal(moneyText(1250, 'USD'), '12.50 USD');
  });
});
