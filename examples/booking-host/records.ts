// The booking system's records as Ledgerbridge reads them (HostRecords): a booking is a sale, its items
// are the sale's lines, and its payments and refunds are the sale's. Every read is limited to one venue
// (an organisation, to Ledgerbridge): another venue's booking reads as undefined.
import type { Knex } from 'knex';
import type { HostRecords, PaymentSnapshot, RefundSnapshot, SaleActivityEntry, SaleSnapshot } from 'ledgerbridge/contract';

type Db = Knex | Knex.Transaction;

interface BookingRow { id: number; venue_id: number; guest_id: number; code: string | null; total_pence: number; booked_at: number; currency: string; guest_name: string; guest_email: string | null }
interface ItemRow { id: number; booking_id: number; line_no: number; label: string; qty: number; unit_pence: number; category: string }
interface PaymentRow { id: number; booking_id: number; venue_id: number; method: string; pence: number; currency: string; external_ref: string | null; paid_at: number }
interface RefundRow { id: number; booking_id: number; venue_id: number; pence: number; currency: string; method: string | null; reason: string | null; refunded_at: number }

/** SQLite binds at most 999 parameters a statement. */
const CHUNK = 500;

async function inChunks<T>(ids: readonly number[], read: (chunk: number[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await read(ids.slice(i, i + CHUNK))));
  return out;
}

const bookingsOf = (db: Db, venueId: number) =>
  db('bookings').join('venues', 'venues.id', 'bookings.venue_id').join('guests', 'guests.id', 'bookings.guest_id')
    .where('bookings.venue_id', venueId)
    .select('bookings.*', 'venues.currency', 'guests.name as guest_name', 'guests.email as guest_email');

const paymentsOf = (db: Db, venueId: number) =>
  db('booking_payments').join('bookings', 'bookings.id', 'booking_payments.booking_id').where('bookings.venue_id', venueId).select('booking_payments.*', 'bookings.venue_id');

const refundsOf = (db: Db, venueId: number) =>
  db('booking_refunds').join('bookings', 'bookings.id', 'booking_refunds.booking_id').where('bookings.venue_id', venueId).select('booking_refunds.*', 'bookings.venue_id');

async function saleSnapshot(db: Db, row: BookingRow): Promise<SaleSnapshot> {
  const items = (await db('booking_items').where({ booking_id: row.id }).orderBy('line_no')) as ItemRow[];
  return {
    id: Number(row.id), orgId: Number(row.venue_id), reference: row.code, currency: row.currency, totalMinor: Number(row.total_pence),
    occurredAt: Number(row.booked_at),
    customer: { id: Number(row.guest_id), name: row.guest_name, email: row.guest_email },
    lines: items.map((i) => ({
      id: Number(i.id), position: Number(i.line_no), description: i.label, quantity: String(i.qty), unitPriceMinor: Number(i.unit_pence),
      discountRate: null, category: i.category, taxCode: null, lineTotalMinor: Number(i.qty) * Number(i.unit_pence),
    })),
  };
}

/** Every refund here is an amount off the booking: no per-item refunds. */
const refundSnapshot = (r: RefundRow): RefundSnapshot => ({
  id: Number(r.id), orgId: Number(r.venue_id), saleId: Number(r.booking_id), kind: 'amount', amountMinor: Number(r.pence), currency: r.currency,
  method: r.method, providerRef: null, reason: r.reason, createdAt: Number(r.refunded_at), lines: [],
});

const paymentSnapshot = (p: PaymentRow): PaymentSnapshot => ({
  id: Number(p.id), orgId: Number(p.venue_id), saleId: Number(p.booking_id), method: p.method, amountMinor: Number(p.pence), currency: p.currency,
  providerRef: p.external_ref, receivedAt: Number(p.paid_at),
});

export const bookingRecords: HostRecords = {
  async sale(db, venueId, bookingId) {
    const row = (await bookingsOf(db, venueId).where('bookings.id', bookingId).first()) as BookingRow | undefined;
    return row ? saleSnapshot(db, row) : undefined;
  },
  async refund(db, venueId, refundId) {
    const row = (await refundsOf(db, venueId).where('booking_refunds.id', refundId).first()) as RefundRow | undefined;
    return row ? refundSnapshot(row) : undefined;
  },
  async payment(db, venueId, paymentId) {
    const row = (await paymentsOf(db, venueId).where('booking_payments.id', paymentId).first()) as PaymentRow | undefined;
    return row ? paymentSnapshot(row) : undefined;
  },
  async refundsOfSale(db, venueId, bookingId) {
    return ((await refundsOf(db, venueId).where('booking_refunds.booking_id', bookingId).orderBy('booking_refunds.id')) as RefundRow[]).map(refundSnapshot);
  },
  async paymentsOfSale(db, venueId, bookingId) {
    return ((await paymentsOf(db, venueId).where('booking_payments.booking_id', bookingId).orderBy('booking_payments.id')) as PaymentRow[]).map(paymentSnapshot);
  },
  async salesBetween(db, range) {
    const rows = (await db('bookings').where('venue_id', range.orgId).whereBetween('booked_at', [range.from, range.until])
      .where('id', '>', range.afterId ?? 0).orderBy('id').limit(range.limit).select('id', 'booked_at')) as { id: number; booked_at: number }[];
    return rows.map((r) => ({ id: Number(r.id), occurredAt: Number(r.booked_at) }));
  },
  async countSalesBetween(db, range) {
    const row = (await db('bookings').where('venue_id', range.orgId).whereBetween('booked_at', [range.from, range.until]).count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  },
  async activityOfSales(db, venueId, bookingIds) {
    const refunds = await inChunks(bookingIds, async (chunk) =>
      ((await refundsOf(db, venueId).whereIn('booking_refunds.booking_id', chunk)) as RefundRow[])
        .map((r): SaleActivityEntry => ({ id: Number(r.id), saleId: Number(r.booking_id), at: Number(r.refunded_at) })));
    const payments = await inChunks(bookingIds, async (chunk) =>
      ((await paymentsOf(db, venueId).whereIn('booking_payments.booking_id', chunk)) as PaymentRow[])
        .map((p): SaleActivityEntry => ({ id: Number(p.id), saleId: Number(p.booking_id), at: Number(p.paid_at) })));
    return { refunds, payments };
  },
  async saleCategories(db, venueId, limit) {
    return ((await db('booking_items').join('bookings', 'bookings.id', 'booking_items.booking_id').where('bookings.venue_id', venueId)
      .distinct('booking_items.category as category').orderBy('category').limit(limit)) as { category: string }[]).map((r) => r.category);
  },
  async existingSaleIds(db, venueId, bookingIds) {
    const found = await inChunks(bookingIds, async (chunk) => (await db('bookings').where('venue_id', venueId).whereIn('id', chunk).pluck('id')) as number[]);
    return new Set(found.map(Number));
  },
};
