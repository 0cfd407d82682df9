// createLedgerbridge's options, checked together: a booking system wiring Ledgerbridge in learns every
// problem (plugin settings by variable name, the URL, the key, the database, worker numbers) in one error.
import { resolve } from 'node:path';
import type { Knex } from 'knex';
import { ConfigError } from '../errors';
import { parseMasterKey, readOrCreateKeyFile } from '../secrets';
import { validatePluginConfigs } from '../plugins/registry';
import type { HostServices, PluginDefinition } from '../plugins/contract';

export interface WorkerOptions {
  /** Outbox batches handled at once in this process. Default 2. */
  concurrency?: number;
  /** How long a worker owns a claimed batch (ms). Default 60 000. */
  leaseMs?: number;
  /** Longest sleep between looks for work when nothing wakes the workers (ms). Default 5 000. */
  pollMs?: number;
  /** Attempts an item gets when its handler declares none. Default 12. */
  maxAttempts?: number;
  /** Days a delivered outbox item is kept before the hourly purge deletes it. Default 30. */
  retentionDays?: number;
}

export type MasterKeyOption =
  /** 32 random bytes, base64 (openssl rand -base64 32). */
  | { key: string }
  /** A file holding the key, created with mode 0600 on first use; refused if others can read it. */
  | { file: string };

export interface CheckedOptions {
  pluginConfigs: Map<string, unknown>;
  publicUrl: string;
  masterKey: Buffer;
  worker: Required<WorkerOptions>;
}

const WORKER_RANGES: { [K in keyof WorkerOptions]-?: [min: number, max: number, fallback: number] } = {
  concurrency: [1, 64, 2],
  leaseMs: [1_000, 3_600_000, 60_000],
  pollMs: [50, 600_000, 5_000],
  maxAttempts: [1, 100, 12],
  retentionDays: [1, 3650, 30],
};

/** The drivers Ledgerbridge runs on (and is tested on). */
const DRIVERS = new Set(['pg', 'sqlite3']);

export function checkOptions(opts: {
  db: Knex;
  plugins: readonly PluginDefinition<unknown>[];
  env: Readonly<Record<string, string | undefined>>;
  publicUrl: string;
  masterKey: MasterKeyOption;
  worker: WorkerOptions;
  /** The host's services when given as an object (a function building them is checked once it has run). */
  host?: HostServices;
}): CheckedOptions {
  const problems: string[] = [];

  const driver = (opts.db as Partial<Knex> | undefined)?.client?.driverName as string | undefined;
  if (!driver || !DRIVERS.has(driver)) {
    problems.push(`db: must be a knex instance on PostgreSQL (client "pg") or SQLite (client "sqlite3")${driver ? `, got "${driver}"` : ''}`);
  } else if (driver === 'pg' && typeof opts.db.client.config.connection === 'function') {
    // Workers in other processes are woken over a LISTEN connection of its own, opened from this setting.
    problems.push('db: give PostgreSQL\'s connection as a URL or a settings object, not a function');
  }

  const { configs, problems: pluginProblems } = validatePluginConfigs(opts.plugins, opts.env);
  problems.push(...pluginProblems);

  let publicUrl = '';
  try {
    const url = new URL(opts.publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    publicUrl = opts.publicUrl.replace(/\/+$/, '');
  } catch {
    problems.push(`publicUrl: must be an absolute http(s) URL such as https://bookings.example.com, got "${String(opts.publicUrl)}"`);
  }

  let masterKey: Buffer = Buffer.alloc(0);
  try {
    if ('key' in opts.masterKey && typeof opts.masterKey.key === 'string') masterKey = parseMasterKey(opts.masterKey.key, 'masterKey.key');
    else if ('file' in opts.masterKey && typeof opts.masterKey.file === 'string' && opts.masterKey.file) masterKey = readOrCreateKeyFile(resolve(opts.masterKey.file));
    else problems.push('masterKey: give { key: "<32 random bytes, base64>" } or { file: "<path of the key file>" }');
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else problems.push(`masterKey: ${(err as Error).message}`);
  }

  const worker = {} as Required<WorkerOptions>;
  for (const [name, [min, max, fallback]] of Object.entries(WORKER_RANGES) as [keyof WorkerOptions, [number, number, number]][]) {
    const value = opts.worker[name] ?? fallback;
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`worker.${name}: must be a whole number from ${min} to ${max}, got ${String(value)}`);
    worker[name] = value;
  }

  if (opts.host) problems.push(...hostServicesProblems(opts.host));

  if (problems.length) throw new ConfigError(problems);
  return { pluginConfigs: configs, publicUrl, masterKey, worker };
}

/** Every member of HostServices the runtime calls, by path: what a host written in plain JavaScript may have left out. */
const HOST_FUNCTIONS = [
  'records.sale', 'records.refund', 'records.payment', 'records.refundsOfSale', 'records.paymentsOfSale', 'records.salesBetween',
  'records.countSalesBetween', 'records.activityOfSales', 'records.saleCategories', 'records.existingSaleIds',
  'organisations.get', 'organisations.resolve', 'payments.record',
  'pages.renderFile', 'pages.setFlash', 'pages.takeFlash', 'pages.formatDateTime', 'pages.formatMoney',
  'auth.authenticate', 'auth.requireRole',
];

/** Each missing member of the host's services. */
export function hostServicesProblems(host: HostServices): string[] {
  const problems: string[] = [];
  for (const path of HOST_FUNCTIONS) {
    const value = path.split('.').reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), host);
    if (typeof value !== 'function') problems.push(`host.${path}: must be a function (HostServices in ledgerbridge/contract)`);
  }
  if (!Array.isArray(host?.paymentMethods)) problems.push('host.paymentMethods: must be a list of the host\'s own payment methods ({ id, label }), [] for none');
  if (host?.receipts !== undefined && typeof host.receipts?.pdf !== 'function') problems.push('host.receipts.pdf: must be a function when host.receipts is given (HostReceipts in ledgerbridge/contract)');
  return problems;
}
