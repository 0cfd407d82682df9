import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, ValidationError } from '../../../server/errors';
import { createSale } from '../../../server/domain/sales';
import type { HostEvent } from '../../../server/domain/events';
import { createPayoutRecorder } from '../../../server/payouts/record';
import { createProviderPayments } from '../../../server/payouts/payments';
import type { PayoutInput, PayoutLineInput } from '../../../server/plugins/contract';
import { dbKinds } from '../../support/db';
import { committedEvents, createDomainFixture, saleBody, type DomainFixture } from '../domain/fixtures';
import { hostRecords } from '../../../server/domain/hostRecords';

const recorderDeps = (fx: DomainFixture) => ({ ...fx, providers: () => ['stripe', 'gocardless'], existingSaleIds: hostRecords.existingSaleIds });

function line(sourceId: string, overrides: Partial<PayoutLineInput> = {}): PayoutLineInput {
  return {
    sourceId, kind: 'charge', amountMinor: 2800n, feeMinor: 62n, feeTaxMinor: 0n, chargeRef: `ch_${sourceId}`, saleId: null,
    counterpartyName: 'Ann Lee', counterpartyEmail: 'Ann@Example.com', description: 'Yoga', reference: null, occurredAt: Date.UTC(2024, 4, 1),
    ...overrides,
  };
}

function payout(id: string, lines: PayoutLineInput[], amountMinor?: bigint): PayoutInput {
  const net = () => lines.reduce((s, l) => s + l.amountMinor - l.feeMinor, 0n);
  return { provider: 'stripe', accountRef: 'acct_1', providerPayoutId: id, currency: 'GBP', amountMinor: amountMinor ?? net(), arrivalDate: '2024-05-03', lines };
}

const count = async (fx: DomainFixture, table: string) => Number(((await fx.db(table).count({ n: '*' })) as { n: number }[])[0]!.n);

for (const kind of dbKinds()) {
  describe(`ctx.payouts.record (${kind})`, () => {
    let fx: DomainFixture;
    const paid: HostEvent<'payout.paid'>[] = [];
    before(async () => {
      fx = await createDomainFixture(kind);
      fx.events.on('payout.paid', async (e) => {
        paid.push(e as HostEvent<'payout.paid'>);
      });
    });
    after(async () => fx.destroy());

    it('stores the payout and its lines and emits payout.paid once, even when recorded twice', async () => {
      const sale = await createSale(fx, fx.staff, saleBody());
      const recorder = createPayoutRecorder(recorderDeps(fx));
      const input = payout('po_twice', [line('txn_1', { saleId: sale.id }), line('txn_2'), line('txn_3', { kind: 'refund', amountMinor: -500n, feeMinor: 0n })]);
      const first = await recorder.record(fx.orgId, input);
      assert.deepEqual({ created: first.created, status: first.status }, { created: true, status: 'received' });
      const again = await recorder.record(fx.orgId, input);
      assert.deepEqual(again, { payoutId: first.payoutId, created: false, status: 'received' });
      // Concurrent deliveries of one payout: still one.
      const racing = await Promise.all([recorder.record(fx.orgId, input), recorder.record(fx.orgId, input)]);
      assert.ok(racing.every((r) => r.payoutId === first.payoutId && !r.created));

      const row = await fx.db('payouts').where({ id: first.payoutId }).first();
      assert.equal(Number(row.amount_minor), 2 * (2800 - 62) - 500);
      assert.equal(Number(row.gross_minor), 5100);
      assert.equal(Number(row.fee_minor), 124);
      const lines = await fx.db('payout_lines').where({ payout_id: first.payoutId }).orderBy('position');
      assert.deepEqual(lines.map((l) => [l.source_id, l.kind, Number(l.amount_minor), l.sale_id === null ? null : Number(l.sale_id), l.counterparty_email]), [
        ['txn_1', 'charge', 2800, sale.id, 'ann@example.com'],
        ['txn_2', 'charge', 2800, null, 'ann@example.com'],
        ['txn_3', 'refund', -500, null, 'ann@example.com'],
      ]);
      const events = (await committedEvents(fx.db)).filter((e) => e.type === 'payout.paid' && e.subject_id === first.payoutId);
      assert.equal(events.length, 1);
      assert.equal(paid.filter((e) => e.data.payout.id === first.payoutId).length, 1);
      assert.equal(paid.at(-1)!.data.payout.providerPayoutId, 'po_twice');
    });

    it('stores lines that do not add up with status discrepancy (the money did arrive)', async () => {
      const recorder = createPayoutRecorder(recorderDeps(fx));
      const result = await recorder.record(fx.orgId, payout('po_short', [line('a'), line('b')], 5000n));
      assert.equal(result.status, 'discrepancy');
      assert.equal((await fx.db('payouts').where({ id: result.payoutId }).first()).status, 'discrepancy');
      assert.equal(paid.at(-1)!.data.payout.status, 'discrepancy');
    });

    it('keeps a sale id only when the sale is this organisation\'s', async () => {
      const theirs = await createSale(fx, fx.otherOrgStaff, saleBody());
      const recorder = createPayoutRecorder(recorderDeps(fx));
      const result = await recorder.record(fx.orgId, payout('po_foreign', [line('x', { saleId: theirs.id }), line('y', { saleId: 999999 })]));
      const lines = await fx.db('payout_lines').where({ payout_id: result.payoutId });
      assert.deepEqual(lines.map((l) => l.sale_id), [null, null]);
    });

    it('is per organisation and provider: the same payout id elsewhere is another payout', async () => {
      const recorder = createPayoutRecorder(recorderDeps(fx));
      const a = await recorder.record(fx.orgId, payout('po_shared', [line('1')]));
      const b = await recorder.record(fx.otherOrgId, payout('po_shared', [line('1')]));
      const c = await recorder.record(fx.orgId, { ...payout('po_shared', [line('1')]), provider: 'gocardless' });
      assert.equal(new Set([a.payoutId, b.payoutId, c.payoutId]).size, 3);
    });

    it('refuses the same payout id with another amount, changing nothing', async () => {
      const recorder = createPayoutRecorder(recorderDeps(fx));
      await recorder.record(fx.orgId, payout('po_changed', [line('1')]));
      const before = [await count(fx, 'payouts'), await count(fx, 'payout_lines'), await count(fx, 'domain_events')];
      await assert.rejects(recorder.record(fx.orgId, payout('po_changed', [line('1'), line('2')])), (err: unknown) => err instanceof AppError && err.code === 'PAYOUT_ALREADY_RECORDED');
      assert.deepEqual([await count(fx, 'payouts'), await count(fx, 'payout_lines'), await count(fx, 'domain_events')], before);
    });

    it('rejects bad input naming every field, storing nothing', async () => {
      const recorder = createPayoutRecorder(recorderDeps(fx));
      const before = await count(fx, 'payouts');
      const bad = {
        ...payout('', [line('dup'), line('dup', { kind: 'bogus' as never, amountMinor: 12 as never }), line('taxed', { feeTaxMinor: 100n })], 0n),
        currency: 'gbp', arrivalDate: '2024-02-30',
      };
      await assert.rejects(recorder.record(fx.orgId, bad), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.deepEqual(err.issues.map((i) => i.path).sort(), [
          'arrivalDate', 'currency', 'lines.1.amountMinor', 'lines.1.kind', 'lines.1.sourceId', 'lines.2.feeTaxMinor', 'providerPayoutId',
        ]);
        return true;
      });
      assert.equal(await count(fx, 'payouts'), before);
    });
  });

  describe(`ctx.payments.record (${kind})`, () => {
    let fx: DomainFixture;
    before(async () => {
      fx = await createDomainFixture(kind);
    });
    after(async () => fx.destroy());

    it('records a provider payment on our sale as the system, once per provider reference', async () => {
      const sale = await createSale(fx, fx.staff, saleBody()); // 28.00
      const payments = createProviderPayments(fx);
      const input = { method: 'stripe' as const, amountMinor: 2800, currency: 'GBP', providerRef: 'ch_abc', receivedAt: Date.UTC(2024, 4, 1, 9) };
      const first = await payments.record(fx.orgId, sale.id, input);
      const again = await payments.record(fx.orgId, sale.id, input);
      assert.equal(first.created, true);
      assert.deepEqual(again, { paymentId: first.paymentId, created: false });
      const row = await fx.db('payments').where({ id: first.paymentId }).first();
      assert.deepEqual([row.method, Number(row.amount_minor), row.provider_ref, row.created_by, Number(row.received_at)], ['stripe', 2800, 'ch_abc', 'system:0', Date.UTC(2024, 4, 1, 9)]);
      assert.equal((await committedEvents(fx.db)).filter((e) => e.type === 'payment.received').length, 1);
    });

    it('records a method only its plugin records (xero, "Paid in Xero"), which the API and forms refuse', async () => {
      const sale = await createSale(fx, fx.staff, saleBody()); // 28.00
      const recorded = await createProviderPayments(fx).record(fx.orgId, sale.id, {
        method: 'xero', amountMinor: 2800, currency: 'GBP', providerRef: '11111111-2222-4333-8444-555555555555', receivedAt: Date.UTC(2024, 4, 1, 9),
      });
      assert.equal(recorded.created, true);
      assert.equal((await fx.db('payments').where({ id: recorded.paymentId }).first()).method, 'xero');
    });

    it('keeps the host rules: another organisation\'s sale is not found, overpayment is refused', async () => {
      const sale = await createSale(fx, fx.staff, saleBody());
      const payments = createProviderPayments(fx);
      await assert.rejects(payments.record(fx.otherOrgId, sale.id, { method: 'stripe', amountMinor: 100, currency: 'GBP', providerRef: 'ch_x', receivedAt: Date.now() }), (e: unknown) => e instanceof AppError && e.statusCode === 404);
      await assert.rejects(payments.record(fx.orgId, sale.id, { method: 'stripe', amountMinor: 999999, currency: 'GBP', providerRef: 'ch_y', receivedAt: Date.now() }), ValidationError);
      await assert.rejects(payments.record(fx.orgId, sale.id, { method: 'stripe', amountMinor: 0, currency: 'GBP', providerRef: 'ch_z', receivedAt: Date.now() }), ValidationError);
    });

    it('never records money paid in another currency as the sale\'s: ¥1000 or €10.00 on a £28.00 sale is refused, nothing stored', async () => {
      const sale = await createSale(fx, fx.staff, saleBody()); // 28.00 GBP
      const payments = createProviderPayments(fx);
      for (const [currency, amountMinor] of [['JPY', 1000], ['EUR', 1000], ['BHD', 5000]] as const) {
        await assert.rejects(
          payments.record(fx.orgId, sale.id, { method: 'stripe', amountMinor, currency, providerRef: `ch_${currency}`, receivedAt: Date.now() }),
          (e: unknown) => e instanceof ValidationError && e.issues.some((i) => i.path === 'currency' && /GBP/.test(i.message)),
        );
      }
      await assert.rejects(payments.record(fx.orgId, sale.id, { method: 'stripe', amountMinor: 100, currency: 'gbp', providerRef: 'ch_lower', receivedAt: Date.now() }), ValidationError);
      assert.equal((await fx.db('payments').where({ sale_id: sale.id })).length, 0);
    });
  });
}
