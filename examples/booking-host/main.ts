// `npm run example:booking-host`: the booking system with Ledgerbridge's Xero and Stripe plugins embedded.
// settings → database → its own migrations, then Ledgerbridge's → a demo venue and staff on first run →
// web (pages and webhooks) and/or workers (PROCESS_ROLE) → stops cleanly on SIGINT/SIGTERM.
import type { Server } from 'node:http';
import pino from 'pino';
import { ConfigError, createLedgerbridge, openDatabase, type Ledgerbridge } from 'ledgerbridge/embed';
import { xeroPlugin } from 'ledgerbridge/plugins/xero';
import { stripePlugin } from 'ledgerbridge/plugins/stripe';
import { readSettings } from './settings';
import { migrateBookings } from './schema';
import { bookingHostServices } from './hostServices';
import { createBookingApp } from './app';
import { hashPassword, type StaffRole } from './auth';

async function seedDemoVenue(db: ReturnType<typeof openDatabase>, password: string): Promise<void> {
  if (await db('venues').first('id')) return;
  const [row] = (await db('venues').insert({ name: 'Riverside Courts', currency: 'GBP', time_zone: 'Europe/London' }).returning('id')) as ({ id: number } | number)[];
  const venueId = Number(typeof row === 'object' ? row.id : row);
  const staff: [string, string, StaffRole][] = [['owner@riverside.example', 'Olive Owner', 'owner'], ['desk@riverside.example', 'Dev Desk', 'desk'], ['books@riverside.example', 'Bea Books', 'bookkeeper']];
  for (const [email, name, role] of staff) await db('staff').insert({ venue_id: venueId, email, name, role, password_hash: await hashPassword(password) });
  console.log(`Created the demo venue "Riverside Courts". Sign in as ${staff.map(([email, , role]) => `${email} (${role})`).join(', ')}; password "${password}".`);
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const logger = pino({ name: 'booking-host', level: process.env.LOG_LEVEL ?? 'info' });
  const db = openDatabase(settings.databaseUrl);
  const stops: (() => Promise<void>)[] = [() => db.destroy()];
  const ledgerbridge: Ledgerbridge = createLedgerbridge({
    db,
    plugins: [xeroPlugin, stripePlugin],
    host: (lent) => bookingHostServices(db, lent),
    publicUrl: settings.publicUrl,
    masterKey: settings.masterKey,
    logger,
    worker: settings.worker,
  });
  stops.push(() => ledgerbridge.close());
  await migrateBookings(db);
  await ledgerbridge.migrate();
  await seedDemoVenue(db, settings.demoPassword);

  if (settings.role !== 'worker') {
    if (!settings.sessionSecretGiven) console.log('SESSION_SECRET is not set: everyone signs in again after a restart.');
    const app = createBookingApp({ db, ledgerbridge, logger, sessionSecret: settings.sessionSecret, secureCookies: settings.publicUrl.startsWith('https://') });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(settings.port, settings.host, () => resolve(s));
      s.once('error', reject);
    });
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    console.log(`Booking host listening on ${settings.publicUrl}`);
  }
  if (settings.role !== 'web') {
    stops.push(await ledgerbridge.startWorkers());
    console.log('Booking host workers started');
  }

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => logger.error({ err }, 'stopping failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError || (err instanceof Error && err.message.startsWith('Fix these settings')) ? err.message : err);
  process.exit(1);
});
