// The booking system's own rules: book, take a payment, refund. Each change and its Ledgerbridge event
// commit together in one transaction (ledgerbridge.emit inside it): a booking that rolls back never
// reaches Xero, and one that commits always does.
import type { Knex } from 'knex';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue, type Ledgerbridge } from 'ledgerbridge/embed';
import type { PaymentMethodCatalogue } from 'ledgerbridge/contract';
import { bookingRecords } from './records';
import { formatAmount, parseAmount } from './money';

export const CATEGORIES = ['court-hire', 'coaching', 'equipment'] as const;
export const MAX_ITEMS = 3;

export interface BookingDeps {
  db: Knex;
  emit: Ledgerbridge['emit'];
  paymentMethods: PaymentMethodCatalogue;
}

export interface Balance {
  currency: string;
  total: number;
  paid: number;
  /** Refunds that paid nothing back: the guest simply owes less. */
  reduced: number;
  due: number;
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const isPostgres = (db: Knex | Knex.Transaction) => (db.client as { dialect?: string }).dialect === 'postgresql';

/** The booking, locked against a concurrent payment or refund (PostgreSQL; SQLite runs one writer anyway). */
async function lockedBooking(trx: Knex.Transaction, venueId: number, bookingId: number): Promise<{ id: number; currency: string }> {
  const q = trx('bookings').join('venues', 'venues.id', 'bookings.venue_id').where({ 'bookings.id': bookingId, 'bookings.venue_id': venueId })
    .first('bookings.id', 'venues.currency');
  const row = (await (isPostgres(trx) ? q.forUpdate('bookings') : q)) as { id: number; currency: string } | undefined;
  if (!row) throw new NotFoundError(`Booking ${bookingId}`);
  return row;
}

export async function balanceOf(db: Knex | Knex.Transaction, bookingId: number): Promise<Balance> {
  const booking = (await db('bookings').join('venues', 'venues.id', 'bookings.venue_id').where('bookings.id', bookingId).first('bookings.total_pence', 'venues.currency')) as { total_pence: number; currency: string };
  const sum = async (table: string, where: (q: Knex.QueryBuilder) => void) => {
    const q = db(table).where('booking_id', bookingId);
    where(q);
    const row = (await q.sum({ n: 'pence' }).first()) as { n: number | string | null };
    return Number(row.n ?? 0);
  };
  const total = Number(booking.total_pence);
  const paid = await sum('booking_payments', () => undefined);
  const reduced = await sum('booking_refunds', (q) => q.whereNull('method'));
  return { currency: booking.currency, total, paid, reduced, due: total - paid - reduced };
}

/** YYYY-MM-DD (a booking taken on paper that day, entered now) → noon UTC that day; empty → now. */
function bookedAtFrom(value: string, issues: FieldIssue[]): number {
  if (!value) return Date.now();
  const at = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T12:00:00Z`) : NaN;
  if (!Number.isFinite(at) || new Date(at).toISOString().slice(0, 10) !== value) issues.push({ path: 'bookedOn', message: 'Give the date as YYYY-MM-DD' });
  else if (at > Date.now()) issues.push({ path: 'bookedOn', message: 'A booking cannot be taken in the future' });
  return at;
}

/** A new booking from the desk's form; returns its id. Items are rows 0…MAX_ITEMS-1, empty rows skipped. */
export async function createBooking(deps: BookingDeps, venueId: number, form: Record<string, unknown>): Promise<number> {
  const venue = (await deps.db('venues').where({ id: venueId }).first('currency')) as { currency: string };
  const issues: FieldIssue[] = [];
  const guestName = text(form.guestName);
  const guestEmail = text(form.guestEmail).toLowerCase() || null;
  if (!guestName) issues.push({ path: 'guestName', message: 'Who is the booking for?' });
  if (guestEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(guestEmail)) issues.push({ path: 'guestEmail', message: 'Give an email address such as sam@example.com' });
  const bookedAt = bookedAtFrom(text(form.bookedOn), issues);
  const items: { label: string; qty: number; unitPence: number; category: string }[] = [];
  for (let i = 0; i < MAX_ITEMS; i++) {
    const label = text(form[`item${i}Label`]);
    if (!label) continue;
    const qty = Number(text(form[`item${i}Qty`]) || '1');
    if (!Number.isInteger(qty) || qty < 1 || qty > 99) issues.push({ path: `item${i}Qty`, message: 'A whole number from 1 to 99' });
    const category = text(form[`item${i}Category`]);
    if (!(CATEGORIES as readonly string[]).includes(category)) issues.push({ path: `item${i}Category`, message: `One of ${CATEGORIES.join(', ')}` });
    let unitPence = 0;
    try {
      unitPence = parseAmount(form[`item${i}Price`], venue.currency, `item${i}Price`, { allowZero: true });
    } catch (err) {
      if (err instanceof ValidationError) issues.push(...err.issues);
      else throw err;
    }
    items.push({ label, qty, unitPence, category });
  }
  if (items.length === 0) issues.push({ path: 'item0Label', message: 'A booking has at least one item' });
  if (issues.length) throw new ValidationError(issues, 'The booking was not saved');

  return deps.db.transaction(async (trx) => {
    const guest = await findOrAddGuest(trx, venueId, guestName, guestEmail);
    const total = items.reduce((sum, item) => sum + item.qty * item.unitPence, 0);
    const [row] = (await trx('bookings').insert({ venue_id: venueId, guest_id: guest, total_pence: total, booked_at: bookedAt }).returning('id')) as ({ id: number } | number)[];
    const bookingId = Number(typeof row === 'object' ? row.id : row);
    await trx('bookings').where({ id: bookingId }).update({ code: `BK-${String(bookingId).padStart(6, '0')}` });
    await trx('booking_items').insert(items.map((item, n) => ({ booking_id: bookingId, line_no: n + 1, label: item.label, qty: item.qty, unit_pence: item.unitPence, category: item.category })));
    const sale = await bookingRecords.sale(trx, venueId, bookingId);
    await deps.emit(trx, { type: 'sale.completed', orgId: venueId, occurredAt: bookedAt, data: { sale: sale! } });
    return bookingId;
  });
}

async function findOrAddGuest(trx: Knex.Transaction, venueId: number, name: string, email: string | null): Promise<number> {
  const existing = email ? ((await trx('guests').where({ venue_id: venueId, email }).first('id')) as { id: number } | undefined) : undefined;
  if (existing) return Number(existing.id);
  const [row] = (await trx('guests').insert({ venue_id: venueId, name, email }).returning('id')) as ({ id: number } | number)[];
  return Number(typeof row === 'object' ? row.id : row);
}

export interface PaymentInput {
  method: string;
  pence: number;
  currency: string;
  /** The provider's reference (charge id): a payment with one is recorded once. */
  externalRef: string | null;
  paidAt: number;
}

/** Record a payment on a booking (the desk's, or a provider's through Ledgerbridge). Never more than is due. */
export async function recordPayment(deps: BookingDeps, venueId: number, bookingId: number, input: PaymentInput): Promise<{ paymentId: number; created: boolean }> {
  if (!deps.paymentMethods.get(input.method)) throw new ValidationError([{ path: 'method', message: `"${input.method}" is not a payment method here` }]);
  return deps.db.transaction(async (trx) => {
    const booking = await lockedBooking(trx, venueId, bookingId);
    if (input.externalRef) {
      const existing = (await trx('booking_payments').where({ method: input.method, external_ref: input.externalRef }).first('id', 'booking_id')) as { id: number; booking_id: number } | undefined;
      if (existing && Number(existing.booking_id) !== bookingId) throw new ConflictError(`${input.method} payment ${input.externalRef} is already recorded on another booking`);
      if (existing) return { paymentId: Number(existing.id), created: false };
    }
    if (input.currency !== booking.currency) {
      throw new ValidationError([{ path: 'currency', message: `The booking is in ${booking.currency}; a payment in ${input.currency} cannot be recorded on it` }]);
    }
    const { due } = await balanceOf(trx, bookingId);
    if (input.pence > due) {
      throw new ValidationError([{ path: 'amount', message: `Only ${formatAmount(due, booking.currency)} ${booking.currency} is due on this booking` }]);
    }
    const [row] = (await trx('booking_payments').insert({
      booking_id: bookingId, method: input.method, pence: input.pence, currency: input.currency, external_ref: input.externalRef, paid_at: input.paidAt,
    }).returning('id')) as ({ id: number } | number)[];
    const paymentId = Number(typeof row === 'object' ? row.id : row);
    const [payment, sale] = [await bookingRecords.payment(trx, venueId, paymentId), await bookingRecords.sale(trx, venueId, bookingId)];
    await deps.emit(trx, { type: 'payment.received', orgId: venueId, occurredAt: input.paidAt, data: { payment: payment!, sale: sale! } });
    return { paymentId, created: true };
  });
}

/**
 * A refund of part or all of a booking. With a method the money goes back to the guest that way; without
 * one nothing is paid back and the guest owes less. Never more than the booking's total less its refunds.
 */
export async function refundBooking(deps: BookingDeps, venueId: number, bookingId: number, form: Record<string, unknown>): Promise<number> {
  const method = text(form.method) || null;
  if (method && !deps.paymentMethods.get(method)) throw new ValidationError([{ path: 'method', message: `"${method}" is not a payment method here` }]);
  return deps.db.transaction(async (trx) => {
    const booking = await lockedBooking(trx, venueId, bookingId);
    const pence = parseAmount(form.amount, booking.currency, 'amount');
    const refunded = Number(((await trx('booking_refunds').where({ booking_id: bookingId }).sum({ n: 'pence' }).first()) as { n: number | string | null }).n ?? 0);
    const { total } = await balanceOf(trx, bookingId);
    if (pence > total - refunded) {
      throw new ValidationError([{ path: 'amount', message: `At most ${formatAmount(total - refunded, booking.currency)} ${booking.currency} can still be refunded` }]);
    }
    const now = Date.now();
    const [row] = (await trx('booking_refunds').insert({
      booking_id: bookingId, pence, currency: booking.currency, method, reason: text(form.reason) || null, refunded_at: now,
    }).returning('id')) as ({ id: number } | number)[];
    const refundId = Number(typeof row === 'object' ? row.id : row);
    const [refund, sale] = [await bookingRecords.refund(trx, venueId, refundId), await bookingRecords.sale(trx, venueId, bookingId)];
    await deps.emit(trx, { type: 'refund.issued', orgId: venueId, occurredAt: now, data: { refund: refund!, sale: sale! } });
    return refundId;
  });
}
