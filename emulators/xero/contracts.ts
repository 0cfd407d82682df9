// The seam between the emulator's two halves:
//   - identity & infrastructure (app.ts, identity/, portal/, control/, limits/): OAuth 1.0a and OAuth2,
//     developer portal, rate limits, idempotency, faults, call log, clock, persistence;
//   - accounting/ (the organisations' books and the Accounting API under /api.xro/2.0).
// The infrastructure authenticates every /api.xro/2.0 request, applies limits, idempotency and faults,
// then hands over to the accounting router with `res.locals.xero` set.
import type { Router } from 'express';
import type { BookSection, DeepLinkKind, RecordView } from './accounting/recordView';

export interface BookView {
  organisation: string;
  sections: BookSection[];
}

export interface Clock {
  /** Emulated epoch milliseconds. */
  now(): number;
  /** Move emulated time forward (token expiry, rate-limit windows, idempotency windows). */
  advance(ms: number): void;
}

export interface TenantSummary {
  /** Xero's tenantId = the organisation's OrganisationID (a UUID). */
  tenantId: string;
  name: string;
  shortCode: string;
  baseCurrency: string;
  countryCode: string;
  /** 'ORGANISATION' for Accounting API tenants. */
  tenantType: 'ORGANISATION';
}

/** Set by the infrastructure on res.locals.xero before the accounting router runs. */
export interface XeroRequestAuth {
  tenantId: string;
  /** OAuth2 client id, or the private app's consumer key. */
  appId: string;
  authKind: 'oauth2' | 'oauth1';
  scopes: string[];
}

/** What one resource looks like now, for the webhooks' change detection (emulators/xero/webhooks/). */
export interface ResourceStamp {
  tenantId: string;
  category: 'INVOICE' | 'CREDITNOTE' | 'CONTACT';
  resourceId: string;
  /** Changes whenever anything a webhook subscriber would care about changes (status, amounts, update time). */
  fingerprint: string;
  /** Credit note events carry the note's Type and Status (Xero's CreditNoteWebhookEvent). */
  data?: { Type: string; Status: string };
}

export interface AccountingModule {
  /** Mounted at /api.xro/2.0 after authentication; reads res.locals.xero. */
  router: Router;
  /** Mounted at /_emulator: JSON control routes for records (list, void/delete as an accountant would). */
  controlRouter: Router;
  listTenants(): TenantSummary[];
  getTenant(tenantId: string): TenantSummary | undefined;
  /** Drop every organisation and seed the default two (UK GBP "Demo Company (UK)" and a second one in another currency). */
  reset(): void;
  /** Add an organisation (control API). */
  createOrganisation(input: { name: string; baseCurrency: string; countryCode?: string }): TenantSummary;
  /** One record as Xero's web app shows it (the deep-link pages); a ShortCode limits it to that organisation. */
  viewRecord(kind: DeepLinkKind, id: string, shortCode?: string): RecordView | undefined;
  /** An organisation's books as a person reads them (/portal/organisations/:tenantId), or undefined. */
  viewBook(tenantId: string): BookView | undefined;
  /** Whole state as JSON-serialisable data (for the optional state file) and back. */
  snapshot(): unknown;
  restore(data: unknown): void;
  /** Every invoice, credit note and contact of every organisation as it is now (webhooks diff these). */
  resourceStamps(): ResourceStamp[];
}

export interface AccountingModuleDeps {
  clock: Clock;
}
