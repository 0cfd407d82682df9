// A Stripe payout of 200 charges (most for known sales, some matched to invoices by score, one queued for
// sign-off), 7 refunds (2 partial), 1 dispute and fees, posted to the Xero emulator through the real
// outbox, sync and payout handlers; then Xero is read back: the clearing account nets to zero, the
// transfer equals the payout to the penny, and recording it again / replaying its item / a crash after
// Xero created records but before we recorded them posts nothing twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatCalendarDay, type PayoutInput } from '../../../server/plugins/contract';
import { dbKinds } from '../../support/db';
import { clearingBalanceCents, idOf as id, seedSyntheticStripePayout, startPayoutFixture, waitForPayout, type PayoutFixture } from './fixture';
import { enqueuePayoutPost } from '../../../plugins/xero/payouts/enqueue';
import { signOffMatch } from '../../../plugins/xero/payouts/signoff';
import { getSale } from '../../../server/domain/saleView';
import { logIn, postForm } from '../../support/xero';

type Json = Record<string, unknown>;

/** RFC 4180 CSV: quoted cells may hold commas, quotes ("") and line breaks; rows end in CRLF or LF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

for (const kind of dbKinds()) {
  describe(`a Stripe payout posted to Xero (${kind})`, () => {
    let f: PayoutFixture;
    let payout: PayoutInput;
    let payoutId: number;
    let queuedLineId: number;

    before(async () => {
      f = await startPayoutFixture(kind);
      ({ payout } = await seedSyntheticStripePayout(f, { known: 190, refunds: 7, unknown: 10 }));
      assert.equal(payout.lines.filter((l) => l.kind === 'charge').length, 200);
    });
    after(async () => f?.close());

    it('posts automatically what it can and queues the one weak match for sign-off', async () => {
      const recorded = await f.x.ctx.payouts.record(f.org.orgId, payout);
      assert.deepEqual([recorded.created, recorded.status], [true, 'received']);
      payoutId = recorded.payoutId;
      const state = await waitForPayout(f, payoutId, ['needs_signoff', 'failed', 'posted']);
      assert.equal(state.status, 'needs_signoff', String(state.message));
      const matches = (await f.x.ctx.db('xero_payout_matches').where({ payout_id: payoutId })) as Json[];
      assert.equal(matches.filter((m) => m.status === 'auto').length, 9);
      const queued = matches.filter((m) => m.status === 'queued');
      assert.equal(queued.length, 1);
      queuedLineId = Number(queued[0]!.line_id);
      const candidates = JSON.parse(String(queued[0]!.candidates)) as { invoiceNumber: string; score: number }[];
      assert.ok(candidates.length >= 1 && candidates[0]!.score < 85, JSON.stringify(candidates));
      assert.equal((await f.books<Json>('banktransfers')).length, 0, 'no transfer while a charge waits for sign-off');
    });

    it('after sign-off: the clearing account nets to zero and the transfer equals the payout to the penny', async () => {
      // The accountant signs off through the pages: the queue shows the charge; staff may not see it.
      const agent = await logIn(f.x.app, f.org.emails.accountant);
      const queue = await agent.get('/plugins/xero/payouts/signoff').expect(200);
      assert.match(queue.text, new RegExp(`id="line-${queuedLineId}"`));
      const staff = await logIn(f.x.app, f.org.emails.staff);
      await staff.get('/plugins/xero/payouts/signoff').expect(403);
      await agent.post(`/plugins/xero/payouts/signoff/${queuedLineId}`).type('form').send({ action: 'suspense' }).expect(403); // no CSRF token
      const top = /name="invoiceId" value="([^"]+)" checked/.exec(queue.text)![1]!;
      const res = await postForm(agent, '/plugins/xero/payouts/signoff', `/plugins/xero/payouts/signoff/${queuedLineId}`, { action: 'pick', invoiceId: top });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      await assert.rejects(signOffMatch(f.x.ctx, { kind: 'user', id: 1, orgId: f.org.orgId, role: 'accountant', name: 'a' }, queuedLineId, { action: 'confirm' }), /already decided/);
      const state = await waitForPayout(f, payoutId, ['posted', 'failed']);
      assert.equal(state.status, 'posted', String(state.message));
      // The signed-off line's payment is on its sale at once, as paid in Xero (issue 15), and not sent back.
      const signedOff = await f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, record_type: 'invoice' }).whereRaw('lower(xero_id) = ?', [top.toLowerCase()]).first();
      const onSale = await f.x.ctx.records.paymentsOfSale(f.x.ctx.db, f.org.orgId, Number(signedOff.entity_id));
      assert.deepEqual(onSale.map((p) => p.method), ['xero']);
      const saleView = await getSale(f.x.ctx.db, f.org.orgId, Number(signedOff.entity_id));
      assert.equal(saleView.outstanding, '0.00');
      assert.match(String(saleView.payments[0]!.source), /^Paid in Xero: stripe payout, /);
      const clearing = String(state.clearing_account_id);
      const account = (await f.books<Json>('accounts')).find((a) => id(a, 'AccountID') === clearing.toLowerCase())!;
      assert.deepEqual([account.Name, account.Type, account.Status], ['Stripe clearing', 'BANK', 'ACTIVE']);
      assert.equal(await clearingBalanceCents(f, clearing), 0);
      const transfers = await f.books<Json>('banktransfers');
      assert.equal(transfers.length, 1);
      assert.equal(Math.round(Number(transfers[0]!.Amount) * 100), Number(payout.amountMinor));
      assert.equal(id(transfers[0]!.FromBankAccount, 'AccountID'), clearing.toLowerCase());
      // Fees: one SPEND, tax-inclusive, equal to every fee of the payout.
      const fees = (await f.books<Json>('banktransactions')).filter((t) => String(t.Reference).startsWith(`LBP${payoutId}-FEES`));
      const expectedFees = payout.lines.reduce((s, l) => s + l.feeMinor, 0n) + 600n;
      assert.equal(fees.length, 1);
      assert.equal(Math.round(Number(fees[0]!.Total) * 100), Number(expectedFees));
      // Every known-sale charge is one Payment into clearing; the 10 matched ones too.
      const intoClearing = (await f.books<Json>('payments')).filter((p) => p.PaymentType === 'ACCRECPAYMENT' && id(p.Account, 'AccountID') === clearing.toLowerCase());
      assert.equal(intoClearing.length, 200);
      // The pages: list (with chart and its table), detail with the breakdown, CSV.
      const list = await agent.get('/plugins/xero/payouts').expect(200);
      assert.match(list.text, /po_e2e_1/);
      assert.match(list.text, /<svg/);
      const detail = await agent.get(`/plugins/xero/payouts/${payoutId}`).expect(200);
      assert.match(detail.text, /Net paid to the bank/);
      assert.match(detail.text, /bank transfer in Xero/);
      const csv = await agent.get('/plugins/xero/payouts.csv').expect(200);
      assert.match(csv.text, new RegExp(`po_e2e_1,stripe,2026-01-08,GBP,${(Number(payout.amountMinor) / 100).toFixed(2)},[0-9.]+,posted`));
      // Line level, as Xero's bank statement import reads it (issue 14): every charge, refund, dispute and
      // fee, then the transfer, each with its Xero record and link; one payout's rows net to zero.
      const statement = await agent.get(`/plugins/xero/payouts/lines.csv?payout=${payoutId}`).expect(200).expect('content-type', /text\/csv/);
      const [header, ...rows] = parseCsv(statement.text);
      assert.deepEqual(header, ['Date', 'Amount', 'Payee', 'Description', 'Reference', 'Currency', 'Type', 'Payout', 'Xero record', 'Xero link']);
      const withFee = payout.lines.filter((l) => l.feeMinor !== 0n).length;
      assert.equal(rows.length, payout.lines.filter((l) => l.amountMinor !== 0n).length + withFee + 1);
      const cents = (text: string) => Math.round(Number(text) * 100);
      assert.equal(rows.reduce((sum, r) => sum + cents(r[1]!), 0), 0, 'the clearing account\'s statement nets to zero');
      assert.ok(rows.every((r) => /^\d{4}-\d{2}-\d{2}$/.test(r[0]!) && /^-?\d+\.\d{2}$/.test(r[1]!) && r[5] === 'GBP' && r[7] === 'po_e2e_1'), 'ISO dates, plain signed amounts');
      const transferRow = rows.at(-1)!;
      assert.deepEqual([transferRow[0], cents(transferRow[1]!), transferRow[6]], ['2026-01-08', -Number(payout.amountMinor), 'Transfer to bank']);
      assert.match(transferRow[8]!, /^bank transfer LBP\d+-XFER/);
      // Links open the organisation's record in Xero (through its ShortCode login when known): follow one.
      const opens = (href: string) => decodeURIComponent(href);
      assert.match(opens(transferRow[9]!), /\/Bank\/ViewTransfer\.aspx\?bankTransferID=[0-9a-f-]{36}$/);
      assert.equal((await fetch(transferRow[9]!)).status, 200, 'the transfer\'s link opens its page');
      const feeRows = rows.filter((r) => r[6] === 'Fee');
      assert.equal(feeRows.reduce((sum, r) => sum - cents(r[1]!), 0), Number(expectedFees), 'the fee rows are the fees spend');
      assert.ok(feeRows.every((r) => /^bank transaction LBP\d+-FEES/.test(r[8]!) && /bankTransactionID=/.test(opens(r[9]!))), 'each fee names the fees spend');
      const charges = rows.filter((r) => r[6] === 'Charge');
      assert.equal(charges.length, 200);
      assert.ok(charges.every((r) => r[8] && r[9]!.startsWith('http')), 'every charge with its Xero record and link');
      assert.ok(charges.some((r) => /^payment on invoice LB-\d+$/.test(r[8]!) && /InvoiceID=/.test(opens(r[9]!))), 'a known sale\'s charge names its invoice');
      assert.ok(rows.filter((r) => r[6] === 'Refund').length >= 7);
      const everything = parseCsv((await agent.get('/plugins/xero/payouts/lines.csv').expect(200)).text);
      assert.equal(everything.length, rows.length + 1, 'all payouts: the only one here');
      await agent.get('/plugins/xero/payouts/lines.csv?payout=999999').expect(404);
      await staff.get('/plugins/xero/payouts/lines.csv').expect(403);

      // The sync log's payout filter: only this payout's rows, the sign-off by the accountant's name and email.
      const log = await agent.get(`/plugins/xero/sync/log?payout=${payoutId}`).expect(200);
      const logRows = [...log.text.matchAll(/<tr data-outcome="[^"]+">([\s\S]*?)<\/tr>/g)].map((m) => m[1]!);
      assert.ok(logRows.length > 0 && logRows.every((r) => r.includes(`href="/plugins/xero/payouts/${payoutId}">payout ${payoutId}</a>`)), 'only the payout\'s rows');
      const signedOffRow = logRows.find((r) => /<td>signed off<\/td>/.test(r));
      assert.match(signedOffRow ?? '', new RegExp(`<td class="actor">[^<]+ \\(${f.org.emails.accountant.replace(/\./g, '\\.')}\\)</td>`));
      assert.match(log.text, new RegExp(`<option value="${payoutId}" selected>Stripe po_e2e_1 \\(arrived ${formatCalendarDay('2026-01-08')}\\)</option>`));
      const audit = (await f.x.ctx.db('xero_audit').where({ entity_type: 'payout', entity_id: payoutId, record_type: 'payout_match' })) as Json[];
      assert.deepEqual(audit.map((a) => a.action).sort(), [...Array(9).fill('matched'), 'queued', 'signed_off'].sort());
    });

    it('posts nothing twice: the payout recorded again, its item replayed, a crash before the Xero ids were kept', async () => {
      // What the payout posts (History notes of the sync may still be arriving meanwhile).
      const posted = async () => {
        const c = (await f.counts()) as Record<string, unknown>;
        return [c.payments, c.bankTransactions, c.bankTransfers, c.accounts, c.contacts];
      };
      const before = await posted();
      const again = await f.x.ctx.payouts.record(f.org.orgId, payout);
      assert.deepEqual([again.payoutId, again.created], [payoutId, false]);
      // Replay: a new item for the same payout.
      await f.x.ctx.db.transaction((trx) => enqueuePayoutPost(f.x.ctx, trx, f.org.orgId, payoutId, { again: { triggeredBy: 'system', why: 'replay' } }));
      // Crash: Xero has the records, we lost their ids (and the state), then the item runs again.
      await f.x.ctx.db('xero_payout_steps').where({ payout_id: payoutId }).whereIn('step_key', ['FEES', 'XFER', `L${queuedLineId}`]).delete();
      await f.x.ctx.db('xero_payouts').where({ payout_id: payoutId }).update({ status: 'pending' });
      await f.x.ctx.db.transaction((trx) => enqueuePayoutPost(f.x.ctx, trx, f.org.orgId, payoutId, { again: { triggeredBy: 'system', why: 'crash' } }));
      const busy = async () => Number((await f.x.ctx.db('outbox').where({ type: 'xero.payout.post' }).whereIn('status', ['pending', 'leased']).count({ n: '*' }).first())!.n);
      for (const deadline = Date.now() + 60_000; (await busy()) > 0;) {
        assert.ok(Date.now() < deadline, 'the replayed items did not finish');
        await new Promise((r) => setTimeout(r, 100));
      }
      const state = await waitForPayout(f, payoutId, ['posted', 'failed']);
      assert.equal(state.status, 'posted', String(state.message));
      assert.deepEqual(await posted(), before);
      const steps = (await f.x.ctx.db('xero_payout_steps').where({ payout_id: payoutId, step_key: 'XFER' })) as Json[];
      assert.match(String(steps[0]!.message), /adopted/);
      assert.equal(await clearingBalanceCents(f, String(state.clearing_account_id)), 0);
    });
  });
}
