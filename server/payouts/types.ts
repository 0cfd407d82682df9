// The payout contract between the host and the provider plugins (Stripe, GoCardless) and the Xero plugin:
// a provider plugin breaks a payout into lines and records it with ctx.payouts.record; the host stores it
// and emits `payout.paid` in the same transaction. Shared verbatim with the other helpers (see
// plugins/xero/README.md "Payouts"); change it only together with them.
/** The id of a payment method whose money arrives in payouts (e.g. `stripe`): declared by the plugin that brings it. */
export type PayoutProvider = string;
export type PayoutLineKind =
  | 'charge'          // a customer payment (Stripe charge / GoCardless payment paid out)
  | 'refund'          // money returned to a customer
  | 'dispute'         // funds withdrawn for a dispute / GoCardless chargeback
  | 'dispute_reversal'// dispute won: funds returned
  | 'failure'         // GoCardless payment failure after pay-out (late failure)
  | 'fee'             // a stand-alone fee (Stripe fee-only balance txn, GoCardless app/gc fee line)
  | 'adjustment';     // anything else that moves the balance
export interface PayoutLineInput {
  sourceId: string;          // provider id of this balance transaction / payout item; unique within the payout
  kind: PayoutLineKind;
  amountMinor: bigint;       // gross effect on the provider balance, signed: charge +, refund/dispute/failure −
  feeMinor: bigint;          // provider fee on this line, >= 0 charged to us (< 0 when a fee is given back)
  feeTaxMinor: bigint;       // part of feeMinor that is tax (e.g. VAT on fees); 0n when none
  chargeRef: string | null;  // provider id of the charge/payment this line is about (for refunds/disputes: the original charge)
  saleId: number | null;     // our sale id when the provider object's metadata names it (ledgerbridge_sale_id)
  counterpartyName: string | null;
  counterpartyEmail: string | null;
  description: string | null;
  reference: string | null;  // statement descriptor / provider reference / metadata reference (e.g. our sale number)
  occurredAt: number;        // epoch ms
  // Currency conversion (optional; absent when the line settled in its own currency). The provider converted
  // `originalAmountMinor` of `originalCurrency` (signed like amountMinor) into amountMinor of the payout
  // currency; `exchangeRate` is its rate as it reported it (decimal text, payout units per original unit,
  // e.g. Stripe's balance transaction exchange_rate), kept for the record.
  originalAmountMinor?: bigint | null;
  originalCurrency?: string | null;
  exchangeRate?: string | null;
}
export interface PayoutInput {
  provider: PayoutProvider;
  accountRef: string;        // Stripe account id (acct_…) / GoCardless creditor id (CR…)
  providerPayoutId: string;  // po_… / PO…
  currency: string;          // ISO 4217 upper case
  amountMinor: bigint;       // net amount paid to the bank
  arrivalDate: string;       // YYYY-MM-DD (the date the bank line appears)
  lines: PayoutLineInput[];  // sum(amountMinor) - sum(feeMinor) must equal amountMinor, else the payout is stored with status 'discrepancy'
}
export interface RecordedPayout { payoutId: number; created: boolean; status: 'received' | 'discrepancy' }
export interface PayoutRecorder {
  /** Idempotent on (orgId, provider, providerPayoutId): a payout seen twice is stored once, event emitted once. */
  record(orgId: number, input: PayoutInput): Promise<RecordedPayout>;
}
export interface ProviderPaymentInput {
  method: string;            // the provider's payment method id (declared by its plugin)
  amountMinor: number;       // positive, minor units of `currency`
  /**
   * The currency the customer paid in (upper case). It must be the sale's: a payment in another currency
   * is refused (ValidationError on `currency`) and never recorded as if it were the sale's money.
   */
  currency: string;
  providerRef: string;       // charge id / payment id
  receivedAt: number;        // epoch ms
  /** Where it came from, in words, shown with the payment (at most 200 characters), e.g. "Paid in Xero: bank transfer, 2 Dec". */
  sourceNote?: string;
}
export interface ProviderPayments {
  /** Records a provider payment on our sale (host recordPayment, system actor). Idempotent on providerRef. */
  record(orgId: number, saleId: number, input: ProviderPaymentInput): Promise<{ paymentId: number; created: boolean }>;
  /**
   * Takes back a provider payment that the provider says no longer exists (deleted in Xero): the payment is
   * removed and the sale's paid amount goes down by it, in one transaction. Idempotent: removing one that is
   * not there returns removed: false. Only `method`'s payments with that reference are touched. Optional, so hosts written
   * before it still compile; without it a plugin cannot take a payment back and says so instead.
   */
  remove?(orgId: number, input: { method: string; providerRef: string }): Promise<{ removed: boolean; saleId: number | null }>;
  /**
   * Says how a refund stands downstream when someone changed it there, in words shown with the refund (at
   * most 300 characters): "Settled in Xero: 30.00 paid out". Null clears it (the record is as the plugin left
   * it). Idempotent: `changed` is false when the refund already said exactly that. Optional, so hosts written
   * before it still compile; without it a plugin says in its own log what it could not show.
   */
  noteRefundState?(orgId: number, refundId: number, state: string | null): Promise<{ changed: boolean }>;
}
