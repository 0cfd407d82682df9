import { z } from 'zod';
import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from './errors';

// Every setting comes from the environment (see docs/operators.md, "Configuration", and .env.example).
// Boot validates them all and reports every problem at once.

const int = (def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

/** Which proxies in front of us may say who the client is: nobody, the nearest N hops, or these addresses. */
export type TrustProxy = false | number | string[];

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrSubnet(entry: string): boolean {
  if (PROXY_PRESETS.includes(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: `false` (default), a hop count (`1` behind one reverse proxy such as the shipped nginx), or
 * a comma list of proxy addresses and subnets. Never `true`: trusting every hop lets any client write its
 * own address into X-Forwarded-For, which defeats the login throttle and lets an attacker lock a victim out.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((v, ctx): TrustProxy => {
    const value = (v ?? 'false').trim().toLowerCase();
    if (['false', 'no', '0', 'off'].includes(value)) return false;
    if (['true', 'yes', 'on'].includes(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not be true (any client could then choose its own address, defeating the login throttle): '
          + 'give the number of proxies in front of Ledgerbridge (1 behind one nginx) or their addresses, e.g. 10.0.0.0/8,127.0.0.1',
      });
      return z.NEVER;
    }
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops > 10) ctx.addIssue({ code: 'custom', message: `must be a number of proxies from 1 to 10, got ${value}` });
      return hops;
    }
    const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
    const bad = entries.filter((e) => !isAddressOrSubnet(e));
    if (entries.length === 0 || bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be false, a number of proxies, or IP addresses/subnets (e.g. 10.0.0.0/8,127.0.0.1); not valid: ${bad.join(', ') || '(empty)'}` });
      return z.NEVER;
    }
    return entries;
  });

/** Every environment variable the host reads (docs/operators.md lists each: test/unit/docs/configuration.test.ts). */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(3000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.url({ message: 'must be an absolute http(s) URL such as https://books.example.com' }).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^(postgres(ql)?|sqlite):\/\//.test(v), {
      message: 'must start with postgres://, postgresql:// or sqlite://',
    }),
  DATABASE_POOL_MAX: int(10, 1, 200),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
  SESSION_TTL_HOURS: int(12, 1, 24 * 30),
  COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  TRUST_PROXY: trustProxy,
  MASTER_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, {
      message: 'must be 32 random bytes, base64-encoded (openssl rand -base64 32)',
    }),
  MASTER_KEY_FILE: z.string().optional(),
  PROCESS_ROLE: z.enum(['all', 'web', 'worker'], { message: 'must be all, web or worker' }).default('all'),
  WORKER_CONCURRENCY: int(2, 1, 64),
  OUTBOX_LEASE_MS: int(60_000, 1_000, 3_600_000),
  OUTBOX_MAX_ATTEMPTS: int(12, 1, 100),
  OUTBOX_POLL_MS: int(5_000, 50, 600_000),
  OUTBOX_RETENTION_DAYS: int(30, 1, 3650),
  API_IDEMPOTENCY_TTL_HOURS: int(24, 1, 24 * 30),
  LOGIN_MAX_ATTEMPTS: int(5, 1, 1000),
  LOGIN_WINDOW_MINUTES: int(15, 1, 24 * 60),
  METRICS_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export interface DatabaseConfig {
  client: 'sqlite' | 'pg';
  /** File path for SQLite, connection string for PostgreSQL. */
  connection: string;
  poolMax: number;
}

export interface AppConfig {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  database: DatabaseConfig;
  logLevel: Env['LOG_LEVEL'];
  session: { secret?: string; ttlHours: number; cookieSecure: boolean };
  /** Express's `trust proxy` setting (see TrustProxy). */
  trustProxy: TrustProxy;
  masterKey?: string;
  masterKeyFile: string;
  processRole: Env['PROCESS_ROLE'];
  worker: { concurrency: number; leaseMs: number; maxAttempts: number; pollMs: number };
  login: { maxAttempts: number; windowMinutes: number };
  /** What the hourly housekeeping in worker processes deletes (server/housekeeping). */
  retention: { idempotencyTtlMs: number; outboxRetentionMs: number };
  metricsToken?: string;
  /** The raw environment, for plugins to validate their own `<PLUGIN>_*` settings. */
  rawEnv: Readonly<Record<string, string | undefined>>;
}

export function databaseFromUrl(url: string | undefined, dataDir: string, poolMax: number): DatabaseConfig {
  if (!url) return { client: 'sqlite', connection: join(dataDir, 'ledgerbridge.sqlite'), poolMax };
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    return { client: 'sqlite', connection: path === ':memory:' || isAbsolute(path) ? path : resolve(path), poolMax };
  }
  return { client: 'pg', connection: url, poolMax };
}

/** Parse and validate the environment. Throws ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  // Empty strings mean "not set" (common in .env files and compose files).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const cookieSecure = e.COOKIE_SECURE === 'auto' ? publicUrl.startsWith('https://') : e.COOKIE_SECURE === 'true';
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir,
    database: databaseFromUrl(e.DATABASE_URL, dataDir, e.DATABASE_POOL_MAX),
    logLevel: e.LOG_LEVEL,
    session: { secret: e.SESSION_SECRET, ttlHours: e.SESSION_TTL_HOURS, cookieSecure },
    trustProxy: e.TRUST_PROXY,
    masterKey: e.MASTER_KEY,
    masterKeyFile: e.MASTER_KEY_FILE ? resolve(e.MASTER_KEY_FILE) : join(dataDir, 'master.key'),
    processRole: e.PROCESS_ROLE,
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      leaseMs: e.OUTBOX_LEASE_MS,
      maxAttempts: e.OUTBOX_MAX_ATTEMPTS,
      pollMs: e.OUTBOX_POLL_MS,
    },
    login: { maxAttempts: e.LOGIN_MAX_ATTEMPTS, windowMinutes: e.LOGIN_WINDOW_MINUTES },
    retention: { idempotencyTtlMs: e.API_IDEMPOTENCY_TTL_HOURS * 3_600_000, outboxRetentionMs: e.OUTBOX_RETENTION_DAYS * 86_400_000 },
    metricsToken: e.METRICS_TOKEN,
    rawEnv: Object.freeze({ ...env }),
  });
}
