// The host side of payouts: a provider plugin hands over a payout broken into lines; we store it once per
// (organisation, provider, payout id) and emit `payout.paid` in the same transaction, so a downstream
// plugin's outbox row commits with the payout or not at all. A payout whose lines do not add up to the
// amount paid is still stored (the money did arrive) but marked 'discrepancy' for a person to look at.
import { ConflictError, ValidationError, type FieldIssue } from '../errors';
import { nowMs, type Db, type Queryable, type Trx } from '../db/knex';
import type { EventBus } from '../domain/eventBus';
import type { PayoutSnapshot } from '../domain/events';
import { isCurrencyCode } from '../domain/currency';
import type { PayoutInput, PayoutLineKind, PayoutProvider, PayoutRecorder, RecordedPayout } from './types';

export const PAYOUT_LINE_KINDS: readonly PayoutLineKind[] = ['charge', 'refund', 'dispute', 'dispute_reversal', 'failure', 'fee', 'adjustment'];
/** Rows per insert: 18 columns × 50 stays under SQLite's 999 bound parameters. */
const INSERT_CHUNK = 50;

export interface PayoutRow {
  id: number;
  org_id: number;
  provider: PayoutProvider;
  account_ref: string;
  provider_payout_id: string;
  currency: string;
  amount_minor: number;
  gross_minor: number;
  fee_minor: number;
  arrival_date: string;
  status: 'received' | 'discrepancy';
  line_count: number;
  created_by: string;
  created_at: number;
}

export interface PayoutLineRow {
  id: number;
  payout_id: number;
  org_id: number;
  position: number;
  source_id: string;
  kind: PayoutLineKind;
  amount_minor: number;
  fee_minor: number;
  fee_tax_minor: number;
  charge_ref: string | null;
  sale_id: number | null;
  counterparty_name: string | null;
  counterparty_email: string | null;
  description: string | null;
  reference: string | null;
  occurred_at: number;
  /** Currency conversion of the line (migration 0007); null when it settled in its own currency. */
  original_amount_minor: number | null;
  original_currency: string | null;
  exchange_rate: string | null;
}

export interface PayoutRecorderDeps {
  db: Db;
  events: EventBus;
  /** The payment methods money reaches the bank by in payouts (the installed provider plugins' ids). */
  providers(): readonly PayoutProvider[];
  /** Which of these ids are the organisation's sales (the host's records). */
  existingSaleIds(db: Queryable, orgId: number, saleIds: readonly number[]): Promise<Set<number>>;
  /** Who records (created_by), e.g. the calling plugin. */
  actor?: string;
  now?: () => number;
}

export function payoutSnapshot(row: PayoutRow): PayoutSnapshot {
  return {
    id: Number(row.id),
    orgId: Number(row.org_id),
    provider: row.provider,
    accountRef: row.account_ref,
    providerPayoutId: row.provider_payout_id,
    currency: row.currency,
    amountMinor: Number(row.amount_minor),
    grossMinor: Number(row.gross_minor),
    feeMinor: Number(row.fee_minor),
    arrivalDate: row.arrival_date,
    status: row.status,
    lineCount: Number(row.line_count),
  };
}

export function createPayoutRecorder(deps: PayoutRecorderDeps): PayoutRecorder {
  return {
    async record(orgId: number, input: PayoutInput): Promise<RecordedPayout> {
      const payout = validatePayoutInput(input, deps.providers());
      const now = deps.now?.() ?? nowMs();
      return deps.db.transaction((trx) => recordInTransaction(deps, trx, orgId, payout, now));
    },
  };
}

async function recordInTransaction(deps: PayoutRecorderDeps, trx: Trx, orgId: number, payout: PayoutInput, now: number): Promise<RecordedPayout> {
  const key = { org_id: orgId, provider: payout.provider, provider_payout_id: payout.providerPayoutId };
  const existing = (await trx<PayoutRow>('payouts').where(key).first()) as PayoutRow | undefined;
  if (existing) return repeatOf(existing, payout);

  const gross = payout.lines.reduce((sum, l) => sum + l.amountMinor, 0n);
  const fees = payout.lines.reduce((sum, l) => sum + l.feeMinor, 0n);
  const status = gross - fees === payout.amountMinor ? 'received' : 'discrepancy';
  // ON CONFLICT DO NOTHING: a racing delivery of the same payout waits for the winner (PostgreSQL) and
  // gets no row, instead of an aborted transaction.
  const [row] = (await trx('payouts')
    .insert({
      ...key,
      account_ref: payout.accountRef,
      currency: payout.currency,
      amount_minor: Number(payout.amountMinor),
      gross_minor: Number(gross),
      fee_minor: Number(fees),
      arrival_date: payout.arrivalDate,
      status,
      line_count: payout.lines.length,
      created_by: deps.actor ?? 'system:payouts',
      created_at: now,
    })
    .onConflict(['org_id', 'provider', 'provider_payout_id'])
    .ignore()
    .returning('*')) as PayoutRow[];
  if (!row) return repeatOf((await trx<PayoutRow>('payouts').where(key).first()) as PayoutRow, payout);

  const ourSales = await deps.existingSaleIds(trx, orgId, [...new Set(payout.lines.map((l) => l.saleId).filter((id): id is number => id !== null))]);
  const lineRows = payout.lines.map((line, position) => ({
    payout_id: row.id,
    org_id: orgId,
    position,
    source_id: line.sourceId,
    kind: line.kind,
    amount_minor: Number(line.amountMinor),
    fee_minor: Number(line.feeMinor),
    fee_tax_minor: Number(line.feeTaxMinor),
    charge_ref: line.chargeRef,
    // Metadata can name any id; only this organisation's sale counts as known (the rest is matched later).
    sale_id: line.saleId !== null && ourSales.has(line.saleId) ? line.saleId : null,
    counterparty_name: line.counterpartyName,
    counterparty_email: line.counterpartyEmail?.toLowerCase() ?? null,
    description: line.description,
    reference: line.reference,
    occurred_at: line.occurredAt,
    original_amount_minor: line.originalAmountMinor == null ? null : Number(line.originalAmountMinor),
    original_currency: line.originalCurrency ?? null,
    exchange_rate: line.exchangeRate ?? null,
  }));
  for (let i = 0; i < lineRows.length; i += INSERT_CHUNK) await trx('payout_lines').insert(lineRows.slice(i, i + INSERT_CHUNK));

  await deps.events.emit(trx, { type: 'payout.paid', orgId, occurredAt: now, data: { payout: payoutSnapshot(row) } }, { type: 'payout', id: row.id });
  return { payoutId: row.id, created: true, status };
}

/** The same payout again is a no-op; the same id with a different amount or currency is someone's mistake. */
function repeatOf(existing: PayoutRow, payout: PayoutInput): RecordedPayout {
  if (Number(existing.amount_minor) !== Number(payout.amountMinor) || existing.currency !== payout.currency) {
    throw new ConflictError(
      `Payout ${payout.provider} "${payout.providerPayoutId}" is already recorded as payout ${existing.id} with ${existing.amount_minor} ${existing.currency} (minor units)`,
      'PAYOUT_ALREADY_RECORDED',
      { payoutId: existing.id },
    );
  }
  return { payoutId: existing.id, created: false, status: existing.status };
}

// ------------------------------------------------------------------ validation

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Checks every field and reports every problem at once, naming the field; nothing is stored on failure. */
export function validatePayoutInput(input: PayoutInput, providers: readonly PayoutProvider[]): PayoutInput {
  const issues: FieldIssue[] = [];
  const bad = (path: string, message: string) => issues.push({ path, message });
  const text = (path: string, value: unknown, max: number, required: boolean) => {
    if (value === null || value === undefined) {
      if (required) bad(path, 'is required');
      return;
    }
    if (typeof value !== 'string' || (required && value.trim() === '')) bad(path, 'must be a non-empty string');
    else if (value.length > max) bad(path, `must be at most ${max} characters`);
  };
  const minor = (path: string, value: unknown) => {
    if (typeof value !== 'bigint') bad(path, 'must be a bigint (minor units)');
    else if (value > MAX_SAFE || value < -MAX_SAFE) bad(path, 'is out of range');
  };

  if (typeof input !== 'object' || input === null) throw new ValidationError([{ path: '', message: 'must be a payout object' }]);
  if (!providers.includes(input.provider)) bad('provider', providers.length ? `must be one of ${providers.join(', ')}` : 'no payout provider is installed');
  text('accountRef', input.accountRef, 255, true);
  text('providerPayoutId', input.providerPayoutId, 255, true);
  if (typeof input.currency !== 'string' || !isCurrencyCode(input.currency)) bad('currency', 'must be an upper-case ISO 4217 code');
  minor('amountMinor', input.amountMinor);
  if (typeof input.arrivalDate !== 'string' || !isCalendarDate(input.arrivalDate)) bad('arrivalDate', 'must be a date YYYY-MM-DD');
  if (!Array.isArray(input.lines)) bad('lines', 'must be an array');
  else {
    const seen = new Set<string>();
    input.lines.forEach((line, i) => {
      const at = (f: string) => `lines.${i}.${f}`;
      if (typeof line !== 'object' || line === null) return bad(`lines.${i}`, 'must be an object');
      text(at('sourceId'), line.sourceId, 255, true);
      if (typeof line.sourceId === 'string') {
        if (seen.has(line.sourceId)) bad(at('sourceId'), `"${line.sourceId}" appears twice in this payout`);
        seen.add(line.sourceId);
      }
      if (!PAYOUT_LINE_KINDS.includes(line.kind)) bad(at('kind'), `must be one of ${PAYOUT_LINE_KINDS.join(', ')}`);
      minor(at('amountMinor'), line.amountMinor);
      minor(at('feeMinor'), line.feeMinor);
      minor(at('feeTaxMinor'), line.feeTaxMinor);
      if (typeof line.feeMinor === 'bigint' && typeof line.feeTaxMinor === 'bigint' && typeof line.amountMinor === 'bigint') {
        // The tax is part of the fee: of feeMinor, and for a stand-alone fee line of its own amount too.
        const fee = line.feeMinor + (line.kind === 'fee' ? -line.amountMinor : 0n);
        const abs = (v: bigint) => (v < 0n ? -v : v);
        if (abs(line.feeTaxMinor) > abs(fee) || (line.feeTaxMinor !== 0n && (line.feeTaxMinor < 0n) !== (fee < 0n))) {
          bad(at('feeTaxMinor'), 'must be part of the fee (same sign, not larger)');
        }
      }
      text(at('chargeRef'), line.chargeRef, 255, false);
      if (line.saleId !== null && !(Number.isSafeInteger(line.saleId) && line.saleId > 0)) bad(at('saleId'), 'must be a positive integer or null');
      text(at('counterpartyName'), line.counterpartyName, 200, false);
      text(at('counterpartyEmail'), line.counterpartyEmail, 320, false);
      text(at('description'), line.description, 4000, false);
      text(at('reference'), line.reference, 255, false);
      if (!Number.isSafeInteger(line.occurredAt) || line.occurredAt < 0) bad(at('occurredAt'), 'must be epoch milliseconds');
      // Conversion: all three or none; the original amount has the line's sign.
      const fx = [line.originalAmountMinor, line.originalCurrency, line.exchangeRate].filter((v) => v !== null && v !== undefined).length;
      if (fx !== 0 && fx !== 3) bad(at('originalAmountMinor'), 'originalAmountMinor, originalCurrency and exchangeRate go together (all or none)');
      if (line.originalAmountMinor !== null && line.originalAmountMinor !== undefined) {
        minor(at('originalAmountMinor'), line.originalAmountMinor);
        if (typeof line.originalAmountMinor === 'bigint' && typeof line.amountMinor === 'bigint' && (line.originalAmountMinor < 0n) !== (line.amountMinor < 0n)) {
          bad(at('originalAmountMinor'), 'must have the same sign as amountMinor');
        }
      }
      if (line.originalCurrency !== null && line.originalCurrency !== undefined && !(typeof line.originalCurrency === 'string' && isCurrencyCode(line.originalCurrency))) {
        bad(at('originalCurrency'), 'must be an upper-case ISO 4217 code');
      }
      if (line.exchangeRate !== null && line.exchangeRate !== undefined && !(typeof line.exchangeRate === 'string' && /^\d{1,9}(\.\d{1,20})?$/.test(line.exchangeRate) && Number(line.exchangeRate) > 0)) {
        bad(at('exchangeRate'), 'must be a positive decimal text such as "0.79"');
      }
    });
  }
  if (issues.length > 0) throw new ValidationError(issues, 'The payout has invalid fields');
  return input;
}

function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}
