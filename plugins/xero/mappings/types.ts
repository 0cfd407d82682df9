// One organisation's Xero coding as the payload builders use it: ResolvedMappings (xero_mappings with safe
// defaults filled in, mappings/load.ts), and the answer of each fallback chain (mappings/resolve.ts). Pure
// types; the builders (payloads/) depend on them, never the other way round.

/** Which level of the fallback chain answered (shown in the UI and stored in the audit data). */
export type MappingLevel = 'line' | 'category' | 'organisation' | 'built_in';

export interface Resolution<T> {
  value: T;
  level: MappingLevel;
  /** The category / tax code / method that matched, when the level is keyed. */
  key?: string;
}

export type InvoiceStatusSetting = 'DRAFT' | 'AUTHORISED';

export type DueDateRule =
  | { kind: 'on_receipt' }
  | { kind: 'days_after'; days: number }
  /** Xero's "of the following month": day N of the month after the invoice date (clamped to its length). */
  | { kind: 'day_of_following_month'; day: number }
  | { kind: 'end_of_following_month' };

export interface TrackingAssignment {
  /** Tracking category name as in Xero (Xero accepts Name + Option on lines). */
  name: string;
  option: string;
  trackingCategoryId?: string;
  trackingOptionId?: string;
}

/**
 * Everything one organisation's Xero coding needs, resolved from `xero_mappings` with safe defaults
 * filled in (mappings/load.ts `loadResolvedMappings(db, orgId)`). Keys of the per-category maps are the
 * host's `sale_lines.category` values exactly as stored.
 */
export interface ResolvedMappings {
  orgId: number;
  /** Organisation default for sales lines (default '200', the UK/US demo chart's Sales). */
  defaultSalesAccountCode: string;
  categoryAccountCodes: Record<string, string>;
  /** Organisation default tax type for sales lines (default 'OUTPUT2', UK 20 % VAT on income). */
  defaultTaxType: string;
  categoryTaxTypes: Record<string, string>;
  /**
   * Line level of the tax chain: a sale line's own `taxCode` translated to a Xero TaxType. A line
   * taxCode with no entry here is taken to BE a Xero TaxType (e.g. 'ZERORATEDOUTPUT').
   */
  taxCodeTaxTypes: Record<string, string>;
  /**
   * Every TaxType of the organisation's Xero as last read (xero_tax_types), upper case; empty when never
   * read. A line tax code that is neither mapped nor one of these is refused before sending, naming the
   * mapping to add.
   */
  xeroTaxTypes?: string[];
  /**
   * Bank (or payments-enabled) account per payment method id (the install's methods: ctx.paymentMethods);
   * no default: a missing one is a PermanentError.
   */
  methodAccountCodes: Record<string, string>;
  /**
   * Stripe/GoCardless money with no account mapped goes to the provider's clearing account in the
   * payment's currency (clearing/accounts.ts), keyed `<method>:<currency>` → Xero AccountID.
   */
  clearingAccountIds?: Record<string, string>;
  /**
   * Tips and service charges (sale lines of those kinds): each to its own account (no default: a line of a
   * kind with none fails, naming the setting) and tax rate (a tip's default is NONE, outside the scope of
   * VAT; a service charge's, the line's category or the organisation default).
   */
  lineKindAccounts: Partial<Record<'tip' | 'service_charge' | 'voucher', string>>;
  lineKindTaxTypes: Partial<Record<'tip' | 'service_charge' | 'voucher', string>>;
  /**
   * A booking cancelled with its deposit kept: the income account the kept money is invoiced to (paid by the
   * deposits' prepayments, sync/deposits/). No default: a cancellation with none set fails, naming the setting.
   */
  cancellationAccountCode?: string | null;
  /**
   * Gift vouchers: `lineKindAccounts.voucher` is the liability account a voucher sold credits and its
   * redemptions (method gift_voucher) are paid from; what is left when one expires moves by a manual
   * journal to this revenue account (no default: the write-off fails naming the setting).
   */
  voucherExpiryAccountCode?: string | null;
  /** Up to 2 tracking assignments per category. */
  categoryTracking: Record<string, TrackingAssignment[]>;
  /** Applied to lines whose category has no tracking of its own (up to 2). */
  defaultTracking: TrackingAssignment[];
  /** For the rounding line of 3-dp currencies; no default (Xero's 860 Rounding is a locked system account). */
  roundingAccountCode: string | null;
  /** Tax type of the rounding line (default 'NONE'). */
  roundingTaxType: string;
  invoiceStatus: InvoiceStatusSetting;
  /**
   * Which day a sale's invoice is dated: the sale's ('sale_date', default) or, for a sale that names one,
   * the day its service is delivered ('service_date'): then the invoice waits in Ledgerbridge until that
   * day and is posted on it, so the revenue lands in the period the service is given.
   */
  invoiceDate: 'sale_date' | 'service_date';
  /** A document dated inside a period locked in Xero: posted on the first open day (default), or held for the admin. */
  lockedPeriod: 'first_open_day' | 'hold';
  /** Attach each sale's receipt (a PDF the host makes) to its invoice, once the invoice is in Xero. Default off. */
  attachReceipts?: boolean;
  dueDateRule: DueDateRule;
  brandingThemeId: string | null;
  /** Invoice number prefix; numbers are `${prefix}${saleId}` (default 'LB-'). Credit notes `${prefix}R-${refundId}`. */
  invoiceNumberPrefix: string;
  /** Reference: the sale's own reference when it has one ('sale_reference'), or always the invoice number. */
  referenceSource: 'sale_reference' | 'invoice_number';
  /**
   * Line amount handling. 'auto' (default): Inclusive when any line carries tax, NoTax otherwise (host
   * prices are what the customer paid, tax included). 'inclusive' forces Inclusive. Exclusive is never
   * used: it would make Xero ADD tax on top of what was charged.
   */
  lineAmountHandling: 'auto' | 'inclusive';
  /** Effective rate (percent, decimal string) per Xero TaxType as last read from Xero; lets builders predict TotalTax. */
  taxRates: Record<string, string>;
  /** Settings that nobody set, filled from built-in defaults (so a resolution can say 'built_in', not 'organisation'). */
  builtInDefaults?: ('defaultSalesAccountCode' | 'defaultTaxType')[];
}
