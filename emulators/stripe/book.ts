// The accounts' books: every Stripe object an account has (stored in its API shape), the balance
// transactions that move its balance, and the money rules: fees, currency conversion, availability on
// the emulator clock, refunds, disputes and automatic payouts that sweep the available balance.
// Events are handed to `emit` (the webhook dispatcher) with a snapshot of the object.
import type { Clock } from '../xero/contracts';
import { newAccount, mergeSettings, type Account } from './accounts';
import { testCard, type TestCard } from './cards';
import { StripeApiError, invalidRequest, missingResource } from './errors';
import { stripeId } from './ids';
import { IMPLEMENTED_STRIPE_VERSION } from './version';

export type StripeObject = Record<string, unknown> & { id: string; object: string; created: number };

export interface RequestInfo {
  id: string | null;
  idempotencyKey: string | null;
}

export type EmitEvent = (account: Account, type: string, object: StripeObject, request: RequestInfo | null) => void;

interface AccountBook {
  account: Account;
  objects: Map<string, StripeObject>;
  /** Insertion order per object kind, so lists are newest first even within one second. */
  order: Map<string, string[]>;
  seq: Map<string, number>;
  /** Balance transaction → the payout that swept it. */
  sweptBy: Map<string, string>;
  lastAutoPayoutDay: number | null;
}

const DAY = 86_400;
const MINIMUM_CHARGE: Record<string, number> = { gbp: 30, usd: 50, eur: 50 };

export const startOfDay = (seconds: number): number => seconds - (seconds % DAY);

export class StripeBook {
  #books = new Map<string, AccountBook>();
  #byKey = new Map<string, AccountBook>();
  #seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly emit: EmitEvent,
  ) {}

  get apiVersion(): string {
    return IMPLEMENTED_STRIPE_VERSION;
  }

  nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  // ---- accounts ----------------------------------------------------------------------------------

  createAccount(input: Record<string, unknown>): Account {
    const account = newAccount(input, this.clock.now());
    if (this.#byKey.has(account.secretKey)) throw new TypeError('an account with that secretKey already exists');
    const book: AccountBook = { account, objects: new Map(), order: new Map(), seq: new Map(), sweptBy: new Map(), lastAutoPayoutDay: null };
    this.#books.set(account.id, book);
    this.#byKey.set(account.secretKey, book);
    return account;
  }

  updateAccount(id: string, input: Record<string, unknown>): Account {
    const book = this.#book(id);
    book.account.settings = mergeSettings(book.account.settings, input);
    if (typeof input.name === 'string') book.account.name = input.name;
    if (typeof input.email === 'string') book.account.email = input.email;
    return book.account;
  }

  accounts(): Account[] {
    return [...this.#books.values()].map((b) => b.account);
  }

  account(id: string): Account | undefined {
    return this.#books.get(id)?.account;
  }

  accountByKey(secretKey: string): Account | undefined {
    return this.#byKey.get(secretKey)?.account;
  }

  reset(): void {
    this.#books.clear();
    this.#byKey.clear();
  }

  #book(accountId: string): AccountBook {
    const book = this.#books.get(accountId);
    if (!book) throw new TypeError(`no such account: ${accountId}`);
    return book;
  }

  #put(book: AccountBook, obj: StripeObject): StripeObject {
    book.objects.set(obj.id, obj);
    const ids = book.order.get(obj.object) ?? [];
    ids.push(obj.id);
    book.order.set(obj.object, ids);
    book.seq.set(obj.id, (this.#seq += 1));
    return obj;
  }

  /** The stored object, or Stripe's resource_missing naming its kind: 404 for the object in the URL (`param` id), 400 naming any other param. */
  get(accountId: string, kind: string, id: string, param = 'id'): StripeObject {
    const obj = this.#book(accountId).objects.get(id);
    if (!obj || obj.object !== kind) throw missingResource(kind, id, param);
    return obj;
  }

  find(accountId: string, id: string): StripeObject | undefined {
    return this.#book(accountId).objects.get(id);
  }

  /** Every object of a kind, newest first (Stripe's list order). */
  all(accountId: string, kind: string): StripeObject[] {
    const book = this.#book(accountId);
    return (book.order.get(kind) ?? []).map((id) => book.objects.get(id)!).reverse();
  }

  /** A detached copy in API shape, with the fields that depend on time or other objects filled in. */
  view(accountId: string, obj: StripeObject): StripeObject {
    const copy = structuredClone(obj);
    if (obj.object === 'balance_transaction') copy.status = (obj.available_on as number) <= this.nowSeconds() ? 'available' : 'pending';
    if (obj.object === 'dispute') copy.balance_transactions = (obj.balance_transactions as string[]).map((id) => this.view(accountId, this.#book(accountId).objects.get(id)!));
    return copy;
  }

  /**
   * A field Stripe leaves out unless `expand[]` names it (an "includable" field), or undefined when `field`
   * is not one of `obj`'s. Since API 2022-11-15 a charge's `refunds` list is one of them.
   */
  included(accountId: string, obj: Record<string, unknown>, field: string): unknown {
    if (obj.object === 'charge' && field === 'refunds') {
      const refunds = this.all(accountId, 'refund').filter((r) => r.charge === obj.id);
      return { object: 'list', data: refunds.map((r) => this.view(accountId, r)), has_more: false, url: `/v1/charges/${String(obj.id)}/refunds` };
    }
    return undefined;
  }

  #event(book: AccountBook, type: string, obj: StripeObject, request: RequestInfo | null): void {
    this.emit(book.account, type, this.view(book.account.id, obj), request);
  }

  // ---- customers ---------------------------------------------------------------------------------

  createCustomer(accountId: string, fields: { email?: string; name?: string; description?: string; metadata: Record<string, string> }, request: RequestInfo | null): StripeObject {
    const book = this.#book(accountId);
    const customer = this.#put(book, {
      id: stripeId('cus', 14), object: 'customer', address: null, balance: 0, created: this.nowSeconds(), currency: null, default_source: null,
      delinquent: false, description: fields.description ?? null, discount: null, email: fields.email ?? null, invoice_prefix: stripeId('', 8).slice(1).toUpperCase(),
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null }, livemode: false, metadata: fields.metadata,
      name: fields.name ?? null, phone: null, preferred_locales: [], shipping: null, tax_exempt: 'none', test_clock: null,
    });
    this.#event(book, 'customer.created', customer, request);
    return customer;
  }

  // ---- payment intents and charges ---------------------------------------------------------------

  createPaymentIntent(accountId: string, input: { amount: number; currency: string; customer?: string; paymentMethod?: string; description?: string; receiptEmail?: string; statementDescriptor?: string; metadata: Record<string, string>; confirm: boolean }, request: RequestInfo | null): StripeObject {
    const book = this.#book(accountId);
    this.#checkAmount(input.amount, input.currency);
    if (input.customer) this.get(accountId, 'customer', input.customer, 'customer');
    if (input.paymentMethod && !testCard(input.paymentMethod)) throw missingResource('PaymentMethod', input.paymentMethod, 'payment_method');
    const id = stripeId('pi');
    const pi = this.#put(book, {
      id, object: 'payment_intent', amount: input.amount, amount_capturable: 0, amount_details: { tip: {} }, amount_received: 0, application: null,
      application_fee_amount: null, automatic_payment_methods: null, canceled_at: null, cancellation_reason: null, capture_method: 'automatic',
      client_secret: `${id}_secret_${stripeId('x').slice(2)}`, confirmation_method: 'automatic', created: this.nowSeconds(), currency: input.currency,
      customer: input.customer ?? null, description: input.description ?? null, invoice: null, last_payment_error: null, latest_charge: null, livemode: false,
      metadata: input.metadata, next_action: null, on_behalf_of: null, payment_method: input.paymentMethod ?? null, payment_method_options: {},
      payment_method_types: ['card'], processing: null, receipt_email: input.receiptEmail ?? null, review: null, setup_future_usage: null, shipping: null,
      statement_descriptor: input.statementDescriptor ?? null, statement_descriptor_suffix: null,
      status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method', transfer_data: null, transfer_group: null,
    });
    this.#event(book, 'payment_intent.created', pi, request);
    if (input.confirm) return this.confirmPaymentIntent(accountId, id, input.paymentMethod, request);
    return pi;
  }

  confirmPaymentIntent(accountId: string, id: string, paymentMethod: string | undefined, request: RequestInfo | null): StripeObject {
    const book = this.#book(accountId);
    const pi = this.get(accountId, 'payment_intent', id);
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      throw invalidRequest(`You cannot confirm this PaymentIntent because it has a status of ${String(pi.status)}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`, undefined, 'payment_intent_unexpected_state');
    }
    const pm = paymentMethod ?? (pi.payment_method as string | null) ?? undefined;
    if (!pm) throw invalidRequest('You cannot confirm this PaymentIntent because it\'s missing a payment method. To confirm the PaymentIntent with cus, specify a payment method attached to this customer along with the customer ID.', 'payment_method', 'payment_intent_unexpected_state');
    const card = testCard(pm);
    if (!card) throw missingResource('PaymentMethod', pm, 'payment_method');
    pi.payment_method = pm;
    const charge = this.#charge(book, { amount: pi.amount as number, currency: pi.currency as string, customer: pi.customer as string | null, description: pi.description as string | null, metadata: pi.metadata as Record<string, string>, receiptEmail: pi.receipt_email as string | null, statementDescriptor: pi.statement_descriptor as string | null, paymentIntent: id, paymentMethod: pm, card }, request);
    pi.latest_charge = charge.id;
    if (charge.status === 'failed') {
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { type: 'card_error', code: charge.failure_code, decline_code: (charge.outcome as { reason: string }).reason, message: charge.failure_message, charge: charge.id, payment_method: paymentMethodObject(pm, card, this.nowSeconds()) };
      this.#event(book, 'payment_intent.payment_failed', pi, request);
      const outcome = card.outcome as { decline: string; code: string; message: string };
      // Stripe's decline on a payment intent names the payment method it tried as well as the intent.
      throw new StripeApiError(402, { type: 'card_error', code: outcome.code, decline_code: outcome.decline, message: outcome.message, charge: charge.id, payment_intent: this.view(accountId, pi), payment_method: paymentMethodObject(pm, card, this.nowSeconds()), doc_url: `https://stripe.com/docs/error-codes/${outcome.code.replace(/_/g, '-')}` });
    }
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.last_payment_error = null;
    this.#event(book, 'payment_intent.succeeded', pi, request);
    this.#afterCharge(book, charge, card, request);
    return pi;
  }

  /** The legacy Charges API: POST /v1/charges with a test token as `source`. */
  createCharge(accountId: string, input: { amount: number; currency: string; source: string; customer?: string; description?: string; receiptEmail?: string; statementDescriptor?: string; metadata: Record<string, string> }, request: RequestInfo | null): StripeObject {
    const book = this.#book(accountId);
    this.#checkAmount(input.amount, input.currency);
    if (input.customer) this.get(accountId, 'customer', input.customer, 'customer');
    const card = testCard(input.source);
    if (!card) throw missingResource('source', input.source, 'source');
    const charge = this.#charge(book, { ...input, customer: input.customer ?? null, description: input.description ?? null, receiptEmail: input.receiptEmail ?? null, statementDescriptor: input.statementDescriptor ?? null, paymentIntent: null, paymentMethod: input.source, card }, request);
    if (charge.status === 'failed') {
      const outcome = card.outcome as { decline: string; code: string; message: string };
      throw new StripeApiError(402, { type: 'card_error', code: outcome.code, decline_code: outcome.decline, message: outcome.message, charge: charge.id });
    }
    this.#afterCharge(book, charge, card, request);
    return charge;
  }

  #checkAmount(amount: number, currency: string): void {
    if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}. Stripe currently supports these currencies: gbp, usd, eur, …`, 'currency');
    const min = MINIMUM_CHARGE[currency] ?? 50;
    if (amount < min) throw invalidRequest(`Amount must be at least ${min} ${currency}`, 'amount', 'amount_too_small');
    if (amount > 99_999_999) throw invalidRequest('Amount must be no more than 999,999.99', 'amount', 'amount_too_large');
  }

  #toSettlement(book: AccountBook, amount: number, currency: string): { amount: number; rate: number | null } {
    const settlement = book.account.settings.currency;
    if (currency === settlement) return { amount, rate: null };
    const rate = book.account.settings.fxRates[currency];
    if (rate === undefined) throw invalidRequest(`This account cannot settle ${currency} charges (no exchange rate to ${settlement} configured)`, 'currency');
    return { amount: Math.round(amount * rate), rate };
  }

  #charge(book: AccountBook, input: { amount: number; currency: string; customer: string | null; description: string | null; metadata: Record<string, string>; receiptEmail: string | null; statementDescriptor: string | null; paymentIntent: string | null; paymentMethod: string; card: TestCard }, request: RequestInfo | null): StripeObject {
    const now = this.nowSeconds();
    const failed = typeof input.card.outcome === 'object' && 'decline' in input.card.outcome ? input.card.outcome : null;
    const id = stripeId('ch');
    let btId: string | null = null;
    if (!failed) {
      const { amount, rate } = this.#toSettlement(book, input.amount, input.currency);
      const rule = input.card.country === book.account.settings.country ? book.account.settings.domesticFee : book.account.settings.internationalFee;
      const fee = Math.round((amount * rule.percentBps) / 10_000) + rule.fixed;
      const tax = Math.round((fee * book.account.settings.feeTaxBps) / 10_000);
      btId = this.#balanceTransaction(book, { amount, fee: fee + tax, feeDetails: feeDetails(book.account.settings.currency, fee, tax), type: 'charge', reportingCategory: 'charge', source: id, description: input.description, rate, availableDays: book.account.settings.availabilityDays }).id;
    }
    const charge = this.#put(book, {
      id, object: 'charge', amount: input.amount, amount_captured: failed ? 0 : input.amount, amount_refunded: 0, application: null, application_fee: null,
      application_fee_amount: null, balance_transaction: btId,
      billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null },
      calculated_statement_descriptor: input.statementDescriptor ?? 'LEDGERBRIDGE', captured: !failed, created: now, currency: input.currency, customer: input.customer,
      description: input.description, disputed: false, failure_balance_transaction: null, failure_code: failed ? failed.code : null, failure_message: failed ? failed.message : null,
      fraud_details: {}, invoice: null, livemode: false, metadata: { ...input.metadata }, on_behalf_of: null,
      outcome: failed
        ? { network_status: 'declined_by_network', reason: failed.decline, risk_level: 'normal', risk_score: 20, seller_message: 'The bank did not return any further details with this decline.', type: 'issuer_declined' }
        : { network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 12, seller_message: 'Payment complete.', type: 'authorized' },
      paid: !failed, payment_intent: input.paymentIntent, payment_method: input.paymentMethod.startsWith('pm_') ? input.paymentMethod : null,
      payment_method_details: { type: 'card', card: cardDetails(input.card) }, receipt_email: input.receiptEmail, receipt_number: null, receipt_url: `https://pay.stripe.com/receipts/emulated/${id}`,
      refunded: false, review: null, shipping: null, source_transfer: null, statement_descriptor: input.statementDescriptor, statement_descriptor_suffix: null,
      status: failed ? 'failed' : 'succeeded', transfer_data: null, transfer_group: null,
    });
    this.#event(book, failed ? 'charge.failed' : 'charge.succeeded', charge, request);
    return charge;
  }

  #afterCharge(book: AccountBook, charge: StripeObject, card: TestCard, request: RequestInfo | null): void {
    if (typeof card.outcome === 'object' && 'dispute' in card.outcome) this.createDispute(book.account.id, charge.id as string, { reason: card.outcome.dispute }, request);
  }

  // ---- refunds -----------------------------------------------------------------------------------

  createRefund(accountId: string, input: { charge?: string; paymentIntent?: string; amount?: number; reason?: string; metadata: Record<string, string> }, request: RequestInfo | null): StripeObject {
    const book = this.#book(accountId);
    let charge: StripeObject;
    if (input.charge) charge = this.get(accountId, 'charge', input.charge, 'charge');
    else if (input.paymentIntent) {
      const pi = this.get(accountId, 'payment_intent', input.paymentIntent, 'payment_intent');
      if (pi.status !== 'succeeded' || !pi.latest_charge) throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'payment_intent', 'charge_not_refundable');
      charge = this.get(accountId, 'charge', pi.latest_charge as string);
    } else throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', undefined, 'parameter_missing');
    if (charge.status !== 'succeeded') throw invalidRequest(`Charge ${charge.id} has not been captured or failed and cannot be refunded.`, 'charge', 'charge_not_refundable');
    const remaining = (charge.amount as number) - (charge.amount_refunded as number);
    if (remaining <= 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
    if (charge.disputed && this.all(accountId, 'dispute').some((d) => d.charge === charge.id && !['won', 'lost', 'warning_closed'].includes(d.status as string) && d.is_charge_refundable === false)) {
      throw invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, undefined, 'charge_disputed');
    }
    const amount = input.amount ?? remaining;
    if (amount <= 0) throw invalidRequest('Refund amount must be positive', 'amount', 'parameter_invalid_integer');
    if (amount > remaining) throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, 'amount', 'amount_too_large');
    if (input.reason && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(input.reason)) throw invalidRequest(`Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer`, 'reason');
    const id = stripeId('re');
    const chargeBt = charge.balance_transaction ? this.find(accountId, charge.balance_transaction as string) : undefined;
    const rate = (chargeBt?.exchange_rate as number | null | undefined) ?? null;
    const settled = rate === null ? amount : Math.round(amount * rate);
    // Stripe keeps its processing fee on refunds: the refund's balance transaction has no fee.
    const bt = this.#balanceTransaction(book, { amount: -settled, fee: 0, feeDetails: [], type: 'refund', reportingCategory: 'refund', source: id, description: 'REFUND FOR CHARGE', rate, availableDays: 0 });
    const refund = this.#put(book, {
      id, object: 'refund', amount, balance_transaction: bt.id, charge: charge.id, created: this.nowSeconds(), currency: charge.currency, metadata: input.metadata,
      payment_intent: charge.payment_intent, reason: input.reason ?? null, receipt_number: null, source_transfer_reversal: null, status: 'succeeded', transfer_reversal: null,
    });
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.#event(book, 'refund.created', refund, request);
    this.#event(book, 'charge.refunded', charge, request);
    return refund;
  }

  // ---- disputes ----------------------------------------------------------------------------------

  createDispute(accountId: string, chargeId: string, input: { reason?: string; amount?: number }, request: RequestInfo | null): StripeObject {
    const book = this.#book(accountId);
    const charge = this.get(accountId, 'charge', chargeId, 'charge');
    if (charge.status !== 'succeeded') throw new TypeError(`charge ${chargeId} did not succeed; it cannot be disputed`);
    if (charge.disputed) throw new TypeError(`charge ${chargeId} is already disputed`);
    const amount = input.amount ?? (charge.amount as number);
    if (!Number.isInteger(amount) || amount <= 0 || amount > (charge.amount as number)) throw new TypeError('amount must be a positive integer no more than the charge amount');
    const chargeBt = charge.balance_transaction ? this.find(accountId, charge.balance_transaction as string) : undefined;
    const rate = (chargeBt?.exchange_rate as number | null | undefined) ?? null;
    const settled = rate === null ? amount : Math.round(amount * rate);
    const fee = book.account.settings.disputeFee;
    const id = stripeId('du');
    const bt = this.#balanceTransaction(book, { amount: -settled, fee, feeDetails: fee ? [{ amount: fee, application: null, currency: book.account.settings.currency, description: 'Dispute fee', type: 'stripe_fee' }] : [], type: 'adjustment', reportingCategory: 'dispute', source: id, description: `Chargeback withdrawal for ${chargeId}`, rate, availableDays: 0 });
    const now = this.nowSeconds();
    const dispute = this.#put(book, {
      id, object: 'dispute', amount, balance_transactions: [bt.id], charge: chargeId, created: now, currency: charge.currency,
      evidence: emptyEvidence(), evidence_details: { due_by: now + 7 * DAY, has_evidence: false, past_due: false, submission_count: 0 },
      is_charge_refundable: false, livemode: false, metadata: {}, payment_intent: charge.payment_intent, reason: input.reason ?? 'fraudulent', status: 'needs_response',
    });
    charge.disputed = true;
    this.#event(book, 'charge.dispute.created', dispute, request);
    this.#event(book, 'charge.dispute.funds_withdrawn', dispute, request);
    return dispute;
  }

  /** Closes a dispute: `won` returns the funds (and the fee where Stripe refunds it), `lost` keeps them withdrawn. */
  closeDispute(accountId: string, id: string, outcome: 'won' | 'lost', request: RequestInfo | null): StripeObject {
    const book = this.#book(accountId);
    const dispute = this.get(accountId, 'dispute', id);
    if (['won', 'lost', 'warning_closed'].includes(dispute.status as string)) {
      throw invalidRequest(`This dispute is already closed`, undefined, 'dispute_already_closed' as string);
    }
    if (outcome === 'won') {
      const withdrawal = this.find(accountId, (dispute.balance_transactions as string[])[0]!)!;
      const feeBack = book.account.settings.disputeFeeRefundedOnWin ? -(withdrawal.fee as number) : 0;
      const bt = this.#balanceTransaction(book, {
        amount: -(withdrawal.amount as number), fee: feeBack,
        feeDetails: feeBack ? [{ amount: feeBack, application: null, currency: book.account.settings.currency, description: 'Dispute fee refund', type: 'stripe_fee' }] : [],
        type: 'adjustment', reportingCategory: 'dispute_reversal', source: id, description: `Chargeback reversal for ${String(dispute.charge)}`, rate: withdrawal.exchange_rate as number | null, availableDays: 0,
      });
      (dispute.balance_transactions as string[]).push(bt.id);
      this.#event(book, 'charge.dispute.funds_reinstated', dispute, request);
    }
    dispute.status = outcome;
    const charge = this.get(accountId, 'charge', dispute.charge as string);
    if (outcome === 'lost') charge.disputed = true;
    this.#event(book, 'charge.dispute.closed', dispute, request);
    return dispute;
  }

  // ---- balance transactions, balance, payouts ----------------------------------------------------

  #balanceTransaction(book: AccountBook, input: { amount: number; fee: number; feeDetails: unknown[]; type: string; reportingCategory: string; source: string; description: string | null; rate: number | null; availableDays: number }): StripeObject {
    const now = this.nowSeconds();
    // Stripe makes funds available at the start of a UTC day; withdrawals (refunds, disputes) count at once.
    const availableOn = input.availableDays > 0 ? startOfDay(now) + input.availableDays * DAY : now;
    return this.#put(book, {
      id: stripeId('txn'), object: 'balance_transaction', amount: input.amount, available_on: availableOn, created: now, currency: book.account.settings.currency,
      description: input.description, exchange_rate: input.rate, fee: input.fee, fee_details: input.feeDetails, net: input.amount - input.fee,
      reporting_category: input.reportingCategory, source: input.source, status: 'pending', type: input.type,
    });
  }

  /** A stand-alone fee or adjustment (Radar, Billing, a manual correction) — control API only. */
  addBalanceTransaction(accountId: string, input: { type: 'stripe_fee' | 'adjustment' | 'stripe_fx_fee'; amount: number; description?: string }): StripeObject {
    const book = this.#book(accountId);
    if (!Number.isInteger(input.amount) || input.amount === 0) throw new TypeError('amount must be a non-zero integer (negative takes money from the balance)');
    const category = input.type === 'adjustment' ? 'other_adjustment' : 'fee';
    return this.#balanceTransaction(book, { amount: input.amount, fee: 0, feeDetails: [], type: input.type, reportingCategory: category, source: null as unknown as string, description: input.description ?? (input.type === 'stripe_fee' ? 'Radar (2023-09): Fraud screening' : 'Adjustment'), rate: null, availableDays: 0 });
  }

  balance(accountId: string): Record<string, unknown> {
    const book = this.#book(accountId);
    const now = this.nowSeconds();
    let available = 0;
    let pending = 0;
    for (const bt of this.all(accountId, 'balance_transaction')) {
      if ((bt.available_on as number) <= now) available += bt.net as number;
      else pending += bt.net as number;
    }
    const currency = book.account.settings.currency;
    // API 2023-08-16's balance has no id and no created (it is not a stored object).
    return {
      object: 'balance', livemode: false,
      available: [{ amount: available, currency, source_types: { card: available } }],
      pending: [{ amount: pending, currency, source_types: { card: pending } }],
    };
  }

  /** Balance transactions a payout swept (what `?payout=po_…` lists), the payout's own one included. */
  inPayout(accountId: string, payoutId: string): (bt: StripeObject) => boolean {
    const book = this.#book(accountId);
    const payout = this.get(accountId, 'payout', payoutId, 'payout');
    return (bt) => book.sweptBy.get(bt.id) === payoutId || bt.id === payout.balance_transaction;
  }

  /** Sweeps the available, not yet paid-out balance into one payout. Returns it, or null when there is nothing positive to pay. */
  runPayout(accountId: string): StripeObject | null {
    const book = this.#book(accountId);
    const now = this.nowSeconds();
    const swept = this.all(accountId, 'balance_transaction').filter((bt) => bt.type !== 'payout' && !book.sweptBy.has(bt.id) && (bt.available_on as number) <= now);
    const amount = swept.reduce((sum, bt) => sum + (bt.net as number), 0);
    if (swept.length === 0 || amount <= 0) return null;
    const id = stripeId('po');
    const settings = book.account.settings;
    const bt = this.#balanceTransaction(book, { amount: -amount, fee: 0, feeDetails: [], type: 'payout', reportingCategory: 'payout', source: id, description: 'STRIPE PAYOUT', rate: null, availableDays: 0 });
    for (const t of swept) book.sweptBy.set(t.id, id);
    const payout = this.#put(book, {
      id, object: 'payout', amount, arrival_date: startOfDay(now) + Math.max(settings.payoutArrivalDays, 0) * DAY, automatic: true, balance_transaction: bt.id,
      created: now, currency: settings.currency, description: 'STRIPE PAYOUT', destination: `ba_${book.account.id.slice(5)}`, failure_balance_transaction: null,
      failure_code: null, failure_message: null, livemode: false, metadata: {}, method: 'standard', original_payout: null, reconciliation_status: 'completed',
      reversed_by: null, source_type: 'card', statement_descriptor: null, status: 'in_transit', type: 'bank_account',
    });
    book.lastAutoPayoutDay = startOfDay(now);
    this.#event(book, 'payout.created', payout, null);
    return payout;
  }

  /** Marks a payout paid now (normally done by tick() at its arrival date). */
  payoutArrived(accountId: string, payoutId: string): StripeObject {
    const book = this.#book(accountId);
    const payout = this.get(accountId, 'payout', payoutId);
    if (payout.status !== 'in_transit' && payout.status !== 'pending') throw new TypeError(`payout ${payoutId} is ${String(payout.status)}, not in transit`);
    payout.status = 'paid';
    this.#event(book, 'payout.paid', payout, null);
    return payout;
  }

  /** The bank refused the payout: its funds come back to the balance (a payout_failure transaction). */
  failPayout(accountId: string, payoutId: string, failureCode = 'account_closed'): StripeObject {
    const book = this.#book(accountId);
    const payout = this.get(accountId, 'payout', payoutId);
    if (payout.status !== 'in_transit' && payout.status !== 'pending') throw new TypeError(`payout ${payoutId} is ${String(payout.status)}; only a payout in transit can fail`);
    const bt = this.#balanceTransaction(book, { amount: payout.amount as number, fee: 0, feeDetails: [], type: 'payout_failure', reportingCategory: 'payout_reversal', source: payoutId, description: 'Payout failure', rate: null, availableDays: 0 });
    payout.status = 'failed';
    payout.failure_code = failureCode;
    payout.failure_message = 'The bank account has been closed.';
    payout.failure_balance_transaction = bt.id;
    this.#event(book, 'payout.failed', payout, null);
    return payout;
  }

  /** Time moved: payouts in transit whose arrival date has come are paid; once a day the available balance is swept. */
  tick(): void {
    const now = this.nowSeconds();
    for (const book of this.#books.values()) {
      for (const payout of this.all(book.account.id, 'payout')) {
        if (payout.status === 'in_transit' && (payout.arrival_date as number) <= now) this.payoutArrived(book.account.id, payout.id);
      }
      if (book.account.settings.automaticPayouts && book.lastAutoPayoutDay !== startOfDay(now)) {
        const payout = this.runPayout(book.account.id);
        if (!payout) continue;
        if ((payout.arrival_date as number) <= now) this.payoutArrived(book.account.id, payout.id);
      }
    }
  }
}

function feeDetails(currency: string, fee: number, tax: number): unknown[] {
  const out: unknown[] = [{ amount: fee, application: null, currency, description: 'Stripe processing fees', type: 'stripe_fee' }];
  if (tax) out.push({ amount: tax, application: null, currency, description: 'VAT', type: 'tax' });
  return out;
}

function cardDetails(card: TestCard): Record<string, unknown> {
  return {
    brand: card.brand, checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' }, country: card.country,
    exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, fingerprint: `emu${card.last4}${card.country}`, funding: card.funding,
    installments: null, last4: card.last4, mandate: null, network: card.brand, network_token: { used: false }, three_d_secure: null, wallet: null,
  };
}

function paymentMethodObject(id: string, card: TestCard, created: number): Record<string, unknown> {
  return {
    id, object: 'payment_method', billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null },
    // A payment method's card is not a charge's card details: no installments, mandate, network or 3DS result.
    card: {
      brand: card.brand, checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: null }, country: card.country,
      exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, fingerprint: `emu${card.last4}${card.country}`, funding: card.funding,
      generated_from: null, last4: card.last4, networks: { available: [card.brand], preferred: null }, three_d_secure_usage: { supported: true }, wallet: null,
    },
    created, customer: null, livemode: false, metadata: {}, type: 'card',
  };
}

function emptyEvidence(): Record<string, null> {
  const fields = ['access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure', 'cancellation_rebuttal', 'customer_communication',
    'customer_email_address', 'customer_name', 'customer_purchase_ip', 'customer_signature', 'duplicate_charge_documentation', 'duplicate_charge_explanation',
    'duplicate_charge_id', 'product_description', 'receipt', 'refund_policy', 'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date',
    'service_documentation', 'shipping_address', 'shipping_carrier', 'shipping_date', 'shipping_documentation', 'shipping_tracking_number',
    'uncategorized_file', 'uncategorized_text'];
  return Object.fromEntries(fields.map((f) => [f, null]));
}
