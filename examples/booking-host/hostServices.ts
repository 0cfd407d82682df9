// What this booking system lends Ledgerbridge's plugins (HostServices): its bookings as records, its venues
// as organisations, recording a provider's payment (a Stripe charge naming a booking) by its own rules, its
// own payment methods, its pages and its login. Written once per booking system; this is the whole of it.
import type { Knex } from 'knex';
import { NotFoundError, ValidationError, type LedgerbridgeBridge } from 'ledgerbridge/embed';
import type { HostServices, OrganisationFacts } from 'ledgerbridge/contract';
import { bookingRecords } from './records';
import { recordPayment } from './bookings';
import { authenticate, requireRole } from './auth';
import { formatDateTime, renderPage, setFlash, takeFlash } from './pages';
import { formatAmount } from './money';

interface VenueRow { id: number; name: string; currency: string; time_zone: string }

const facts = (v: VenueRow): OrganisationFacts => ({ id: Number(v.id), name: v.name, baseCurrency: v.currency, timeZone: v.time_zone });

async function venue(q: Knex | Knex.Transaction, venueId: number): Promise<OrganisationFacts> {
  const row = (await q('venues').where({ id: venueId }).first()) as VenueRow | undefined;
  if (!row) throw new NotFoundError(`Venue ${venueId}`);
  return facts(row);
}

export function bookingHostServices(db: Knex, ledgerbridge: LedgerbridgeBridge): HostServices {
  return {
    records: bookingRecords,
    organisations: {
      get: venue,
      async resolve(q, venueId) {
        if (venueId !== undefined) return venue(q, venueId);
        const venues = (await q('venues').orderBy('id').limit(2)) as VenueRow[];
        if (venues.length !== 1) throw new ValidationError([{ path: 'org', message: venues.length ? 'There are several venues: name one by its id' : 'There is no venue yet' }]);
        return facts(venues[0]!);
      },
    },
    payments: {
      record: (venueId, bookingId, input) => recordPayment({ db, ...ledgerbridge }, venueId, bookingId, {
        method: input.method, pence: input.amountMinor, currency: input.currency, externalRef: input.providerRef, paidAt: input.receivedAt,
      }),
    },
    paymentMethods: [
      { id: 'cash', label: 'Cash at the desk' },
      { id: 'card', label: 'Card machine' },
    ],
    pages: {
      renderFile: renderPage,
      setFlash,
      takeFlash,
      formatDateTime,
      formatMoney: formatAmount,
    },
    auth: { authenticate, requireRole },
  };
}
