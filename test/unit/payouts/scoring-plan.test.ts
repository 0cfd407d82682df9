import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideMatch, scoreCandidate, type ChargeToMatch, type OpenInvoice } from '../../../plugins/xero/payouts/scoring';
import { buildPayoutPlan, type PlanInput, type PlanLine } from '../../../plugins/xero/payouts/plan';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 0, 5);
const charge = (over: Partial<ChargeToMatch> = {}): ChargeToMatch => ({ amountMinor: 5000, currency: 'GBP', counterpartyName: 'Ann Lee', counterpartyEmail: 'ann@example.com', reference: 'INV-12', description: null, occurredAt: t0, ...over });
const invoice = (over: Partial<OpenInvoice> = {}): OpenInvoice => ({ invoiceId: 'i12', invoiceNumber: 'INV-12', currency: 'GBP', amountDueMinor: 5000, totalMinor: 5000, date: t0 - DAY, contactName: 'Ann Lee', contactEmail: 'ann@example.com', ...over });

describe('payout match scoring', () => {
  it('weighs amount 40, reference 30, counterparty 20, date 10', () => {
    assert.equal(scoreCandidate(charge(), invoice()).score, 100);
    assert.equal(scoreCandidate(charge({ reference: null }), invoice()).score, 70);
    assert.equal(scoreCandidate(charge({ reference: 'INV-123' }), invoice()).score, 70, 'INV-12 is not inside INV-123');
    assert.equal(scoreCandidate(charge({ counterpartyEmail: null, counterpartyName: 'Ann Smith' }), invoice()).score, 90);
    assert.equal(scoreCandidate(charge({ occurredAt: t0 + 10 * DAY }), invoice()).score, 95);
    assert.equal(scoreCandidate(charge({ amountMinor: 2000 }), invoice()).score, 80);
  });

  it('posts at the threshold, queues below it, on a tie and when nothing fits', () => {
    assert.equal(decideMatch(charge(), [invoice()]).kind, 'auto');
    const weak = decideMatch(charge({ reference: null, counterpartyEmail: null, counterpartyName: 'X' }), [invoice()]);
    assert.equal(weak.kind, 'queued');
    assert.equal(weak.candidates[0]!.score, 50);
    assert.equal(decideMatch(charge({ reference: null, counterpartyEmail: null, counterpartyName: 'X' }), [invoice()], 50).kind, 'auto', 'threshold is configurable');
    const tie = decideMatch(charge({ reference: null }), [invoice(), invoice({ invoiceId: 'i13', invoiceNumber: 'INV-13' })]);
    assert.equal(tie.kind, 'queued');
    assert.equal(decideMatch(charge(), [invoice({ currency: 'EUR' }), invoice({ amountDueMinor: 10 })]).kind, 'queued', 'other currency or too little due: no candidate');
  });
});

const line = (id: number, over: Partial<PlanLine> = {}): PlanLine => ({ id, kind: 'charge', amountMinor: 1000, feeMinor: 35, feeTaxMinor: 0, saleId: null, sourceId: `txn_${id}`, chargeRef: `ch_${id}`, description: null, occurredAt: t0, ...over });
const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  payout: { id: 7, provider: 'stripe', providerName: 'Stripe', providerPayoutId: 'po_1', currency: 'GBP', amountMinor: 0, arrivalDate: '2026-01-08' },
  lines: [], settings: { bankAccountCode: '090', feesAccountCode: '404', feeTaxType: 'INPUT2', suspenseAccountCode: '260', disputeAccountCode: null, threshold: 85 },
  clearingAccountId: 'clr', hostSide: new Map(), matches: new Map(), posted: new Set(), ...over,
});

describe('payout posting plan', () => {
  const lines = [line(1, { saleId: 10 }), line(2), line(3, { kind: 'refund', amountMinor: -400, feeMinor: 0 }), line(4, { kind: 'dispute', amountMinor: -1000, feeMinor: 1500 }), line(5, { kind: 'fee', amountMinor: -600, feeMinor: 0, feeTaxMinor: 100 })];
  const net = lines.reduce((s, l) => s + l.amountMinor - l.feeMinor, 0);
  const base = input({ lines, payout: { ...input().payout, amountMinor: net }, hostSide: new Map([[1, { state: 'in_xero' as const }]]), matches: new Map([[2, { status: 'auto' as const, invoiceId: 'inv2' }]]) });

  it('nets to zero: what enters clearing minus what leaves it equals the transfer', () => {
    const plan = buildPayoutPlan(base);
    assert.deepEqual(plan.steps.map((s) => s.key), ['L2', 'L3', 'L4', 'FEES']);
    const hostCharge = 1000; // line 1, put into clearing by the sync
    const moved = hostCharge + plan.steps.reduce((s, step) => s + step.amountMinor, 0);
    assert.ok(plan.transfer);
    assert.equal(moved + plan.transfer.amountMinor, 0);
    const fees = plan.steps.find((s) => s.key === 'FEES')!;
    assert.equal(fees.amountMinor, -(35 * 2 + 1500 + 600));
    assert.ok('transaction' in fees, 'fees post as a bank transaction');
    assert.equal((fees.transaction as { LineAmountTypes?: string }).LineAmountTypes, 'Inclusive');
    assert.equal(plan.steps[0]!.reference, 'LBP7-L2 po_1');
  });

  it('plans only what is not posted, and holds the transfer while anything waits, is queued or cannot post', () => {
    assert.deepEqual(buildPayoutPlan({ ...base, posted: new Set(['L2', 'FEES']) }).steps.map((s) => s.key), ['L3', 'L4']);
    assert.equal(buildPayoutPlan({ ...base, posted: new Set(['XFER']) }).transfer, null);
    assert.equal(buildPayoutPlan({ ...base, hostSide: new Map([[1, { state: 'waiting' as const, reason: 'sync' }]]) }).transfer, null);
    const queued = buildPayoutPlan({ ...base, matches: new Map() });
    assert.deepEqual([queued.queued, queued.transfer], [[2], null]);
    const noSuspense = buildPayoutPlan({ ...base, settings: { ...base.settings, suspenseAccountCode: null } });
    assert.equal(noSuspense.transfer, null);
    assert.match(noSuspense.failed[0]!.reason, /suspense account/);
    assert.match(buildPayoutPlan({ ...base, settings: { ...base.settings, bankAccountCode: null } }).failed.at(-1)!.reason, /bank account/);
  });

  it("names the provider in the books as the install calls it: the spends' contact and descriptions", () => {
    const plan = buildPayoutPlan({ ...base, payout: { ...base.payout, provider: 'mollie', providerName: 'Mollie' } });
    type Spend = { transaction: { Contact: { Name: string }; LineItems: { Description: string }[] } };
    const spend = (key: string) => plan.steps.find((s) => s.key === key) as unknown as Spend;
    assert.deepEqual(spend('FEES').transaction.Contact, { Name: 'Mollie' });
    assert.equal(spend('FEES').transaction.LineItems[0]!.Description, 'Mollie fees, payout po_1');
    assert.equal(spend('L3').transaction.LineItems[0]!.Description, 'Mollie refund txn_3');
  });
});
