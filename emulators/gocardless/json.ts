// Resources as the API returns them (field names and nesting from GoCardless's API reference and the
// types shipped in gocardless-nodejs). Internal fields never leave the emulator.
import type { Creditor, Customer, GcEvent, GoCardlessBooks, LedgerEntry, Mandate, Payment, Payout, Refund } from './books';
import { isoDate, itemAmount } from './money';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The Direct Debit scheme GoCardless collects each currency with. */
const SCHEME_OF_CURRENCY: Readonly<Record<string, string>> = {
  GBP: 'bacs', EUR: 'sepa_core', USD: 'ach', AUD: 'becs', NZD: 'becs_nz', CAD: 'pad', SEK: 'autogiro', DKK: 'betalingsservice',
};

/** The currency a creditor in this country is paid out in (the emulator does no FX: also every payment's fx_currency). */
const PAYOUT_CURRENCY_OF_COUNTRY: Readonly<Record<string, string>> = {
  GB: 'GBP', US: 'USD', AU: 'AUD', NZ: 'NZD', CA: 'CAD', SE: 'SEK', DK: 'DKK',
};

/** No FX: amounts are paid out in the currency they were collected in, so there is no rate or converted amount. */
const noFx = (currency: string) => ({ fx_currency: currency, fx_amount: null, exchange_rate: null, estimated_exchange_rate: null });

export const creditorJson = (c: Creditor) => ({
  id: c.id,
  created_at: iso(c.createdAt),
  name: c.name,
  address_line1: '1 Emulator Street',
  address_line2: null,
  address_line3: null,
  city: 'London',
  region: null,
  postal_code: 'EC1V 9HX',
  country_code: c.countryCode,
  logo_url: null,
  verification_status: 'successful',
  can_create_refunds: true,
  creditor_type: 'company',
  custom_payment_pages_enabled: false,
  mandate_imports_enabled: false,
  fx_payout_currency: PAYOUT_CURRENCY_OF_COUNTRY[c.countryCode] ?? 'EUR',
  merchant_responsible_for_notifications: true,
  bank_reference_prefix: c.name.replace(/[^A-Za-z0-9]/g, '').slice(0, 8).toUpperCase(),
  scheme_identifiers: [],
  links: { default_gbp_payout_account: c.bankAccountId },
});

export const customerJson = (c: Customer) => ({
  id: c.id,
  created_at: iso(c.createdAt),
  email: c.email,
  given_name: c.givenName,
  family_name: c.familyName,
  company_name: c.companyName,
  address_line1: null, address_line2: null, address_line3: null, city: null, region: null, postal_code: null,
  country_code: 'GB',
  language: 'en',
  phone_number: null,
  danish_identity_number: null,
  swedish_identity_number: null,
  metadata: c.metadata,
});

export const mandateJson = (m: Mandate, books: GoCardlessBooks) => ({
  id: m.id,
  created_at: iso(m.createdAt),
  reference: m.reference,
  status: m.status,
  scheme: 'bacs',
  authorisation_source: 'web',
  consent_parameters: null,
  consent_type: null,
  funds_settlement: 'managed',
  mandate_type: 'bank_debit',
  next_possible_charge_date: books.nextPossibleChargeDate(),
  next_possible_standard_ach_charge_date: null,
  payments_require_approval: false,
  verified_at: null,
  metadata: {},
  links: { customer_bank_account: m.bankAccountId, creditor: m.creditorId, customer: m.customerId },
});

export const paymentJson = (p: Payment) => ({
  id: p.id,
  created_at: iso(p.createdAt),
  charge_date: p.chargeDate,
  amount: p.amount,
  description: p.description,
  currency: p.currency,
  status: p.status,
  amount_refunded: p.amountRefunded,
  reference: p.reference,
  metadata: p.metadata,
  retry_if_possible: p.retryIfPossible,
  app_fee: p.appFee,
  scheme: SCHEME_OF_CURRENCY[p.currency] ?? null,
  // Only ACH payments say whether they went by Faster ACH (the emulator's never do).
  ...(p.currency === 'USD' ? { faster_ach: false } : {}),
  fx: noFx(p.currency),
  links: { mandate: p.mandateId, creditor: p.creditorId, ...(p.payoutId ? { payout: p.payoutId } : {}) },
});

export const refundJson = (r: Refund) => ({
  id: r.id,
  created_at: iso(r.createdAt),
  amount: r.amount,
  currency: r.currency,
  reference: r.reference,
  status: r.status,
  metadata: r.metadata,
  fx: noFx(r.currency),
  links: { payment: r.paymentId, mandate: r.mandateId },
});

export const payoutJson = (p: Payout) => ({
  id: p.id,
  amount: p.amount,
  arrival_date: p.arrivalDate,
  created_at: iso(p.createdAt),
  currency: p.currency,
  deducted_fees: p.deductedFees,
  fx: noFx(p.currency),
  metadata: {},
  payout_type: 'merchant',
  reference: p.reference,
  status: p.status,
  tax_currency: p.taxCurrency,
  links: { creditor: p.creditorId, creditor_bank_account: 'BA' + p.creditorId.slice(2) },
});

export function payoutItemJson(e: LedgerEntry, taxRateId: string | null, currency: string) {
  // Tax is shown as a positive amount on a fee charged and negative on a fee given back.
  const taxes = e.tax !== 0 && taxRateId
    ? [{ amount: itemAmount(e.tax), currency, destination_amount: itemAmount(e.tax), destination_currency: currency, exchange_rate: null, tax_rate_id: taxRateId }]
    : [];
  return { type: e.type, amount: itemAmount(e.amount), taxes, links: { ...e.links } };
}

export const eventJson = (e: GcEvent) => ({
  id: e.id,
  created_at: e.created_at,
  resource_type: e.resource_type,
  action: e.action,
  links: e.links,
  details: e.details,
  metadata: e.metadata,
  resource_metadata: e.resource_metadata,
  // Only for integrators who send their own customer notifications (not emulated).
  customer_notifications: null,
  source: eventSource(e),
});

/** Who caused the event: the API caller's access token, or GoCardless itself (scheme and bank outcomes). */
function eventSource(e: GcEvent): { type: 'access_token' | 'gc_team'; name: string } {
  return e.details.origin === 'api' ? { type: 'access_token', name: 'Emulator access token' } : { type: 'gc_team', name: 'GoCardless' };
}

export { isoDate };
