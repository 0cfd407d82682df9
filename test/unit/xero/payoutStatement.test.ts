// The line-level payout CSV's pure parts (issue 14): one row per charge, refund and fee and the transfer,
// in the columns of Xero's bank statement import, netting to zero for a payout that adds up; safe cells.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PayoutLineView } from '../../../server/plugins/contract';
import { csvCell, csvText, isoDay, payoutStatementRows, STATEMENT_HEADER, statementCells } from '../../../plugins/xero/payouts/statement';

const line = (over: Partial<PayoutLineView>): PayoutLineView => ({
  id: 1, payoutId: 9, position: 0, sourceId: 'txn_1', kind: 'charge', amountMinor: 0, feeMinor: 0, feeTaxMinor: 0, chargeRef: null, saleId: null,
  counterpartyName: null, counterpartyEmail: null, description: null, reference: null, occurredAt: Date.parse('2026-01-05T23:30:00Z'),
  originalAmountMinor: null, originalCurrency: null, exchangeRate: null, ...over,
});

const payout = { providerPayoutId: 'po_1', providerName: 'Stripe', currency: 'GBP', amountMinor: 0, arrivalDate: '2026-01-08' };
const places = {
  line: (l: PayoutLineView) => (l.saleId ? { text: `payment on invoice LB-${l.saleId}`, href: `https://go.xero.com/inv/${l.saleId}` } : null),
  fees: { text: 'bank transaction LBP9-FEES', href: 'https://go.xero.com/fees' },
  transfer: { text: 'bank transfer LBP9-XFER', href: 'https://go.xero.com/xfer' },
};

describe('payout statement rows', () => {
  const lines = [
    line({ id: 2, position: 1, sourceId: 'txn_r', kind: 'refund', amountMinor: -500, chargeRef: 'ch_a', saleId: 7, counterpartyName: 'Ada' }),
    line({ id: 1, position: 0, sourceId: 'txn_a', kind: 'charge', amountMinor: 2000, feeMinor: 59, chargeRef: 'ch_a', saleId: 7, counterpartyName: 'Ada', description: 'Climbing pass' }),
    line({ id: 3, position: 2, sourceId: 'txn_f', kind: 'fee', amountMinor: -100, description: 'Radar fee' }),
    line({ id: 4, position: 3, sourceId: 'txn_b', kind: 'charge', amountMinor: 1000, feeMinor: 35, counterpartyEmail: 'bob@example.com', reference: 'PARTY' }),
  ];
  const paid = { ...payout, amountMinor: 2000 - 59 - 500 - 100 + 1000 - 35 };
  const rows = payoutStatementRows(paid, lines, places, 'Europe/London');

  it('are each charge, its fee, each refund and fee line, in the lines\' order, then the transfer; they net to zero', () => {
    assert.deepEqual(rows.map((r) => [r.type, r.amountMinor]), [
      ['Charge', 2000], ['Fee', -59], ['Refund', -500], ['Fee', -100], ['Charge', 1000], ['Fee', -35], ['Transfer to bank', -paid.amountMinor],
    ]);
    assert.equal(rows.reduce((s, r) => s + r.amountMinor, 0), 0);
  });

  it('name the payee, what it was, its reference and where it went in Xero', () => {
    const cells = rows.map(statementCells);
    assert.deepEqual(cells[0], ['2026-01-05', '20.00', 'Ada', 'Climbing pass', 'txn_a', 'GBP', 'Charge', 'po_1', 'payment on invoice LB-7', 'https://go.xero.com/inv/7']);
    assert.deepEqual(cells[1], ['2026-01-05', '-0.59', 'Stripe', 'Stripe fee on charge txn_a', 'txn_a', 'GBP', 'Fee', 'po_1', 'bank transaction LBP9-FEES', 'https://go.xero.com/fees']);
    assert.deepEqual(cells[2]!.slice(0, 5), ['2026-01-05', '-5.00', 'Ada', 'Refund (ch_a)', 'txn_r']);
    assert.deepEqual(cells[3]!.slice(2, 4).concat(cells[3]!.slice(8)), ['Stripe', 'Radar fee', 'bank transaction LBP9-FEES', 'https://go.xero.com/fees'], 'a fee line is in the fees spend');
    assert.deepEqual(cells[4]!.slice(2, 5).concat(cells[4]!.slice(8)), ['bob@example.com', 'Charge', 'PARTY', '', ''], 'nowhere in Xero yet: empty, not invented');
    assert.deepEqual(cells[6], ['2026-01-08', '-23.06', 'Stripe', 'Stripe payout po_1 to the bank', 'po_1', 'GBP', 'Transfer to bank', 'po_1', 'bank transfer LBP9-XFER', 'https://go.xero.com/xfer']);
  });

  it('date each line in the organisation\'s time zone (23:30 UTC on 5 January is the 6th in Auckland)', () => {
    assert.equal(isoDay(Date.parse('2026-01-05T23:30:00Z'), 'Pacific/Auckland'), '2026-01-06');
    assert.equal(isoDay(Date.parse('2026-01-05T23:30:00Z'), 'UTC'), '2026-01-05');
    assert.equal(payoutStatementRows(paid, lines, places, 'Pacific/Auckland')[0]!.date, '2026-01-06');
  });

  it('keep a currency\'s own decimals (JPY none, BHD three)', () => {
    const yen = payoutStatementRows({ ...payout, currency: 'JPY', amountMinor: 1000 }, [line({ amountMinor: 1000 })], places, 'UTC').map(statementCells);
    assert.deepEqual(yen.map((c) => c[1]), ['1000', '-1000']);
    const dinar = payoutStatementRows({ ...payout, currency: 'BHD', amountMinor: 1234 }, [line({ amountMinor: 1234 })], places, 'UTC').map(statementCells);
    assert.deepEqual(dinar.map((c) => c[1]), ['1.234', '-1.234']);
  });
});

describe('CSV cells', () => {
  it('quote commas, quotes and line breaks; never start a formula; leave signed numbers as numbers', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('Smith, Jones'), '"Smith, Jones"');
    assert.equal(csvCell('a "b"'), '"a ""b"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('-cmd'), "'-cmd");
    assert.equal(csvCell('-12.50'), '-12.50');
    assert.equal(csvCell(-3), '-3');
  });

  it('the file: the header, then rows, CRLF line ends', () => {
    assert.equal(csvText(['A', 'B'], [['1', 'x,y']]), 'A,B\r\n1,"x,y"\r\n');
    assert.equal(csvText(STATEMENT_HEADER, []), 'Date,Amount,Payee,Description,Reference,Currency,Type,Payout,Xero record,Xero link\r\n');
  });
});
