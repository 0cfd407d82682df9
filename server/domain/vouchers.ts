// Gift vouchers. Selling one is a sale line of kind 'voucher': the sale creates a voucher with a code, the
// line's amount and an expiry day (a year after the sale, in the organisation's calendar). Redeeming it is a
// payment with method gift_voucher naming the code: refused (422, naming the field) when the code does not
// exist, has expired, is in another currency or lacks the balance; accepted, it takes from the balance in the
// payment's transaction, under a row lock, so two tills cannot spend the same pound.
import { randomInt } from 'node:crypto';
import { ValidationError, type FieldIssue } from '../errors';
import type { Db, Queryable, Trx } from '../db/knex';
import type { EventBus } from './eventBus';
import type { VoucherSnapshot } from './events';
import { formatMinor } from './money';

export const GIFT_VOUCHER_METHOD = 'gift_voucher';
/** How long a voucher can be used, from the day it is sold. */
export const VOUCHER_VALIDITY_MONTHS = 12;
// No 0/O, 1/I/L or U: a code is read aloud at the desk and typed from a printed card.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
export const VOUCHER_CODE = /^GV-[A-Z0-9]{4}-[A-Z0-9]{4}$/;

export interface VoucherRow {
  id: number;
  org_id: number;
  code: string;
  sale_id: number;
  sale_line_id: number;
  currency: string;
  amount_minor: number | string;
  balance_minor: number | string;
  expires_on: string;
  written_off_minor: number | string | null;
  written_off_at: number | string | null;
  written_off_by: string | null;
  /** Taken off the balance by refunds of the voucher's sale line. */
  refunded_minor: number | string;
  /** When a refund took all that was left: it can no longer be used. */
  cancelled_at: number | string | null;
  created_at: number | string;
}

export type VoucherStatus = 'active' | 'used' | 'expired' | 'written_off' | 'cancelled';

/** Who wrote a voucher off when no person did: the organisation's scheduled write-off (the audit trail's words). */
export const AUTOMATIC_WRITE_OFF = 'written off automatically';

export function newVoucherCode(): string {
  const part = () => Array.from({ length: 4 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  return `GV-${part()}-${part()}`;
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayIn(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

/** The last day a voucher sold on `soldOn` can be used: the same day `months` later (31 Jan + 1 month: 28/29 Feb). */
export function expiryDay(soldOn: string, months = VOUCHER_VALIDITY_MONTHS): string {
  const [y, m, d] = soldOn.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

export function voucherStatus(v: Pick<VoucherRow, 'balance_minor' | 'expires_on' | 'written_off_at' | 'cancelled_at'>, today: string): VoucherStatus {
  if (v.cancelled_at !== null && v.cancelled_at !== undefined) return 'cancelled';
  if (v.written_off_at !== null && v.written_off_at !== undefined) return 'written_off';
  if (Number(v.balance_minor) === 0) return 'used';
  return v.expires_on < today ? 'expired' : 'active';
}

/** One voucher per voucher line of a new sale (in the sale's transaction). */
export async function createVouchersForSale(
  trx: Trx, sale: { id: number; org_id: number; currency: string; occurredAt: number; timeZone: string },
  lines: readonly { id: number; kind?: string; line_total_minor: number | string }[], now: number,
): Promise<void> {
  const expiresOn = expiryDay(dayIn(sale.occurredAt, sale.timeZone));
  for (const line of lines.filter((l) => l.kind === 'voucher')) {
    // A clash of random codes is rare (30^8); try another rather than fail the sale.
    for (let attempt = 0; ; attempt += 1) {
      const inserted = (await trx('vouchers')
        .insert({
          org_id: sale.org_id, code: newVoucherCode(), sale_id: sale.id, sale_line_id: line.id, currency: sale.currency,
          amount_minor: Number(line.line_total_minor), balance_minor: Number(line.line_total_minor), expires_on: expiresOn, created_at: now,
        })
        .onConflict(['org_id', 'code'])
        .ignore()
        .returning('id')) as unknown[];
      if (inserted.length > 0) break;
      if (attempt >= 5) throw new Error('could not draw a free voucher code');
    }
  }
}

export interface Redemption {
  /** Where the request named the code and the amount, e.g. `payments.0.voucherCode`, `payments.0.amount`. */
  codePath: string;
  amountPath: string;
  code: string;
  amountMinor: number;
}

/**
 * Take each redemption from its voucher's balance, or refuse them all (nothing changes): a code that does not
 * exist, expired before `today`, is in another currency, or lacks the balance (several payments from one
 * voucher count together).
 */
export async function redeemVouchers(trx: Trx, orgId: number, currency: string, today: string, redemptions: readonly Redemption[]): Promise<void> {
  if (redemptions.length === 0) return;
  const codes = [...new Set(redemptions.map((r) => r.code))];
  const query = trx<VoucherRow>('vouchers').where({ org_id: orgId }).whereIn('code', codes);
  const rows = (await (trx.client.config.client === 'pg' ? query.forUpdate() : query)) as VoucherRow[];
  const byCode = new Map(rows.map((r) => [r.code, r]));
  const issues: FieldIssue[] = [];
  const spent = new Map<string, number>();
  for (const r of redemptions) {
    const v = byCode.get(r.code);
    if (!v) {
      issues.push({ path: r.codePath, message: `no gift voucher ${r.code} exists in this organisation` });
      continue;
    }
    if (v.cancelled_at !== null) {
      issues.push({ path: r.codePath, message: `gift voucher ${r.code} was cancelled: its sale line was refunded` });
      continue;
    }
    if (v.written_off_at !== null || v.expires_on < today) {
      issues.push({ path: r.codePath, message: `gift voucher ${r.code} expired on ${v.expires_on}` });
      continue;
    }
    if (v.currency !== currency) {
      issues.push({ path: r.codePath, message: `gift voucher ${r.code} is in ${v.currency}, not ${currency}: a voucher pays only in its own currency` });
      continue;
    }
    const total = (spent.get(r.code) ?? 0) + r.amountMinor;
    spent.set(r.code, total);
    const balance = Number(v.balance_minor);
    if (total > balance) {
      issues.push({ path: r.amountPath, message: `is more than the ${formatMinor(balance, v.currency)} ${v.currency} left on gift voucher ${r.code}` });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues, 'The gift voucher cannot pay this');
  for (const [code, minor] of spent) {
    // The guard in the WHERE keeps the balance from going below zero even without the row lock (SQLite).
    const changed = await trx('vouchers').where({ org_id: orgId, code }).andWhere('balance_minor', '>=', minor).decrement('balance_minor', minor);
    if (!changed) throw new ValidationError([{ path: redemptions.find((r) => r.code === code)!.amountPath, message: `is more than is left on gift voucher ${code}` }]);
  }
}

/**
 * Write off every voucher of the organisation that expired before `today` with money left: its balance
 * becomes `written_off_minor` (and 0), and `voucher.expired` is emitted for each in the same transaction, so
 * the integrations move that money from the liability to revenue exactly once. Returns what was written off.
 * All or nothing: a failure (a crash, a subscriber refusing) leaves every voucher as it was, for the next run.
 * Two runs at once (two workers' schedules, an admin's button) write each voucher off once: the rows are locked
 * (PostgreSQL) and each update is guarded by `written_off_at IS NULL`, an event emitted only for a row it changed.
 */
export async function writeOffExpiredVouchers(
  deps: { db: Db; events: EventBus }, orgId: number, today: string, who: string, now: number, opts: { automatic?: boolean } = {},
): Promise<VoucherSnapshot[]> {
  return deps.db.transaction(async (trx) => {
    const query = trx<VoucherRow>('vouchers').where({ org_id: orgId }).whereNull('written_off_at').andWhere('expires_on', '<', today).andWhere('balance_minor', '>', 0).orderBy('id');
    const due = (await (trx.client.config.client === 'pg' ? query.forUpdate() : query)) as VoucherRow[];
    const done: VoucherSnapshot[] = [];
    for (const v of due) {
      const left = Number(v.balance_minor);
      const changed = await trx('vouchers').where({ id: v.id, balance_minor: v.balance_minor }).whereNull('written_off_at').whereNull('cancelled_at')
        .update({ balance_minor: 0, written_off_minor: left, written_off_at: now, written_off_by: who });
      if (!changed) continue;
      const voucher: VoucherSnapshot = {
        id: v.id, orgId, code: v.code, saleId: v.sale_id, currency: v.currency, amountMinor: Number(v.amount_minor), writtenOffMinor: left, expiresOn: v.expires_on, writtenOffAt: now,
        ...(opts.automatic ? { automatic: true } : {}),
      };
      await deps.events.emit(trx, { type: 'voucher.expired', orgId, occurredAt: now, data: { voucher } }, { type: 'voucher', id: v.id });
      done.push(voucher);
    }
    return done;
  });
}

/** The organisation's vouchers, newest first (the admins' list). */
export function listVouchers(db: Queryable, orgId: number, limit = 500): Promise<VoucherRow[]> {
  return db<VoucherRow>('vouchers').where({ org_id: orgId }).orderBy('id', 'desc').limit(limit) as unknown as Promise<VoucherRow[]>;
}

export interface VoucherView {
  code: string;
  saleId: number;
  currency: string;
  amount: string;
  /** Taken by payments so far. */
  redeemed: string;
  balance: string;
  /** The last day it can be used (YYYY-MM-DD). */
  expiresOn: string;
  status: VoucherStatus;
  /** What was moved to revenue when it expired; null until then. */
  writtenOff: string | null;
  /** By the organisation's schedule rather than a person. */
  writtenOffAutomatically: boolean;
  /** Given back by refunds of its sale line. */
  refunded: string;
}

export function voucherView(v: VoucherRow, today: string): VoucherView {
  return {
    code: v.code, saleId: v.sale_id, currency: v.currency, amount: formatMinor(Number(v.amount_minor), v.currency),
    redeemed: formatMinor(Number(v.amount_minor) - Number(v.balance_minor) - Number(v.written_off_minor ?? 0) - Number(v.refunded_minor ?? 0), v.currency),
    balance: formatMinor(Number(v.balance_minor), v.currency), expiresOn: v.expires_on, status: voucherStatus(v, today),
    writtenOff: v.written_off_minor === null ? null : formatMinor(Number(v.written_off_minor), v.currency),
    writtenOffAutomatically: v.written_off_by === AUTOMATIC_WRITE_OFF,
    refunded: formatMinor(Number(v.refunded_minor ?? 0), v.currency),
  };
}

export function vouchersOfSales(db: Queryable, orgId: number, saleIds: readonly number[]): Promise<VoucherRow[]> {
  return db<VoucherRow>('vouchers').where({ org_id: orgId }).whereIn('sale_id', saleIds).orderBy('id') as unknown as Promise<VoucherRow[]>;
}

/** Whether the organisation has its expired vouchers written off by the schedule (off unless an admin turns it on). */
export async function autoWriteOffEnabled(db: Queryable, orgId: number): Promise<boolean> {
  const row = (await db('organisations').where({ id: orgId }).first('vouchers_auto_write_off')) as { vouchers_auto_write_off: boolean | number } | undefined;
  return Boolean(row?.vouchers_auto_write_off);
}

export async function setAutoWriteOff(db: Queryable, orgId: number, on: boolean): Promise<void> {
  await db('organisations').where({ id: orgId }).update({ vouchers_auto_write_off: on });
}

/** The organisations whose expired vouchers the schedule writes off, with their time zones (their calendar decides the day). */
export async function organisationsWritingOffAutomatically(db: Queryable): Promise<{ id: number; timezone: string }[]> {
  return (await db('organisations').where({ vouchers_auto_write_off: true }).orderBy('id').select('id', 'timezone')) as { id: number; timezone: string }[];
}
