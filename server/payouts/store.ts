// Payouts as plugins read them back (the contract's PayoutStore): the recorder plus typed reads, so the
// plugin that posts or reconciles a payout never queries the payout tables itself.
import type { Queryable } from '../db/knex';
import type { PayoutLineView, PayoutStore, PayoutView } from '../plugins/contract';
import { createPayoutRecorder, payoutSnapshot, type PayoutLineRow, type PayoutRecorderDeps, type PayoutRow } from './record';

/** SQLite binds at most 999 parameters a statement. */
const CHUNK = 500;
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function payoutView(row: PayoutRow): PayoutView {
  return { ...payoutSnapshot(row), createdAt: num(row.created_at) };
}

export function payoutLineView(row: PayoutLineRow): PayoutLineView {
  return {
    id: num(row.id), payoutId: num(row.payout_id), position: num(row.position), sourceId: row.source_id, kind: row.kind,
    amountMinor: num(row.amount_minor), feeMinor: num(row.fee_minor), feeTaxMinor: num(row.fee_tax_minor), chargeRef: row.charge_ref,
    saleId: numOrNull(row.sale_id), counterpartyName: row.counterparty_name, counterpartyEmail: row.counterparty_email,
    description: row.description, reference: row.reference, occurredAt: num(row.occurred_at),
    originalAmountMinor: numOrNull(row.original_amount_minor), originalCurrency: row.original_currency, exchangeRate: row.exchange_rate,
  };
}

export function createPayoutStore(deps: PayoutRecorderDeps): PayoutStore {
  const recorder = createPayoutRecorder(deps);
  return {
    record: recorder.record,

    async get(db: Queryable, orgId: number, payoutId: number) {
      const payout = (await db<PayoutRow>('payouts').where({ id: payoutId, org_id: orgId }).first()) as PayoutRow | undefined;
      if (!payout) return null;
      const lines = (await db<PayoutLineRow>('payout_lines').where({ payout_id: payoutId }).orderBy('position')) as PayoutLineRow[];
      return { payout: payoutView(payout), lines: lines.map(payoutLineView) };
    },

    async list(db, filter) {
      const query = (ids?: readonly number[]) => {
        const q = db<PayoutRow>('payouts');
        if (filter.orgId !== undefined) q.where('org_id', filter.orgId);
        if (ids) q.whereIn('id', [...ids]);
        if (filter.provider !== undefined) q.where('provider', filter.provider);
        if (filter.arrivedSince !== undefined) q.where('arrival_date', '>=', filter.arrivedSince);
        q.orderBy('id', 'desc');
        if (filter.limit !== undefined) q.limit(filter.limit);
        return q;
      };
      if (!filter.ids) return ((await query()) as PayoutRow[]).map(payoutView);
      const rows: PayoutRow[] = [];
      for (let i = 0; i < filter.ids.length; i += CHUNK) rows.push(...((await query(filter.ids.slice(i, i + CHUNK))) as PayoutRow[]));
      rows.sort((a, b) => Number(b.id) - Number(a.id));
      return rows.slice(0, filter.limit ?? rows.length).map(payoutView);
    },

    async lines(db, orgId, lineIds) {
      const out: PayoutLineView[] = [];
      for (let i = 0; i < lineIds.length; i += CHUNK) {
        const rows = (await db<PayoutLineRow>('payout_lines').where({ org_id: orgId }).whereIn('id', lineIds.slice(i, i + CHUNK))) as PayoutLineRow[];
        out.push(...rows.map(payoutLineView));
      }
      return out.sort((a, b) => a.id - b.id);
    },

    async latestAccountRef(db, orgId, provider) {
      const row = (await db('payouts').where({ org_id: orgId, provider }).orderBy('id', 'desc').first('account_ref')) as { account_ref: string } | undefined;
      return row ? String(row.account_ref) : null;
    },
  };
}
