// The booking system's settings from the environment, every problem reported at once. The plugins' own
// settings (XERO_*, STRIPE_*) are read and checked by createLedgerbridge from the same environment.
import { randomBytes } from 'node:crypto';
import type { MasterKeyOption, WorkerOptions } from 'ledgerbridge/embed';

export interface BookingSettings {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string;
  masterKey: MasterKeyOption;
  sessionSecret: string;
  /** Whether SESSION_SECRET was set (else a random one: everyone signs in again after a restart). */
  sessionSecretGiven: boolean;
  /** web: pages and webhooks; worker: Ledgerbridge's background work; all: both in one process. */
  role: 'all' | 'web' | 'worker';
  worker: WorkerOptions;
  demoPassword: string;
}

export function readSettings(env: Readonly<Record<string, string | undefined>>): BookingSettings {
  const problems: string[] = [];
  const get = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const int = (name: string): number | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n)) problems.push(`${name}: must be a whole number, got "${raw}"`);
    return n;
  };
  const port = int('PORT') ?? 4000;
  if (port < 0 || port > 65535) problems.push(`PORT: must be a port number, got ${port}`);
  const role = get('PROCESS_ROLE') ?? 'all';
  if (role !== 'all' && role !== 'web' && role !== 'worker') problems.push(`PROCESS_ROLE: must be all, web or worker, got "${role}"`);
  const sessionSecret = get('SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 32) problems.push('SESSION_SECRET: must be at least 32 characters');
  const demoPassword = get('BOOKING_DEMO_PASSWORD') ?? 'riverside bookings';
  if (demoPassword.length < 12) problems.push('BOOKING_DEMO_PASSWORD: must be at least 12 characters');
  const masterKey = get('MASTER_KEY');
  const worker = { concurrency: int('WORKER_CONCURRENCY'), leaseMs: int('OUTBOX_LEASE_MS'), pollMs: int('OUTBOX_POLL_MS') };
  if (problems.length) throw new Error(`Fix these settings and start again:\n  - ${problems.join('\n  - ')}`);
  return {
    port,
    host: get('HOST') ?? '127.0.0.1',
    publicUrl: (get('PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    databaseUrl: get('DATABASE_URL') ?? 'sqlite://data/booking-host/bookings.sqlite',
    masterKey: masterKey ? { key: masterKey } : { file: get('MASTER_KEY_FILE') ?? 'data/booking-host/master.key' },
    sessionSecret: sessionSecret ?? randomBytes(32).toString('base64url'),
    sessionSecretGiven: sessionSecret !== undefined,
    role: role as BookingSettings['role'],
    worker: Object.fromEntries(Object.entries(worker).filter(([, v]) => v !== undefined)) as WorkerOptions,
    demoPassword,
  };
}
