// THE seam: the one host module a plugin imports (together with ../errors). Everything a plugin needs from
// the host reaches it through PluginContext: the host's records, organisation facts, provider payments and
// payouts, the outbox, sync state, rendering and flash messages, the clock. A plugin never reads
// process.env, never imports another host module and never queries a host table; lint and
// test/unit/plugins/boundary.test.ts enforce it. An embedding booking system implements the host side
// (HostServices below) from its own tables; our host implements it in server/plugins/hostServices.ts.
import type { Request, RequestHandler, Response, Router } from 'express';
import type { Command } from 'commander';
import type { Knex } from 'knex';
import type { ZodType } from 'zod';
import type { Db, Queryable } from '../db/knex';
import type { Migration } from '../db/migrate';
import type { HostEvent, HostEventType, PaymentSnapshot, PayoutSnapshot, RefundSnapshot, SaleLineSnapshot, SaleSnapshot } from '../domain/events';
import type { EnqueueInput, OutboxHandler, OutboxStatus } from '../outbox/types';
import type { Logger } from '../logger';
import type { SecretBox } from '../secrets/box';
import type { PayoutLineKind, PayoutRecorder, ProviderPayments } from '../payouts/types';
import type { Role } from '../auth/principal';

export type { Migration } from '../db/migrate';
export type { Db, Queryable, Trx } from '../db/knex';
export { isPostgres } from '../db/knex';
/** Many upserts of one table in as few statements as both databases allow (a batch's records). */
export { upsertMany, type UpsertRow } from '../db/upsertMany';
export type { Logger } from '../logger';
export type { SecretBox } from '../secrets/box';
export { cronSetting } from './cronSetting';
export type { Role, Principal } from '../auth/principal';
export { ROLES } from '../auth/principal';
export type {
  HostEvent, HostEventType, HostEventMap, SaleSnapshot, SaleLineSnapshot, SaleLineKind, RefundSnapshot, PaymentSnapshot, PayoutSnapshot,
  VoucherSnapshot,
} from '../domain/events';
export type * from '../payouts/types';
export type { OutboxHandler, OutboxHandlerContext, OutboxItem, OutboxOutcome, OutboxStatus, EnqueueInput } from '../outbox/types';
/** Exact money arithmetic on the host's formats: decimal text, minor units, ISO 4217 minor-unit digits. */
export * as money from '../domain/money';
export { isCurrencyCode, minorUnitDigits } from '../domain/currency';
/** The one date and counting style for people: "3 Dec 2026", "2 Mar 2026" from YYYY-MM-DD, "1 item" / "2 items". */
export { formatDay, formatCalendarDay, plural } from '../domain/format';
/** Small, pure helpers for plugin forms (a field as a string, issues by field, same-site redirects). */
export { field, errorsByField, safeRedirectPath } from '../web/forms';
export type { ErrorSummaryItem } from '../web/errorSummary';

// ------------------------------------------------------------------------------------------ sync state

export type SyncStatus = 'pending' | 'synced' | 'failed' | 'deleted_upstream';
export type SyncEntityType = 'sale' | 'refund' | 'payment' | 'payout';

export interface SyncRecordUpdate {
  orgId: number;
  entityType: SyncEntityType;
  entityId: number;
  /** The downstream record kind: invoice | credit_note | payment | allocation | ... */
  recordType: string;
  status: SyncStatus;
  externalId?: string | null;
  externalRef?: string | null;
  error?: string | null;
  /**
   * What a person must do for a failed record to go through, e.g. "Mapping to fix: tax code STD → OUTPUT2
   * (Xero settings, Tax codes)". Left undefined it keeps its stored value; becoming `synced` clears it.
   */
  note?: string | null;
}

export interface SyncRecord extends Required<Omit<SyncRecordUpdate, 'externalId' | 'externalRef' | 'error' | 'note'>> {
  pluginId: string;
  externalId: string | null;
  externalRef: string | null;
  error: string | null;
  note: string | null;
  updatedAt: number;
  syncedAt: number | null;
}

export interface SyncRecordFilter {
  orgId: number;
  entityType?: SyncEntityType;
  entityId?: number;
  /** Several entities at once (the history import's "already synced?" check). */
  entities?: Partial<Record<SyncEntityType, readonly number[]>>;
  status?: SyncStatus;
  statuses?: readonly SyncStatus[];
  recordTypes?: readonly string[];
}

/** Per-record downstream state, shown on a sale's page. Reads and writes are scoped to the calling plugin. */
export interface SyncStateStore {
  upsert(db: Queryable, update: SyncRecordUpdate): Promise<void>;
  /** As `upsert` for each, in order, in as few statements as the database allows (a worker's whole batch). */
  upsertMany(db: Queryable, updates: readonly SyncRecordUpdate[]): Promise<void>;
  list(db: Queryable, filter: SyncRecordFilter): Promise<SyncRecord[]>;
  count(db: Queryable, filter: { orgId: number; status: SyncStatus }): Promise<number>;
  /** When this plugin last synced anything for the organisation (null: never). */
  lastSyncedAt(db: Queryable, orgId: number): Promise<number | null>;
  /** Records synced in each of the 24 hours ending with the one holding `now` (oldest first). */
  syncedPerHour(db: Queryable, orgId: number, now: number): Promise<{ hourStart: number; count: number }[]>;
}

// ------------------------------------------------------------------------------------------ outbox

/** An outbox item as a plugin may read it back (only its own: types starting with `<id>.`). */
export interface OutboxItemState {
  id: number;
  orgId: number | null;
  type: string;
  subject: string | null;
  dedupeKey: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  payload: unknown;
  availableAt: number;
  updatedAt: number;
}

export interface OutboxItemFilter {
  orgId?: number;
  /** Exact types (each must be this plugin's). Default: every type of this plugin. */
  types?: readonly string[];
  excludeTypes?: readonly string[];
  statuses?: readonly OutboxStatus[];
  excludeStatuses?: readonly OutboxStatus[];
  ids?: readonly number[];
  dedupeKeys?: readonly string[];
  subject?: string;
}

/**
 * The outbox as a plugin uses it. Every read and change is limited to this plugin's own item types, so a
 * plugin cannot see or move another's work. Writes take the caller's transaction.
 */
export interface PluginOutbox {
  /** In the caller's transaction: the item commits (and its worker wakes) with the caller's change. */
  enqueue(trx: Queryable, item: EnqueueInput): Promise<{ id: number; created: boolean }>;
  /**
   * Many items in as few statements as the database allows (a batch's history notes: one INSERT, not 50), as
   * `enqueue` each in order; duplicates of an existing dedupe key are skipped. Returns how many were new.
   */
  enqueueMany(trx: Queryable, items: readonly EnqueueInput[]): Promise<{ created: number }>;
  /** Paused items of an organisation go back to pending (after re-authorisation). Returns how many. */
  resumePaused(db: Queryable, filter: { orgId: number; types?: readonly string[] }): Promise<number>;
  /** Send again by hand: dead or paused items back to pending with fresh attempts, due now. */
  retry(db: Queryable, filter: { ids: readonly number[] } | { orgId: number; status: 'dead' | 'paused'; types?: readonly string[] }): Promise<number>;
  /**
   * Complete items inside the handler's own transaction, so its effect and the completion commit together.
   * Throws (rolling the transaction back) when another worker owns an item now.
   */
  completeInTransaction(trx: Knex.Transaction, itemIds: readonly number[], workerId: string): Promise<void>;
  /**
   * Items matching the filter, newest first unless `order` says otherwise. `ids` may be a subquery of the
   * plugin's own table (a column of item ids).
   */
  list(db: Queryable, filter: Omit<OutboxItemFilter, 'ids'> & { ids?: readonly number[] | Knex.QueryBuilder; limit?: number; order?: 'asc' | 'desc' }): Promise<OutboxItemState[]>;
  /** How many items match, by status. `ids` may be a subquery of the plugin's own table (a column of item ids). */
  countByStatus(db: Queryable, filter: Omit<OutboxItemFilter, 'ids'> & { ids?: readonly number[] | Knex.QueryBuilder }): Promise<Partial<Record<OutboxStatus, number>>>;
  /**
   * Move waiting, never-attempted items of an organisation to `availableAt` (a schedule change): those due
   * later than it come forward when `direction` is 'earlier', those due sooner go back when 'later'.
   */
  reschedule(trx: Queryable, filter: { orgId: number; availableAt: number; direction: 'earlier' | 'later'; types?: readonly string[] }): Promise<number>;
  /**
   * How an organisation's pending items of one type stand at `now`, for pacing new work inside a hot
   * transaction (a sale's): whether any is due already, else the earliest moment in (now, heldUntil] that
   * a never-attempted one is held until (null: none). Reads only that organisation's live items, however
   * long another organisation's queue is.
   */
  queueState(db: Queryable, filter: { orgId: number; type: string; now: number; heldUntil: number }): Promise<{ due: boolean; earliestHeld: number | null }>;
  /**
   * Whether an item of these types, of ANY organisation, has been due since `dueBy` or earlier and is still
   * pending, though claimable (not held back by an earlier item of its subject): no worker has taken it, so
   * the install's workers are all busy. Low-priority work (a courtesy
   * call) yields its worker to it. One look-up through the (type, status, available_at) index.
   */
  waitingForWorker(db: Queryable, filter: { types: readonly string[]; dueBy: number; orgId?: number }): Promise<boolean>;
}

// ------------------------------------------------------------------------------------------ host services

export interface Clock {
  now(): number;
}

/** What a plugin may know about an organisation of the host. */
export interface OrganisationFacts {
  id: number;
  name: string;
  /** ISO 4217, upper case. */
  baseCurrency: string;
  /** IANA time zone, e.g. Europe/London. */
  timeZone: string;
}

export interface HostOrganisations {
  /** Throws NotFoundError for an unknown id. */
  get(db: Queryable, orgId: number): Promise<OrganisationFacts>;
  /** For CLI commands: the organisation with this id, or the only one when none is given (else a ValidationError). */
  resolve(db: Queryable, orgId?: number): Promise<OrganisationFacts>;
}

/** A refund or payment of a sale with the moment it was made (the history import replays them in order). */
export interface SaleActivityEntry {
  id: number;
  saleId: number;
  at: number;
}

/**
 * The host's records, read by plugins (payloads carry ids only; handlers read fresh). Another organisation's
 * record, or one that no longer exists, reads as undefined / is left out.
 */
export interface HostRecords {
  sale(db: Queryable, orgId: number, saleId: number): Promise<SaleSnapshot | undefined>;
  /**
   * Optional: many sales at once, by id (those not found, or another organisation's, left out), as `sale`
   * reads each. A worker pushing 50 invoices reads its sales with one call instead of 50; absent, it calls
   * `sale` for each.
   */
  sales?(db: Queryable, orgId: number, saleIds: readonly number[]): Promise<Map<number, SaleSnapshot>>;
  refund(db: Queryable, orgId: number, refundId: number): Promise<RefundSnapshot | undefined>;
  payment(db: Queryable, orgId: number, paymentId: number): Promise<PaymentSnapshot | undefined>;
  refundsOfSale(db: Queryable, orgId: number, saleId: number): Promise<RefundSnapshot[]>;
  paymentsOfSale(db: Queryable, orgId: number, saleId: number): Promise<PaymentSnapshot[]>;
  /** Sales that occurred within [from, until], in id order after `afterId`, at most `limit` (paging). */
  salesBetween(db: Queryable, range: { orgId: number; from: number; until: number; afterId?: number; limit: number }): Promise<{ id: number; occurredAt: number }[]>;
  countSalesBetween(db: Queryable, range: { orgId: number; from: number; until: number }): Promise<number>;
  /** The refunds and payments of these sales. */
  activityOfSales(db: Queryable, orgId: number, saleIds: readonly number[]): Promise<{ refunds: SaleActivityEntry[]; payments: SaleActivityEntry[] }>;
  /** Distinct line categories the organisation has sold (for mapping settings), at most `limit`. */
  saleCategories(db: Queryable, orgId: number, limit: number): Promise<string[]>;
  /** Which of these ids are the organisation's sales (payout lines naming a sale). */
  existingSaleIds(db: Queryable, orgId: number, saleIds: readonly number[]): Promise<Set<number>>;
  /**
   * Optional: what people call these sales, the host's one name for each (ours: "Sale TILL-016", its own
   * reference, or "Sale 16"), for plugin pages and messages. Absent, or a sale left out: "Sale <id>".
   */
  saleNames?(db: Queryable, orgId: number, saleIds: readonly number[]): Promise<Map<number, string>>;
}

export interface PaymentMethodDefinition {
  /** Stored on payments and refunds, e.g. `stripe`: lower case letters, digits and `_`. */
  id: string;
  label: string;
  /** Money taken this way reaches the bank in provider payouts recorded under this id (ctx.payouts.record). */
  settledByPayouts?: boolean;
  /**
   * 'plugin': only the declaring plugin records payments this way (ctx.payments), e.g. payments it brings back
   * from its service. The host's forms do not offer it and its API refuses it (422 on the method field), since
   * a payment recorded there would never be sent on. Absent: anyone records it (the desk, the API, plugins).
   */
  recordedBy?: 'plugin';
  /** With recordedBy 'plugin': why, as a phrase for that refusal ("payments in Xero are brought back by the Xero plugin"). */
  recordedByReason?: string;
}

export interface PaymentMethodInfo extends PaymentMethodDefinition {
  /** 'host' for the host's own methods, else the id of the plugin that brings it. */
  source: string;
  /**
   * Who takes the money this way, by name, for what is named after them downstream (a payout's clearing
   * account "Stripe clearing", its contact in the books): the bringing plugin's title; the host's own
   * methods, their label.
   */
  providerName: string;
}

/** A payment method as one organisation has it: the install's (always enabled) and the organisation's own. */
export interface OrganisationPaymentMethod extends PaymentMethodInfo {
  /** The organisation added it ("Cheque", "ClassPass"); false for the install's methods. */
  custom: boolean;
  /** A disabled method is refused on new payments; what was recorded with it keeps it (and still posts). */
  enabled: boolean;
}

/** An organisation's own payment method as the host keeps it (HostServices.organisationPaymentMethods). */
export interface CustomPaymentMethod {
  id: string;
  label: string;
  enabled: boolean;
}

/** Every payment method of this install: the host's own and the installed plugins'. */
export interface PaymentMethodCatalogue {
  list(): readonly PaymentMethodInfo[];
  get(id: string): PaymentMethodInfo | undefined;
  /** The install's methods, then the organisation's own (disabled ones too, marked), for its forms and mappings. */
  ofOrganisation(db: Queryable, orgId: number): Promise<OrganisationPaymentMethod[]>;
}

/** A payout as stored (read back by the plugins that post or reconcile it): its event's snapshot, and when it was recorded. */
export interface PayoutView extends PayoutSnapshot {
  createdAt: number;
}

export interface PayoutLineView {
  id: number;
  payoutId: number;
  position: number;
  sourceId: string;
  kind: PayoutLineKind;
  amountMinor: number;
  feeMinor: number;
  feeTaxMinor: number;
  chargeRef: string | null;
  saleId: number | null;
  counterpartyName: string | null;
  counterpartyEmail: string | null;
  description: string | null;
  reference: string | null;
  occurredAt: number;
  originalAmountMinor: number | null;
  originalCurrency: string | null;
  exchangeRate: string | null;
}

export interface PayoutStore extends PayoutRecorder {
  get(db: Queryable, orgId: number, payoutId: number): Promise<{ payout: PayoutView; lines: PayoutLineView[] } | null>;
  /** Newest first. */
  list(db: Queryable, filter: { orgId?: number; ids?: readonly number[]; provider?: string; arrivedSince?: string; limit?: number }): Promise<PayoutView[]>;
  lines(db: Queryable, orgId: number, lineIds: readonly number[]): Promise<PayoutLineView[]>;
  /** The provider account (acct_…, CR…) of the organisation's latest payout from `provider`, if any. */
  latestAccountRef(db: Queryable, orgId: number, provider: string): Promise<string | null>;
}

export interface FlashMessage {
  kind: 'success' | 'error';
  message: string;
}

/** Pages: the host renders a plugin's template inside its own layout, and keeps one-shot messages. */
export interface PluginPages {
  /**
   * Render `<viewsDir>/<view>.ejs` inside the host's layout. The template sees the host's page locals
   * (principal, csrfToken) plus `locals`; `title` names the page. A refused form gets the host's error
   * summary at the top of the page, focused: every `<p class="field-error" id="<field id>-error">` in the
   * page is listed, linked to its field and named by its label; `locals.errorSummary` (ErrorSummaryItem[])
   * adds problems that belong to no one field, first; `locals.pageError` is its heading.
   */
  render(res: Response, view: string, locals: Record<string, unknown> & { title: string }, status?: number): void;
  setFlash(req: Request, kind: FlashMessage['kind'], message: string): void;
  takeFlash(req: Request): FlashMessage | null;
  /** The host's date-time style in a time zone ('' for none), e.g. "1 May 2026, 14:30". */
  formatDateTime(ms: number | null | undefined, timeZone: string): string;
  /** The host's money style: minor units as decimal text in the currency's digits, e.g. "12.50". */
  formatMoney(minor: number | bigint, currency: string): string;
}

/** A tax code a sale line may carry (the booking system's own code), as a plugin can post it. */
export interface KnownTaxCode {
  /** The code as the booking system writes it on a line, e.g. `STD`. Matched case-insensitively. */
  code: string;
  /** What it becomes downstream, for the person choosing it, e.g. "20% (VAT on Income) (OUTPUT2)". */
  label: string;
}

/**
 * The tax codes a plugin can post for an organisation. The host refuses a sale line whose code none of
 * them knows (instead of recording a sale whose document then fails downstream), and offers the known
 * codes on its sale form. `null`: this plugin sets no limit for the organisation (nothing configured yet).
 */
export interface TaxCodeVocabulary {
  known(db: Queryable, orgId: number): Promise<KnownTaxCode[] | null>;
  /**
   * Optional: the tax rate each of these sale lines is charged at downstream (the line's code, else its
   * category's or the organisation's default, as the plugin resolves it), in line order; null for a line
   * it cannot tell. The host's receipts state VAT by rate from it.
   */
  lineRates?(db: Queryable, orgId: number, lines: readonly SaleLineSnapshot[]): Promise<(LineTaxRate | null)[]>;
}

/** A line's tax rate as a receipt states it. */
export interface LineTaxRate {
  /** e.g. "20% (VAT on Income)". */
  name: string;
  /** Percent as exact decimal text, e.g. "20" or "8.875". Prices include it. */
  ratePercent: string;
}

/** A sale's receipt as the host makes it: a PDF with business, customer, lines, VAT by rate, payments, totals. */
export interface HostReceipt {
  /** Safe as a file name downstream, e.g. `Receipt-R-1001.pdf`. */
  fileName: string;
  contentType: 'application/pdf';
  content: Buffer;
}

/** The host's receipts, offered to plugins (e.g. attached to the sale's invoice downstream). */
export interface HostReceipts {
  /** The sale's receipt as it stands now; undefined for another organisation's or an unknown sale. */
  pdf(db: Queryable, orgId: number, saleId: number): Promise<HostReceipt | undefined>;
}

// ------------------------------------------------------------------------------------------ context

export interface PluginContext<C> {
  pluginId: string;
  config: C;
  /** For the plugin's OWN tables (its migrations). Host data is read through `records`, `payouts`, `sync`, `outbox`. */
  db: Db;
  logger: Logger;
  clock: Clock;
  outbox: PluginOutbox;
  sync: SyncStateStore;
  /** Seal secrets before storing them; open them only where used. Never log either side. */
  secrets: SecretBox;
  /** Absolute base URL of this install (links back from downstream records, OAuth redirect URIs). */
  publicUrl: string;
  /** Where this plugin's routes are mounted, e.g. `/plugins/xero`. */
  mountPath: string;
  /** Guard for plugin routes: the host has already authenticated the request. */
  requireRole(...roles: Role[]): RequestHandler;
  records: HostRecords;
  organisations: HostOrganisations;
  paymentMethods: PaymentMethodCatalogue;
  /** Record a provider payout (idempotent; the host emits `payout.paid` in the same transaction), and read payouts back. */
  payouts: PayoutStore;
  /** Record a provider payment on one of the host's sales (idempotent on its provider reference). */
  payments: ProviderPayments;
  pages: PluginPages;
  /** The host's sale receipts (PDF); undefined when the host makes none. */
  receipts?: HostReceipts;
}

// ------------------------------------------------------------------------------------------ definition

export type HealthTone = 'ok' | 'warn' | 'bad';

/**
 * A button a plugin puts on the host's sale page (PluginDefinition.saleActions): a POST form to one of the
 * plugin's own routes. The host adds the CSRF token and `returnTo` (the sale page), shows it only to `roles`.
 */
export interface RecordAction {
  label: string;
  /** The plugin route the form posts to. */
  action: string;
  roles: Role[];
  /** One sentence under the button: what it does. */
  hint?: string;
}

/** A link to a record in the downstream service (PluginDefinition.externalLink). */
export interface ExternalRecordLink {
  href: string;
  /** Names the page, e.g. "Open in Xero". */
  label: string;
}

/**
 * What a plugin shows about a sale on the host's sale page (PluginDefinition.saleFigures), as plain data the
 * host renders: figures the service computed (e.g. the invoice's net, tax and total as Xero computed them),
 * and the tax code that applies to each line that names none of its own.
 */
export interface SaleFigures {
  /** Where the figures come from, e.g. "Invoice LB-16 in Xero". */
  title: string;
  /** In reading order; values already in the host's money style (PluginPages.formatMoney) with the currency. */
  figures: { label: string; value: string; testId?: string }[];
  /** One sentence under the figures (e.g. why there are none yet). */
  note?: string | null;
  /** By sale line id: the tax code that applies to a line that carries none, e.g. "OUTPUT2 (default)". */
  defaultTaxCodes?: Record<number, string>;
  /** Pages in the service about the sale (its invoice, its customer's contact). */
  links?: ExternalRecordLink[];
}

/**
 * The sync counts the dashboard shows, one definition each, used by the host's card and by every plugin's
 * panel (as a fact's label and help), so the same word never means two numbers on one page.
 */
export const SYNC_COUNTS = {
  waiting: {
    label: 'Waiting to send',
    help: 'Records queued to be sent, including those to be retried after a temporary error. Background work (such as notes in Xero\'s history, sent when the rate limit has room) is not counted here.',
  },
  failed: {
    label: 'Failed',
    help: 'Records whose last attempt failed, each counted once however many attempts it had: being retried, or given up.',
  },
  givenUp: {
    label: 'Given up',
    help: 'Work the sync stopped retrying (a permanent error, or too many attempts). It needs a person: retry it from the failures page once the cause is fixed.',
  },
  paused: {
    label: 'Paused',
    help: 'Waiting for the connection to be authorised again; sent as soon as it is.',
  },
} as const satisfies Record<string, { label: string; help: string }>;

/**
 * A plugin's panel on the dashboard: plain data, rendered by the host (figures, a status line, and a
 * chart of records synced per hour with a table alternative), so a plugin needs no view of its own.
 */
export interface HealthPanel {
  title: string;
  /** The integration's state in a few words ("Connected to Demo Company (UK)"); `detail` says why it is not ok. */
  status: { label: string; tone: HealthTone; detail?: string | null };
  /**
   * Figures in reading order, e.g. waiting, failed, last success, rate-limit headroom. `help` says what the
   * figure counts (shown on hover and under the figures); counts the host also shows use SYNC_COUNTS.
   */
  facts: { label: string; value: string; tone?: HealthTone; testId?: string; help?: string }[];
  /** Records synced per hour, oldest first, ending with the current hour (24 entries for a day). */
  hourly?: { hourStart: number; count: number }[];
  /** Where to act (failures, connection); the host shows each only to its roles. */
  links?: { label: string; href: string; roles: Role[] }[];
}

/** A column of one of the plugin's tables that holds a sealed secret (re-sealed when an organisation's key rotates). */
export interface SealedColumnDeclaration {
  table: string;
  idColumn: string;
  orgColumn: string;
  columns: {
    name: string;
    /** The purpose (AAD) the value was sealed with, computed from its row, e.g. `xero_connections.token:${row.id}`. */
    purpose(row: Record<string, unknown>): string;
  }[];
}

export type EventSubscriber<C, T extends HostEventType> = (event: HostEvent<T>, trx: Queryable, ctx: PluginContext<C>) => Promise<void>;

export interface PluginDefinition<C = unknown> {
  /** Prefixes routes (/plugins/<id>), outbox types (<id>.…), env vars (<ID>_…) and tables (<id>_…). */
  id: string;
  /** Human name for navigation. */
  title: string;
  /** Validated at boot against the environment (keys are env var names); every problem is reported. */
  configSchema: ZodType<C>;
  migrations?: Migration[];
  /** Absolute folder of the plugin's templates (ctx.pages.render names a template relative to it). */
  viewsDir?: string;
  /** Columns of the plugin's own tables that hold sealed secrets. */
  sealedColumns?: SealedColumnDeclaration[];
  /** Payment methods this plugin brings (added to the host's own: the sale API and forms accept them). */
  paymentMethods?: PaymentMethodDefinition[];
  /** The tax codes this plugin can post, per organisation (the host checks sale lines against them). */
  taxCodes?(ctx: PluginContext<C>): TaxCodeVocabulary;
  /** Mounted at /plugins/<id> behind authentication; each route must guard itself with ctx.requireRole. */
  routes?(ctx: PluginContext<C>): Router;
  /** Mounted at /webhooks/<id> with the raw body (req.body is a Buffer) and no session. */
  webhooks?(ctx: PluginContext<C>): Router;
  /** Run inside the host's transaction; only write to the database (e.g. enqueue). */
  subscribers?: { [T in HostEventType]?: EventSubscriber<C, T> };
  /** Keyed by the full outbox type, which must start with `<id>.`. */
  handlers?(ctx: PluginContext<C>): Record<string, OutboxHandler>;
  /**
   * Optional: the page in the service itself that shows one of this plugin's downstream records (a deep
   * link, e.g. the invoice in Xero), shown beside the record on the host's pages; null when there is none.
   */
  externalLink?(ctx: PluginContext<C>, record: { recordType: string; externalId: string }): ExternalRecordLink | null;
  /**
   * Optional, instead of externalLink when the links depend on the organisation (Xero's ShortCode, which
   * opens the right organisation): read what they need once per page, then link each record.
   */
  externalLinks?(ctx: PluginContext<C>, orgId: number): Promise<(record: { recordType: string; externalId: string }) => ExternalRecordLink | null>;
  /** Optional: figures and default tax codes for the host's sale page (read-only, a few indexed queries); null: nothing to show. */
  saleFigures?(ctx: PluginContext<C>, sale: { orgId: number; saleId: number }): Promise<SaleFigures | null>;
  /** Optional: buttons for the host's sale page (e.g. "Send to Xero now"). */
  saleActions?(ctx: PluginContext<C>, saleId: number): RecordAction[];
  /**
   * Outbox types that are background work, not records waiting to reach the service (e.g. Xero's history
   * notes): the dashboard counts them apart from "Waiting to send" and "Given up".
   */
  backgroundOutboxTypes?: readonly string[];
  /** Navigation entries for the host layout, shown to the given roles. */
  nav?: { label: string; href: string; roles: Role[] }[];
  /**
   * Add commands to `npm run cli`. The context is created on first use (booting the host), so `--help`
   * needs no database. Commands throw AppErrors for the CLI to print; they never call process.exit.
   */
  cli?(program: Command, context: () => Promise<PluginContext<C>>): void;
  /**
   * Optional: the organisation's sync health for the dashboard (read-only; called on every dashboard view,
   * so keep it to a few indexed queries). Null: nothing to show (e.g. never configured).
   */
  health?(ctx: PluginContext<C>, orgId: number): Promise<HealthPanel | null>;
  /**
   * Background schedules (e.g. a nightly sweep). Called once, after migrations, in each process that runs
   * background work (PROCESS_ROLE worker or all; never in a web-only process). Returns a stop function.
   */
  start?(ctx: PluginContext<C>): Promise<(() => Promise<void>) | void>;
}

/** Identity helper that keeps the generic type of a plugin's config. */
export function definePlugin<C>(def: PluginDefinition<C>): PluginDefinition<C> {
  return def;
}

/**
 * What a host lends the plugins: implemented by our host (server/plugins/hostServices.ts) and by any booking
 * system that embeds Ledgerbridge, from its own tables.
 */
export interface HostServices {
  records: HostRecords;
  organisations: HostOrganisations;
  /** Records a provider's payment on a host sale (and emits `payment.received` in that transaction). */
  payments: ProviderPayments;
  /** The host's own payment methods (cash, card terminal, …); the plugins' are added to them. */
  paymentMethods: readonly PaymentMethodDefinition[];
  /**
   * Optional: an organisation's own payment methods, added by its admin (our host: the Payment methods page).
   * Their ids are what its payments store; one that an install's method also uses is ignored.
   */
  organisationPaymentMethods?(db: Queryable, orgId: number): Promise<CustomPaymentMethod[]>;
  /** Optional: sale receipts as PDFs, lent to the plugins as `ctx.receipts`. */
  receipts?: HostReceipts;
  pages: Omit<PluginPages, 'render'> & {
    /** Render an absolute template file inside the host's layout. */
    renderFile(res: Response, file: string, locals: Record<string, unknown> & { title: string }, status?: number): void;
  };
  auth: {
    /** Runs before every plugin route: establishes req.principal or refuses (401 / redirect to login). */
    authenticate: RequestHandler;
    requireRole(...roles: Role[]): RequestHandler;
  };
}
