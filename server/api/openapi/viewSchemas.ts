// What the API answers, as zod schemas, for its OpenAPI document (document.ts). The views themselves are
// plain TypeScript (server/domain/saleView.ts); the checks at the bottom fail the type-check when a view and
// its schema differ, so a field added to a view cannot be left out of the document (add it here too).
// Objects are strict: the contract test (test/support/apiContract.ts) then also refuses a field the API
// sends but the document does not describe.
import { z } from 'zod';
import { SALE_STATUSES, REFUND_KINDS } from '../../domain/saleSchemas';
import { SALE_LINE_KINDS } from '../../domain/events';
import type { PaymentView, RefundView, SaleLineView, SalePage, SaleView, SyncRecordView } from '../../domain/saleView';
import type { RefundResult } from '../../domain/refunds';
import type { PaymentResult } from '../../domain/payments';
import type { SyncEntityType, SyncStatus } from '../../plugins/contract';
import type { ApiErrorBody } from '../errors';

const SYNC_ENTITY_TYPES = ['sale', 'refund', 'payment', 'payout'] as const satisfies readonly SyncEntityType[];
const SYNC_STATUSES = ['pending', 'synced', 'failed', 'deleted_upstream'] as const satisfies readonly SyncStatus[];

const id = z.number().int().positive();
const money = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .meta({ description: "A decimal amount in the record's currency, with exactly the currency's decimal places.", examples: ['12.50'] });
const decimal = z.string().regex(/^\d+(\.\d+)?$/);
const instant = z.iso.datetime().meta({ description: 'ISO 8601, UTC.' });
const currency = z.string().regex(/^[A-Z]{3}$/).meta({ description: 'ISO 4217.', examples: ['GBP'] });

export const SaleLineViewSchema = z.strictObject({
  id,
  position: z.number().int().positive(),
  description: z.string(),
  quantity: decimal.meta({ description: 'Up to 4 decimal places.', examples: ['2', '0.5'] }),
  unitPrice: money,
  discountRate: decimal.nullable().meta({ description: 'Percent off the line.' }),
  category: z.string().nullable(),
  taxCode: z.string().nullable(),
  lineTotal: money,
  refunded: money,
  kind: z.enum(SALE_LINE_KINDS).meta({ description: 'item; tip or service_charge post to their own account and tax type; voucher sells a gift voucher (see the sale\'s vouchers).' }),
});

export const PaymentViewSchema = z.strictObject({
  id,
  method: z.string().meta({ description: 'The payment method id (cash, card_terminal, stripe, …).' }),
  amount: money,
  currency,
  providerRef: z.string().nullable(),
  receivedAt: instant,
  createdAt: instant,
  source: z.string().nullable().meta({ description: 'Where the payment came from when it was not taken here (e.g. "Paid in Xero: bank transfer, 2 Dec"); null for payments recorded through Ledgerbridge.' }),
  toCredit: money.nullable().meta({ description: "An overpayment: the part of `amount` above what the sale owed, kept as the customer's credit in the payment's currency; null when none." }),
  voucherCode: z.string().nullable().meta({ description: 'The gift voucher it was paid from (method gift_voucher); null otherwise.' }),
});

export const VoucherViewSchema = z.strictObject({
  code: z.string().meta({ description: 'The code on the voucher, e.g. GV-7KQ2-M9XD: a payment with method gift_voucher names it.' }),
  saleId: id,
  currency: z.string(),
  amount: money,
  redeemed: money.meta({ description: 'Taken by payments so far.' }),
  balance: money,
  expiresOn: z.string().meta({ description: 'The last day it can be used (YYYY-MM-DD, the organisation\'s calendar).' }),
  status: z.enum(['active', 'used', 'expired', 'written_off', 'cancelled']).meta({ description: 'cancelled: its sale line was refunded in full; it can no longer be used.' }),
  writtenOff: money.nullable().meta({ description: 'What was left when it expired and moved to revenue; null until then.' }),
  writtenOffAutomatically: z.boolean().meta({ description: 'Written off by the organisation\'s scheduled write-off, not by an admin.' }),
  refunded: money.meta({ description: 'Taken off its balance by refunds of the sale line that sold it.' }),
});

export const RefundViewSchema = z.strictObject({
  id,
  kind: z.enum(REFUND_KINDS),
  amount: money,
  currency,
  method: z.string().nullable().meta({ description: 'How the money went back; null: a credit, no money moved.' }),
  providerRef: z.string().nullable(),
  reason: z.string().nullable(),
  createdAt: instant,
  lines: z.array(z.strictObject({ saleLineId: id, quantity: decimal.nullable(), amount: money })),
  downstreamState: z.string().nullable().meta({ description: 'How the refund stands downstream when someone changed it there (e.g. its credit note paid out in Xero); null otherwise.', examples: ['Settled in Xero: 30.00 paid out'] }),
});

export const SyncRecordViewSchema = z.strictObject({
  plugin: z.string(),
  entityType: z.enum(SYNC_ENTITY_TYPES),
  entityId: id,
  recordType: z.string().meta({ examples: ['invoice', 'credit_note', 'payment'] }),
  status: z.enum(SYNC_STATUSES),
  externalId: z.string().nullable(),
  externalRef: z.string().nullable(),
  error: z.string().nullable(),
  note: z.string().nullable().meta({ description: 'What a person must do for a failed record to go through (e.g. "Mapping to fix: …").' }),
  updatedAt: instant,
}).meta({ description: 'Where a record stands downstream (e.g. its Xero invoice).' });

export const SaleViewSchema = z.strictObject({
  id,
  reference: z.string().nullable(),
  occurredAt: instant,
  serviceDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable().meta({ description: 'The day the service is delivered (YYYY-MM-DD), when not the day of the sale; else null.' }),
  cancellation: z.strictObject({ at: instant, kept: money }).nullable().meta({ description: 'The booking was cancelled with its deposit kept: when, and the money kept (nothing more is owed); else null.' }),
  currency,
  total: money,
  paid: money,
  refunded: money,
  outstanding: money.meta({ description: 'What the customer still owes: total − paid − refunds without a method, never below zero.' }),
  status: z.enum(SALE_STATUSES),
  customer: z.strictObject({ id, name: z.string(), email: z.string().nullable() }),
  customerCredit: z.array(z.strictObject({ currency, amount: money })).meta({
    description: "The customer's credit left from overpayments, by currency (spent with method `customer_credit` on a sale in that currency); empty when none.",
  }),
  lines: z.array(SaleLineViewSchema),
  payments: z.array(PaymentViewSchema),
  refunds: z.array(RefundViewSchema),
  vouchers: z.array(VoucherViewSchema).meta({ description: 'Gift vouchers this sale sold (lines of kind voucher).' }),
  sync: z.array(SyncRecordViewSchema),
});

export const SalePageSchema = z.strictObject({
  data: z.array(SaleViewSchema),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
});

export const RefundResultSchema = z.strictObject({ refund: RefundViewSchema, sale: SaleViewSchema });
/** The API answers the payment and its sale; `created` becomes the status (201, or 200 for a repeat). */
export const PaymentResultSchema = z.strictObject({ payment: PaymentViewSchema, sale: SaleViewSchema });

export const FieldIssueSchema = z.strictObject({
  path: z.string().meta({ description: 'Dotted path into the request, e.g. `lines.2.unitPrice`; `(body)` for the body as a whole.' }),
  message: z.string(),
});

export const ApiErrorSchema = z.strictObject({
  error: z.strictObject({
    code: z.string().meta({ examples: ['VALIDATION_FAILED', 'NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED'] }),
    message: z.string(),
    help: z.string().optional(),
    details: z.unknown().optional().meta({ description: 'For VALIDATION_FAILED: the list of every problem found, each a FieldIssue.' }),
  }),
});

// ---- the compile-time checks: each line fails the type-check when a view and its schema differ.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const same = <A, B>(check: Equals<A, B>): Equals<A, B> => check;
export const VIEW_SCHEMAS_MATCH_VIEWS = [
  same<z.output<typeof SaleLineViewSchema>, SaleLineView>(true),
  same<z.output<typeof PaymentViewSchema>, PaymentView>(true),
  same<z.output<typeof RefundViewSchema>, RefundView>(true),
  same<z.output<typeof SyncRecordViewSchema>, SyncRecordView>(true),
  same<z.output<typeof SaleViewSchema>, SaleView>(true),
  same<z.output<typeof SalePageSchema>, SalePage>(true),
  same<z.output<typeof RefundResultSchema>, RefundResult>(true),
  same<z.output<typeof PaymentResultSchema>, Omit<PaymentResult, 'created'>>(true),
  same<z.output<typeof ApiErrorSchema>, ApiErrorBody>(true),
] as const;
