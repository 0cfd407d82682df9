// A sale whose invoice is dated on its service date (setting "invoice date: the service date") waits in
// Ledgerbridge until that day begins in the organisation's time zone, and is posted then: its outbox item
// is held until that moment (the items of the sale's payments and refunds share its subject, so they wait
// behind it), its sync record says so, and a push that runs early anyway (the schedule switched to real
// time, a person pressed "send now") puts it back until then. Pure.
import { formatCalendarDay, type SaleSnapshot } from '../../../server/plugins/contract';
import type { ResolvedMappings } from '../mappings/types';
import { instantOfWallHour } from './nextRunAt';

/** The instant the sale's invoice may be posted, when it waits for its service date; else null. */
export function serviceDayStart(sale: Pick<SaleSnapshot, 'serviceDate'>, m: Pick<ResolvedMappings, 'invoiceDate'>, timeZone: string): number | null {
  if (m.invoiceDate !== 'service_date' || !sale.serviceDate) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(sale.serviceDate);
  if (!match) return null;
  return instantOfWallHour(Number(match[1]), Number(match[2]), Number(match[3]), 0, timeZone);
}

/** When the invoice must still wait at `now` (the start of its service day), else null: send now. */
export function waitsUntil(sale: Pick<SaleSnapshot, 'serviceDate'>, m: Pick<ResolvedMappings, 'invoiceDate'>, timeZone: string, now: number): number | null {
  const start = serviceDayStart(sale, m, timeZone);
  return start !== null && start > now ? start : null;
}

/** What the sale's page says while its invoice waits, its date in the house style ("14 Jul 2026"). */
export const waitingNote = (serviceDate: string): string =>
  `Waits for its service date: the invoice is dated ${formatCalendarDay(serviceDate)} and posted to Xero on that day`;
