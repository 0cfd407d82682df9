// The booking system's Express app. Ledgerbridge takes two places in the middleware order:
//   1. ledgerbridge.webhooks  — first: providers' webhooks need the raw body, and carry no session
//   2. the booking system's form parser, session, signed-in staff member and CSRF check
//   3. its own pages (sign in, bookings)
//   4. ledgerbridge.routes    — the plugins' pages, behind the same session, CSRF and login
//   5. not found, then one error page
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { AppError, ValidationError, type Ledgerbridge } from 'ledgerbridge/embed';
import type { Logger } from 'ledgerbridge/contract';
import { authenticate, loginRoutes, requireRole, sessionAndLogin } from './auth';
import { balanceOf, CATEGORIES, createBooking, MAX_ITEMS, recordPayment, refundBooking, type BookingDeps } from './bookings';
import { bookingRecords } from './records';
import { parseAmount } from './money';
import { renderPage, setFlash, takeFlash } from './pages';

export interface BookingAppDeps {
  db: Knex;
  ledgerbridge: Ledgerbridge;
  logger: Logger;
  sessionSecret: string;
  secureCookies: boolean;
}

const fieldErrors = (err: ValidationError): Record<string, string> => Object.fromEntries(err.issues.map((i) => [i.path, i.message]));

export function createBookingApp(deps: BookingAppDeps): Express {
  const { db, ledgerbridge } = deps;
  const bookings: BookingDeps = { db, emit: ledgerbridge.emit, paymentMethods: ledgerbridge.paymentMethods };
  const app = express();
  app.disable('x-powered-by');

  app.use(ledgerbridge.webhooks);

  app.use(express.urlencoded({ extended: false, limit: '100kb' }));
  app.use(...sessionAndLogin(db, { secret: deps.sessionSecret, secureCookies: deps.secureCookies }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.locals.principal = req.principal ?? null;
    res.locals.nav = req.principal ? ledgerbridge.nav.filter((entry) => entry.roles.includes(req.principal!.role)) : [];
    next();
  });

  app.use(loginRoutes(db));
  app.get('/', (_req, res) => res.redirect(303, '/bookings'));

  const venueOf = async (req: Request) => (await db('venues').where({ id: req.principal!.orgId }).first()) as { id: number; name: string; currency: string; time_zone: string };
  const desk = requireRole('admin', 'staff');

  const listPage = async (req: Request, res: Response, form: Record<string, unknown> = {}, errors: Record<string, string> = {}, status?: number) => {
    const venue = await venueOf(req);
    const rows = (await db('bookings').join('guests', 'guests.id', 'bookings.guest_id').where('bookings.venue_id', venue.id)
      .orderBy('bookings.id', 'desc').limit(50).select('bookings.id', 'bookings.code', 'bookings.total_pence', 'bookings.booked_at', 'guests.name as guest')) as Record<string, unknown>[];
    renderPage(res, 'bookings', { title: 'Bookings', venue, rows, form, errors, categories: CATEGORIES, maxItems: MAX_ITEMS, flash: takeFlash(req) }, status);
  };

  app.get('/bookings', authenticate, (req, res) => listPage(req, res));

  app.post('/bookings', desk, async (req, res) => {
    try {
      const id = await createBooking(bookings, req.principal!.orgId, req.body as Record<string, unknown>);
      setFlash(req, 'success', 'Booked.');
      res.redirect(303, `/bookings/${id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await listPage(req, res, req.body as Record<string, unknown>, fieldErrors(err), 422);
    }
  });

  const bookingPage = async (req: Request, res: Response, errors: Record<string, string> = {}, status?: number) => {
    const venue = await venueOf(req);
    const id = Number(req.params.id);
    const booking = Number.isSafeInteger(id) ? await bookingRecords.sale(db, venue.id, id) : undefined;
    if (!booking) {
      res.status(404);
      return renderPage(res, 'error', { title: 'No such booking', detail: 'It does not exist, or belongs to another venue.' });
    }
    renderPage(res, 'booking', {
      title: booking.reference ?? `Booking ${booking.id}`, venue, booking, balance: await balanceOf(db, booking.id),
      payments: await bookingRecords.paymentsOfSale(db, venue.id, booking.id), refunds: await bookingRecords.refundsOfSale(db, venue.id, booking.id),
      // The desk takes its own methods; a provider's (Stripe) arrive from the provider.
      // Neither offers a method only its plugin records ("Paid in Xero"): Ledgerbridge refuses it from the desk.
      deskMethods: ledgerbridge.paymentMethods.list().filter((m) => !m.settledByPayouts && m.recordedBy !== 'plugin'),
      refundMethods: ledgerbridge.paymentMethods.list().filter((m) => m.recordedBy !== 'plugin'),
      errors, flash: takeFlash(req),
    }, status);
  };

  app.get('/bookings/:id', authenticate, (req, res) => bookingPage(req, res));

  app.post('/bookings/:id/payments', desk, async (req, res) => {
    const form = req.body as Record<string, unknown>;
    try {
      const venue = await venueOf(req);
      const method = typeof form.method === 'string' ? form.method : '';
      const chosen = ledgerbridge.paymentMethods.get(method);
      if (chosen?.settledByPayouts !== false || chosen.recordedBy === 'plugin') throw new ValidationError([{ path: 'method', message: 'Choose how the guest paid at the desk' }]);
      await recordPayment(bookings, venue.id, Number(req.params.id), {
        method, pence: parseAmount(form.amount, venue.currency, 'amount'), currency: venue.currency, externalRef: null, paidAt: Date.now(),
      });
      setFlash(req, 'success', 'Payment taken.');
      res.redirect(303, `/bookings/${req.params.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await bookingPage(req, res, fieldErrors(err), 422);
    }
  });

  app.post('/bookings/:id/refunds', desk, async (req, res) => {
    try {
      await refundBooking(bookings, req.principal!.orgId, Number(req.params.id), req.body as Record<string, unknown>);
      setFlash(req, 'success', 'Refunded.');
      res.redirect(303, `/bookings/${req.params.id}`);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await bookingPage(req, res, fieldErrors(err), 422);
    }
  });

  app.use(ledgerbridge.routes);

  app.use((_req: Request, res: Response) => {
    res.status(404);
    renderPage(res, 'error', { title: 'Not found', detail: 'There is no page here.' });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = err instanceof AppError;
    if (!known) deps.logger.error({ err, path: req.originalUrl }, 'request failed');
    res.status(known ? err.statusCode : 500);
    if (res.headersSent) return;
    renderPage(res, 'error', { title: known ? err.message : 'Something went wrong', detail: known ? (err.help ?? '') : 'The error has been logged.' });
  });
  return app;
}
