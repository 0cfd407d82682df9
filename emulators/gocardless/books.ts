// The emulated GoCardless account(s): creditors, customers, mandates, payments, refunds, the balance
// ledger, payouts with their items, and events. No HTTP here: the API router and the control API call
// these methods, and every time-based change happens in tick(), driven by the emulated clock.
//
// Money flow (as GoCardless describes it): a payment is credited to the creditor's balance when it is
// confirmed (payment_paid_out +amount, gocardless_fee −(fee + VAT)); refunds, late failures and
// chargebacks debit it (fees are given back on failures and chargebacks, a surcharge may be taken). A
// daily payout run sweeps every unswept balance item of a creditor and currency into one payout when the
// net is positive; otherwise the items wait for a later run.
import type { Clock } from '../xero/contracts';
import { GcError, invalidState, notFound, validationFailed } from './errors';
import { IdMaker, type IdPrefix } from './ids';
import { CURRENCIES, DEFAULT_FEES, dateStart, isoDate, itemAmount, nextWorkingDay, taxOnFee, transactionFee, type FeeSchedule } from './money';

const DAY = 86_400_000;

export type PaymentStatus =
  | 'pending_submission' | 'submitted' | 'confirmed' | 'paid_out' | 'cancelled' | 'failed' | 'charged_back';

export type PayoutItemType =
  | 'payment_paid_out' | 'payment_failed' | 'payment_charged_back' | 'payment_refunded' | 'refund'
  | 'refund_funds_returned' | 'gocardless_fee' | 'app_fee' | 'revenue_share' | 'surcharge_fee';

export interface Creditor {
  id: string;
  createdAt: number;
  name: string;
  countryCode: string;
  bankAccountId: string;
  /** VAT on GoCardless's fees in basis points (GB and FR merchants: 2000); 0 = none. */
  taxBps: number;
  taxRateId: string | null;
  fees: Record<string, FeeSchedule>;
  /** Surcharge taken on a late failure or chargeback, minor units (0 = none). */
  surchargeMinor: number;
}

export interface Customer {
  id: string; creditorId: string; createdAt: number;
  email: string | null; givenName: string | null; familyName: string | null; companyName: string | null;
  metadata: Record<string, string>;
}

export interface Mandate {
  id: string; creditorId: string; customerId: string; bankAccountId: string; createdAt: number;
  reference: string; status: 'active' | 'cancelled';
}

export interface Payment {
  id: string; creditorId: string; mandateId: string; createdAt: number;
  chargeDate: string; amount: number; currency: string; description: string | null; reference: string | null;
  status: PaymentStatus; amountRefunded: number; metadata: Record<string, string>; appFee: number | null;
  retryIfPossible: boolean; payoutId: string | null;
  submitAt: number; confirmAt: number;
  /** Set when confirmed: the fee before tax and its tax (so a failure can give back exactly these). */
  fee: number; feeTax: number;
}

export interface Refund {
  id: string; creditorId: string; paymentId: string; mandateId: string; createdAt: number;
  amount: number; currency: string; reference: string | null; metadata: Record<string, string>;
  status: 'pending_submission' | 'paid'; payoutId: string | null;
}

/** One credit or debit on a creditor's balance: a payout item once swept. */
export interface LedgerEntry {
  seq: number; creditorId: string; currency: string; at: number;
  type: PayoutItemType; amount: number;
  /** Tax on a fee item, in the fee's direction: positive when a taxed fee is charged, negative when given back. */
  tax: number;
  links: { payment?: string; refund?: string; mandate?: string };
  payoutId: string | null;
}

export interface Payout {
  id: string; creditorId: string; createdAt: number; currency: string; amount: number; deductedFees: number;
  reference: string; arrivalDate: string; status: 'pending' | 'paid' | 'bounced'; paidAt: number;
  items: LedgerEntry[]; taxCurrency: string | null;
}

export interface GcEvent {
  id: string;
  created_at: string;
  resource_type: 'payments' | 'refunds' | 'payouts' | 'mandates' | 'creditors';
  action: string;
  links: Record<string, string>;
  details: { origin: 'gocardless' | 'bank' | 'api' | 'customer'; cause: string; description: string; scheme?: string; reason_code?: string };
  metadata: Record<string, string>;
  resource_metadata: Record<string, string>;
  /** Not in the API: which creditor's account it belongs to, and its order. */
  creditorId: string;
  seq: number;
  at: number;
}

export interface BooksOptions {
  clock: Clock;
  /** UTC hour of the daily payout run (default 9); null = payouts only on demand. */
  payoutHourUtc?: number | null;
  /** How long a payout stays `pending` before it is `paid` (default 1 h, emulated). */
  payoutPaidAfterMs?: number;
}

export interface CreditorInput {
  name?: string; countryCode?: string; taxBps?: number; surchargeMinor?: number; fees?: Record<string, FeeSchedule>;
}

const isMetadata = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Metadata rules: up to 3 keys, keys ≤ 50 characters, string values ≤ 500 characters. */
function checkMetadata(field: string, value: unknown, issues: { field: string; message: string }[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isMetadata(value)) {
    issues.push({ field, message: 'must be an object' });
    return {};
  }
  const entries = Object.entries(value);
  if (entries.length > 3) issues.push({ field, message: 'has too many keys (maximum is 3)' });
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (k.length > 50) issues.push({ field, message: `key "${k.slice(0, 20)}…" is longer than 50 characters` });
    if (typeof v !== 'string') issues.push({ field: `${field}.${k}`, message: 'must be a string' });
    else if (v.length > 500) issues.push({ field: `${field}.${k}`, message: 'is longer than 500 characters' });
    else out[k] = v;
  }
  return out;
}

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

export class GoCardlessBooks {
  readonly ids = new IdMaker();
  creditors = new Map<string, Creditor>();
  tokens = new Map<string, string>(); // access token → creditor id
  customers = new Map<string, Customer>();
  mandates = new Map<string, Mandate>();
  payments = new Map<string, Payment>();
  refunds = new Map<string, Refund>();
  payouts = new Map<string, Payout>();
  ledger: LedgerEntry[] = [];
  events: GcEvent[] = [];
  #seq = 0;
  #unsent: GcEvent[] = [];
  #lastRunCheck: number;
  #payoutHourUtc: number | null;
  #paidAfterMs: number;

  constructor(private readonly opts: BooksOptions) {
    this.#payoutHourUtc = opts.payoutHourUtc === undefined ? 9 : opts.payoutHourUtc;
    this.#paidAfterMs = opts.payoutPaidAfterMs ?? 3_600_000;
    this.#lastRunCheck = opts.clock.now();
  }

  get now(): number {
    return this.opts.clock.now();
  }

  #id(prefix: IdPrefix): string {
    return this.ids.next(prefix);
  }

  reset(): void {
    for (const m of [this.creditors, this.tokens, this.customers, this.mandates, this.payments, this.refunds, this.payouts]) m.clear();
    this.ledger = [];
    this.events = [];
    this.#unsent = [];
    this.#lastRunCheck = this.now;
    this.ids.reset();
  }

  // ---- creditors and tokens ----------------------------------------------------------------------

  createCreditor(input: CreditorInput = {}, accessToken?: string): { creditor: Creditor; accessToken: string } {
    const countryCode = (input.countryCode ?? 'GB').toUpperCase();
    const taxBps = input.taxBps ?? (['GB', 'FR'].includes(countryCode) ? 2000 : 0);
    const creditor: Creditor = {
      id: this.#id('CR'),
      createdAt: this.now,
      name: input.name ?? 'Demo Gym Ltd',
      countryCode,
      bankAccountId: this.#id('BA'),
      taxBps,
      taxRateId: taxBps > 0 ? `${countryCode}_VAT_1` : null,
      fees: { ...DEFAULT_FEES, ...(input.fees ?? {}) },
      surchargeMinor: input.surchargeMinor ?? 0,
    };
    this.creditors.set(creditor.id, creditor);
    const token = accessToken ?? `live_${this.#id('SE').toLowerCase()}${Math.random().toString(36).slice(2, 14)}`;
    this.tokens.set(token, creditor.id);
    return { creditor, accessToken: token };
  }

  creditorForToken(token: string): Creditor | undefined {
    const id = this.tokens.get(token);
    return id ? this.creditors.get(id) : undefined;
  }

  revokeToken(token: string): boolean {
    return this.tokens.delete(token);
  }

  // ---- customers and mandates (minimal: what payments need) ----------------------------------------

  createCustomer(creditorId: string, body: unknown): Customer {
    const b = isMetadata(body) ? body : {};
    const issues: { field: string; message: string }[] = [];
    const str = (k: string): string | null => {
      const v = b[k];
      if (v === undefined || v === null) return null;
      if (typeof v !== 'string') issues.push({ field: k, message: 'must be a string' });
      return typeof v === 'string' ? v : null;
    };
    const customer: Customer = {
      id: this.#id('CU'), creditorId, createdAt: this.now,
      email: str('email'), givenName: str('given_name'), familyName: str('family_name'), companyName: str('company_name'),
      metadata: checkMetadata('metadata', b.metadata, issues),
    };
    if (!customer.companyName && !(customer.givenName && customer.familyName)) {
      issues.push({ field: 'given_name', message: 'is required unless company_name is given' });
    }
    if (issues.length) throw validationFailed(issues);
    this.customers.set(customer.id, customer);
    return customer;
  }

  createMandate(creditorId: string, customerId: string): Mandate {
    const customer = this.customers.get(customerId);
    if (!customer || customer.creditorId !== creditorId) throw validationFailed([{ field: 'links.customer', message: 'does not exist' }]);
    const mandate: Mandate = {
      id: this.#id('MD'), creditorId, customerId, bankAccountId: this.#id('BA'), createdAt: this.now,
      reference: `LEDGERBRIDGE-${this.mandates.size + 1}`, status: 'active',
    };
    this.mandates.set(mandate.id, mandate);
    this.#emit(creditorId, 'mandates', 'created', { mandate: mandate.id }, 'api', 'mandate_created', 'Mandate created via the API.');
    this.#emit(creditorId, 'mandates', 'active', { mandate: mandate.id }, 'gocardless', 'mandate_activated', 'The mandate has been activated.');
    return mandate;
  }

  /** Bacs: a payment can be collected two days from now at the earliest (calendar days here). */
  nextPossibleChargeDate(): string {
    return isoDate(this.now + 2 * DAY);
  }

  // ---- payments ------------------------------------------------------------------------------------

  createPayment(creditorId: string, body: unknown): Payment {
    const b = isMetadata(body) ? body : {};
    const issues: { field: string; message: string }[] = [];
    if (!isPositiveInt(b.amount)) issues.push({ field: 'amount', message: 'must be a whole number of minor units greater than 0' });
    const currency = typeof b.currency === 'string' ? b.currency : '';
    if (!CURRENCIES.includes(currency)) issues.push({ field: 'currency', message: `must be one of ${CURRENCIES.join(', ')}` });
    const links = isMetadata(b.links) ? b.links : {};
    const mandate = typeof links.mandate === 'string' ? this.mandates.get(links.mandate) : undefined;
    if (!mandate || mandate.creditorId !== creditorId) issues.push({ field: 'links.mandate', message: 'does not exist' });
    else if (mandate.status !== 'active') issues.push({ field: 'links.mandate', message: 'is not active' });
    const earliest = this.nextPossibleChargeDate();
    let chargeDate = earliest;
    if (b.charge_date !== undefined && b.charge_date !== null) {
      if (typeof b.charge_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(b.charge_date) || Number.isNaN(dateStart(b.charge_date))) {
        issues.push({ field: 'charge_date', message: 'must be a date (YYYY-MM-DD)' });
      } else if (b.charge_date < earliest) {
        // GoCardless moves a too-early date forward rather than refusing it.
        chargeDate = earliest;
      } else chargeDate = b.charge_date;
    }
    for (const k of ['description', 'reference'] as const) {
      if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') issues.push({ field: k, message: 'must be a string' });
    }
    if (b.app_fee !== undefined && b.app_fee !== null && !(isPositiveInt(b.app_fee) && isPositiveInt(b.amount) && b.app_fee <= b.amount / 2)) {
      issues.push({ field: 'app_fee', message: 'must be a whole number of minor units, at most half the amount' });
    }
    const metadata = checkMetadata('metadata', b.metadata, issues);
    if (issues.length || !mandate) throw validationFailed(issues);
    const now = this.now;
    const chargeStart = dateStart(chargeDate);
    const payment: Payment = {
      id: this.#id('PM'), creditorId, mandateId: mandate.id, createdAt: now, chargeDate,
      amount: b.amount as number, currency, description: (b.description as string | undefined) ?? null,
      reference: (b.reference as string | undefined) ?? null, status: 'pending_submission', amountRefunded: 0, metadata,
      appFee: (b.app_fee as number | undefined) ?? null, retryIfPossible: b.retry_if_possible !== false, payoutId: null,
      submitAt: Math.max(now, chargeStart - DAY), confirmAt: chargeStart + DAY, fee: 0, feeTax: 0,
    };
    this.payments.set(payment.id, payment);
    this.#paymentEvent(payment, 'created', 'api', 'payment_created', 'Payment created via the API.');
    return payment;
  }

  #paymentEvent(p: Payment, action: string, origin: GcEvent['details']['origin'], cause: string, description: string, extra: Partial<GcEvent['details']> = {}, at?: number, links: Record<string, string> = {}): void {
    this.#emit(p.creditorId, 'payments', action, { payment: p.id, ...links }, origin, cause, description, p.metadata, at, extra);
  }

  #creditor(id: string): Creditor {
    const c = this.creditors.get(id);
    if (!c) throw new Error(`creditor ${id} vanished`);
    return c;
  }

  submitPayment(p: Payment, at = this.now): void {
    if (p.status !== 'pending_submission') throw invalidState('payment_not_pending_submission', `Payment ${p.id} is ${p.status}, not pending_submission`);
    p.status = 'submitted';
    p.submitAt = Math.min(p.submitAt, at);
    this.#paymentEvent(p, 'submitted', 'gocardless', 'payment_submitted', 'Payment submitted to the banks. As a result, it can no longer be cancelled.', {}, at);
  }

  /** Funds collected: the payment and its fees go on the balance. */
  confirmPayment(p: Payment, at = this.now): void {
    if (p.status === 'pending_submission') this.submitPayment(p, at);
    if (p.status !== 'submitted') throw invalidState('payment_not_submitted', `Payment ${p.id} is ${p.status}, not submitted`);
    const creditor = this.#creditor(p.creditorId);
    const schedule = creditor.fees[p.currency] ?? DEFAULT_FEES.GBP!;
    p.status = 'confirmed';
    p.confirmAt = Math.min(p.confirmAt, at);
    p.fee = transactionFee(p.amount, schedule);
    p.feeTax = taxOnFee(p.fee, creditor.taxBps);
    const links = { payment: p.id, mandate: p.mandateId };
    this.#credit(p.creditorId, p.currency, at, 'payment_paid_out', p.amount, 0, links);
    this.#credit(p.creditorId, p.currency, at, 'gocardless_fee', -(p.fee + p.feeTax), p.feeTax, links);
    if (p.appFee) this.#credit(p.creditorId, p.currency, at, 'app_fee', -p.appFee, 0, links);
    this.#paymentEvent(p, 'confirmed', 'gocardless', 'payment_confirmed', 'Enough time has passed since the payment was submitted for the banks to return an error, so this payment is now confirmed.', {}, at);
  }

  /**
   * A failure before confirmation just fails the payment. After it (a late failure) or as a chargeback,
   * the amount is debited, fees are given back and the creditor's surcharge (if any) is taken.
   */
  failPayment(p: Payment, kind: 'failed' | 'charged_back', cause?: string, at = this.now): void {
    if (kind === 'failed' && ['pending_submission', 'submitted'].includes(p.status)) {
      p.status = 'failed';
      this.#paymentEvent(p, 'failed', 'bank', cause ?? 'insufficient_funds', 'The customer\'s account had insufficient funds to make this payment.', { scheme: 'bacs', reason_code: 'ARUDD-0' }, at);
      return;
    }
    if (kind === 'failed' && !['confirmed', 'paid_out'].includes(p.status)) throw invalidState('payment_cannot_fail', `Payment ${p.id} is ${p.status}`);
    if (kind === 'charged_back' && p.status !== 'paid_out' && p.status !== 'confirmed') {
      throw invalidState('payment_cannot_be_charged_back', `Payment ${p.id} is ${p.status}; only collected payments can be charged back`);
    }
    const creditor = this.#creditor(p.creditorId);
    const links = { payment: p.id, mandate: p.mandateId };
    const remaining = p.amount - p.amountRefunded;
    this.#credit(p.creditorId, p.currency, at, kind === 'failed' ? 'payment_failed' : 'payment_charged_back', -remaining, 0, links);
    this.#credit(p.creditorId, p.currency, at, 'gocardless_fee', p.fee + p.feeTax, -p.feeTax, links);
    if (p.appFee) this.#credit(p.creditorId, p.currency, at, 'app_fee', p.appFee, 0, links);
    if (creditor.surchargeMinor > 0) {
      const tax = taxOnFee(creditor.surchargeMinor, creditor.taxBps);
      this.#credit(p.creditorId, p.currency, at, 'surcharge_fee', -(creditor.surchargeMinor + tax), tax, links);
    }
    p.status = kind;
    if (kind === 'failed') {
      this.#paymentEvent(p, 'failed', 'bank', cause ?? 'insufficient_funds', 'The payment failed after it was confirmed (late failure).', { scheme: 'bacs', reason_code: 'ARUDD-0' }, at);
    } else {
      this.#paymentEvent(p, 'charged_back', 'bank', cause ?? 'payment_autorefunded', 'The customer asked their bank to refund the payment under the Direct Debit Guarantee.', { scheme: 'bacs', reason_code: 'DDICA-1' }, at);
    }
  }

  // ---- refunds -------------------------------------------------------------------------------------

  createRefund(creditorId: string, body: unknown): Refund {
    const b = isMetadata(body) ? body : {};
    const issues: { field: string; message: string }[] = [];
    if (!isPositiveInt(b.amount)) issues.push({ field: 'amount', message: 'must be a whole number of minor units greater than 0' });
    const links = isMetadata(b.links) ? b.links : {};
    const payment = typeof links.payment === 'string' ? this.payments.get(links.payment) : undefined;
    if (!payment || payment.creditorId !== creditorId) issues.push({ field: 'links.payment', message: 'does not exist' });
    if (!Number.isInteger(b.total_amount_confirmation)) issues.push({ field: 'total_amount_confirmation', message: 'is required (the total refunded on the payment, this refund included)' });
    if (b.reference !== undefined && b.reference !== null && typeof b.reference !== 'string') issues.push({ field: 'reference', message: 'must be a string' });
    const metadata = checkMetadata('metadata', b.metadata, issues);
    if (issues.length || !payment) throw validationFailed(issues);
    const amount = b.amount as number;
    if (!['confirmed', 'paid_out'].includes(payment.status)) {
      throw invalidState('refund_payment_invalid_state', `Payment ${payment.id} is ${payment.status}; only confirmed or paid out payments can be refunded`);
    }
    if (b.total_amount_confirmation !== payment.amountRefunded + amount) {
      throw invalidState('total_amount_confirmation_invalid', `total_amount_confirmation must be ${payment.amountRefunded + amount} (already refunded ${payment.amountRefunded} plus this refund)`);
    }
    if (payment.amountRefunded + amount > payment.amount) {
      throw invalidState('available_refund_amount_insufficient', `Only ${payment.amount - payment.amountRefunded} of the payment is left to refund`);
    }
    const refund: Refund = {
      id: this.#id('RF'), creditorId, paymentId: payment.id, mandateId: payment.mandateId, createdAt: this.now, amount,
      currency: payment.currency, reference: (b.reference as string | undefined) ?? null, metadata, status: 'pending_submission', payoutId: null,
    };
    payment.amountRefunded += amount;
    this.refunds.set(refund.id, refund);
    this.#credit(creditorId, payment.currency, this.now, 'payment_refunded', -amount, 0, { payment: payment.id, refund: refund.id, mandate: payment.mandateId });
    this.#emit(creditorId, 'refunds', 'created', { refund: refund.id, payment: payment.id }, 'api', 'refund_created', 'The refund has been created, and will be submitted in the next batch.', metadata);
    return refund;
  }

  // ---- the ledger and payouts ------------------------------------------------------------------------

  #credit(creditorId: string, currency: string, at: number, type: PayoutItemType, amount: number, tax: number, links: LedgerEntry['links']): void {
    this.ledger.push({ seq: ++this.#seq, creditorId, currency, at, type, amount, tax, links, payoutId: null });
  }

  /** Sweep unswept balance items at or before `at` into payouts (one per creditor and currency with a positive net). */
  runPayouts(at = this.now, creditorId?: string): Payout[] {
    const groups = new Map<string, LedgerEntry[]>();
    for (const e of this.ledger) {
      if (e.payoutId || e.at > at || (creditorId && e.creditorId !== creditorId)) continue;
      const key = `${e.creditorId}:${e.currency}`;
      const list = groups.get(key) ?? [];
      list.push(e);
      groups.set(key, list);
    }
    const made: Payout[] = [];
    for (const items of groups.values()) {
      const net = items.reduce((s, e) => s + e.amount, 0);
      if (net <= 0) continue; // GoCardless carries a non-positive balance to a later payout
      const first = items[0]!;
      const creditor = this.#creditor(first.creditorId);
      const fees = items.filter((e) => ['gocardless_fee', 'app_fee', 'surcharge_fee'].includes(e.type)).reduce((s, e) => s + e.amount, 0);
      const payout: Payout = {
        id: this.#id('PO'), creditorId: creditor.id, createdAt: at, currency: first.currency, amount: net, deductedFees: -fees,
        reference: `GC-${creditor.name.replace(/[^A-Za-z0-9]/g, '').slice(0, 8).toUpperCase()}-${this.payouts.size + 1}`,
        arrivalDate: nextWorkingDay(isoDate(at)), status: 'pending', paidAt: at + this.#paidAfterMs, items,
        taxCurrency: creditor.taxBps > 0 ? (creditor.countryCode === 'FR' ? 'EUR' : 'GBP') : null,
      };
      for (const e of items) e.payoutId = payout.id;
      this.payouts.set(payout.id, payout);
      made.push(payout);
      for (const e of items) {
        if (e.type === 'payment_paid_out' && e.links.payment) {
          const p = this.payments.get(e.links.payment);
          if (p && p.status === 'confirmed') {
            p.status = 'paid_out';
            p.payoutId = payout.id;
            this.#paymentEvent(p, 'paid_out', 'gocardless', 'payment_paid_out', 'The payment has been paid out by GoCardless.', {}, at, { payout: payout.id });
          } else if (p) p.payoutId = payout.id;
        }
        if (e.type === 'payment_refunded' && e.links.refund) {
          const r = this.refunds.get(e.links.refund);
          if (r) {
            r.status = 'paid';
            r.payoutId = payout.id;
            this.#emit(r.creditorId, 'refunds', 'paid', { refund: r.id, payment: r.paymentId }, 'gocardless', 'refund_paid', 'The refund has been paid to your customer.', r.metadata, at);
          }
        }
      }
    }
    return made;
  }

  markPayoutPaid(payout: Payout, at = this.now): void {
    if (payout.status === 'paid') return;
    payout.status = 'paid';
    payout.paidAt = at;
    this.#emit(payout.creditorId, 'payouts', 'paid', { payout: payout.id }, 'gocardless', 'payout_paid', 'GoCardless has transferred the payout to the creditor\'s bank account.', {}, at);
  }

  /** Apply every time-based change up to now, in time order. */
  tick(): void {
    const now = this.now;
    const due: { at: number; run: () => void }[] = [];
    for (const p of this.payments.values()) {
      if (p.status === 'pending_submission' && p.submitAt <= now) due.push({ at: p.submitAt, run: () => p.status === 'pending_submission' && this.submitPayment(p, p.submitAt) });
      if ((p.status === 'pending_submission' || p.status === 'submitted') && p.confirmAt <= now) {
        due.push({ at: p.confirmAt, run: () => p.status === 'submitted' && this.confirmPayment(p, p.confirmAt) });
      }
    }
    if (this.#payoutHourUtc !== null) {
      const hourMs = this.#payoutHourUtc * 3_600_000;
      let run = Math.floor((this.#lastRunCheck - hourMs) / DAY) * DAY + hourMs + DAY;
      for (let guard = 0; run <= now && guard < 800; guard += 1, run += DAY) {
        const runAt = run;
        due.push({ at: runAt + 0.5, run: () => void this.runPayouts(runAt) });
      }
    }
    due.sort((a, b) => a.at - b.at);
    for (const d of due) d.run();
    this.#lastRunCheck = now;
    for (const payout of this.payouts.values()) if (payout.status === 'pending' && payout.paidAt <= now) this.markPayoutPaid(payout, payout.paidAt);
  }

  // ---- events ------------------------------------------------------------------------------------

  #emit(creditorId: string, resourceType: GcEvent['resource_type'], action: string, links: Record<string, string>, origin: GcEvent['details']['origin'], cause: string, description: string, resourceMetadata: Record<string, string> = {}, at = this.now, extra: Partial<GcEvent['details']> = {}): void {
    const event: GcEvent = {
      id: this.#id('EV'), created_at: new Date(at).toISOString(), resource_type: resourceType, action, links,
      details: { origin, cause, description, ...extra }, metadata: {}, resource_metadata: { ...resourceMetadata },
      creditorId, seq: ++this.#seq, at,
    };
    this.events.push(event);
    this.#unsent.push(event);
  }

  /** Events made since the last call, for the webhook sender (one webhook per creditor per batch). */
  drainEvents(): GcEvent[] {
    const out = this.#unsent;
    this.#unsent = [];
    return out;
  }

  // ---- lookups (scoped to a creditor: one token never sees another account) -------------------------

  get<T extends { creditorId: string }>(map: Map<string, T>, creditorId: string, id: string): T {
    const found = map.get(id);
    if (!found || found.creditorId !== creditorId) throw notFound();
    return found;
  }

  payoutItemsGone(payout: Payout): boolean {
    return this.now - payout.createdAt > 183 * DAY;
  }
}

export { GcError, itemAmount };
