// Resources as the API returns them (field names and nesting from GoCardless's API reference and the
// types shipped in gocardless-nodejs). Internal fields never leave the emulator.
import type { Creditor, Customer, GcEvent, GoCardlessBooks, LedgerEntry, Mandate, Payment, Payout, Refund } from './books';
import { isoDate, itemAmount } from './money';

const iso = (ms: number): string => new Date(ms).toISOString();

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
  fx_payout_currency: null,
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
  metadata: c.metadata,
});

export const mandateJson = (m: Mandate, books: GoCardlessBooks) => ({
  id: m.id,
  created_at: iso(m.createdAt),
  reference: m.reference,
  status: m.status,
  scheme: 'bacs',
  next_possible_charge_date: books.nextPossibleChargeDate(),
  payments_require_approval: false,
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
  fx: { fx_currency: null, fx_amount: null, exchange_rate: null, estimated_exchange_rate: null },
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
  fx: { fx_currency: null, fx_amount: null, exchange_rate: null, estimated_exchange_rate: null },
  links: { payment: r.paymentId, mandate: r.mandateId },
});

export const payoutJson = (p: Payout) => ({
  id: p.id,
  amount: p.amount,
  arrival_date: p.arrivalDate,
  created_at: iso(p.createdAt),
  currency: p.currency,
  deducted_fees: p.deductedFees,
  fx: { fx_currency: p.currency, fx_amount: null, exchange_rate: null, estimated_exchange_rate: null },
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
});

export { isoDate };
