// Which OAuth2 scopes an Accounting API call needs. The broad scopes follow the `security` section of
// Xero's OpenAPI document (spec/xero/xero_accounting.yaml); the granular scopes Xero introduced for apps
// created from March 2026 (accounting.invoices, .payments, .banktransactions, .manualjournals) cover
// the endpoints that accounting.transactions used to. A write scope also grants reading.

export const IDENTITY_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

interface ResourceScopes {
  /** Any one of these allows writes (and reads). */
  write: string[];
  /** Any one of these allows reads only. */
  read: string[];
}

const rw = (...bases: string[]): ResourceScopes => ({ write: bases, read: bases.map((b) => `${b}.read`) });
const readOnly = (...scopes: string[]): ResourceScopes => ({ write: [], read: scopes });

const TRANSACTIONS = 'accounting.transactions';

/** Keyed by the first path segment after /api.xro/2.0/, lower-cased. */
const RESOURCE_SCOPES: Record<string, ResourceScopes> = {
  invoices: rw('accounting.invoices', TRANSACTIONS),
  creditnotes: rw('accounting.invoices', TRANSACTIONS),
  purchaseorders: rw('accounting.invoices', TRANSACTIONS),
  quotes: rw('accounting.invoices', TRANSACTIONS),
  repeatinginvoices: rw('accounting.invoices', TRANSACTIONS),
  linkedtransactions: rw('accounting.invoices', TRANSACTIONS),
  payments: rw('accounting.payments', TRANSACTIONS),
  batchpayments: rw('accounting.payments', TRANSACTIONS),
  overpayments: rw('accounting.payments', TRANSACTIONS),
  prepayments: rw('accounting.payments', TRANSACTIONS),
  banktransactions: rw('accounting.banktransactions', TRANSACTIONS),
  banktransfers: rw('accounting.banktransactions', TRANSACTIONS),
  manualjournals: rw('accounting.manualjournals', TRANSACTIONS),
  receipts: rw(TRANSACTIONS),
  expenseclaims: rw(TRANSACTIONS),
  contacts: rw('accounting.contacts'),
  contactgroups: rw('accounting.contacts'),
  accounts: rw('accounting.settings'),
  brandingthemes: rw('accounting.settings'),
  currencies: rw('accounting.settings'),
  invoicereminders: rw('accounting.settings'),
  items: rw('accounting.settings'),
  organisation: rw('accounting.settings'),
  organisations: rw('accounting.settings'),
  setup: rw('accounting.settings'),
  taxrates: rw('accounting.settings'),
  trackingcategories: rw('accounting.settings'),
  users: rw('accounting.settings'),
  reports: readOnly('accounting.reports.read'),
  journals: readOnly('accounting.journals.read'),
  budgets: readOnly('accounting.budgets.read'),
};

/** Attachments (…/{id}/Attachments/…) have their own scope whatever the parent resource. */
const ATTACHMENTS = rw('accounting.attachments');

export const ACCOUNTING_SCOPES: readonly string[] = [
  ...new Set(
    [...Object.values(RESOURCE_SCOPES), ATTACHMENTS].flatMap((r) => [...r.write, ...r.read]),
  ),
].sort();

export const SUPPORTED_SCOPES: readonly string[] = [...IDENTITY_SCOPES, ...ACCOUNTING_SCOPES];

/** Everything a legacy private app could do (private apps predate scopes and had full access). */
export const FULL_ACCESS_SCOPES: readonly string[] = ACCOUNTING_SCOPES;

/**
 * The scopes of which any one allows `method` on `apiPath` (the path below /api.xro/2.0, e.g.
 * "/Invoices/abc"). Unknown resources need a broad scope so an unmapped endpoint is never open.
 */
export function scopesAllowing(method: string, apiPath: string): string[] {
  const segments = apiPath.split('/').filter(Boolean).map((s) => s.toLowerCase());
  const resource = segments.includes('attachments') ? ATTACHMENTS : RESOURCE_SCOPES[segments[0] ?? ''];
  const scopes = resource ?? rw(TRANSACTIONS, 'accounting.settings');
  const isRead = method === 'GET' || method === 'HEAD';
  return isRead ? [...scopes.write, ...scopes.read] : [...scopes.write];
}

export function isAllowed(granted: readonly string[], method: string, apiPath: string): boolean {
  const allowing = scopesAllowing(method, apiPath);
  return allowing.some((s) => granted.includes(s));
}

/** Scopes that need an organisation to be picked at consent (everything but the identity ones). */
export function needsTenant(scopes: readonly string[]): boolean {
  return scopes.some((s) => !(IDENTITY_SCOPES as readonly string[]).includes(s));
}

/**
 * What the consent page says each scope lets an app do, as Xero describes it: the text of the `scopes` of
 * Xero's OpenAPI document (xero_accounting.yaml, securitySchemes.OAuth2) where it has the scope; the
 * granular scopes and offline_access, which that document predates, in the same words for what they cover.
 */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Grant read-only access to your open id',
  profile: 'your profile information',
  email: 'Grant read-only access to your email',
  offline_access: 'Grant access to your data while you are not using the app (a refresh token)',
  'accounting.attachments': 'Grant read-write access to attachments',
  'accounting.attachments.read': 'Grant read-only access to attachments',
  'accounting.budgets.read': 'Grant read-only access to read budgets',
  'accounting.contacts': 'Grant read-write access to contacts and contact groups',
  'accounting.contacts.read': 'Grant read-only access to contacts and contact groups',
  'accounting.journals.read': 'Grant read-only access to journals',
  'accounting.reports.read': 'Grant read-only access to accounting reports',
  'accounting.settings': 'Grant read-write access to organisation and account settings',
  'accounting.settings.read': 'Grant read-only access to organisation and account settings',
  'accounting.transactions': 'Grant read-write access to bank transactions, credit notes, invoices, repeating invoices',
  'accounting.transactions.read': 'Grant read-only access to invoices',
  'accounting.invoices': 'Grant read-write access to invoices, credit notes, purchase orders, quotes and repeating invoices',
  'accounting.invoices.read': 'Grant read-only access to invoices, credit notes, purchase orders, quotes and repeating invoices',
  'accounting.payments': 'Grant read-write access to payments, batch payments, overpayments and prepayments',
  'accounting.payments.read': 'Grant read-only access to payments, batch payments, overpayments and prepayments',
  'accounting.banktransactions': 'Grant read-write access to bank transactions and bank transfers',
  'accounting.banktransactions.read': 'Grant read-only access to bank transactions and bank transfers',
  'accounting.manualjournals': 'Grant read-write access to manual journals',
  'accounting.manualjournals.read': 'Grant read-only access to manual journals',
};
