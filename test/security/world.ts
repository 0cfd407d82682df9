// The world the security suite attacks: the real app with every installed plugin, booted against the
// Xero emulator; organisations A and B, each with a user of every role, an API token of every role, a
// second ("victim") user and token, Xero connected as a private app, a sale with a refund and a payment,
// and a history import. Helpers log in through the real login form and snapshot the whole database so a
// refused request can be proven to have changed nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createApiToken } from '../../server/auth/apiTokens';
import { createUser } from '../../server/auth/users';
import { createSale } from '../../server/domain/sales';
import { issueRefund } from '../../server/domain/refunds';
import { recordPayment } from '../../server/domain/payments';
import type { Db } from '../../server/db/knex';
import type { PluginDefinition, Principal, Role } from '../../server/plugins/contract';
import { installedPlugins } from '../../plugins';
import { createBackfill } from '../../plugins/xero/sync/backfill';
import { connectPrivateApp } from '../e2e/xero/syncFixture';
import type { DbKind } from '../support/db';
import { bootXeroApp, csrfFrom, logIn, PASSWORD, seedOrg, startXeroEmulator, type Agent, type RunningEmulator, type SeededOrg, type XeroTestApp, UK_ORG, US_ORG } from '../support/xero';

export const ROLES: readonly Role[] = ['admin', 'staff', 'accountant'];

/** Ids of one organisation's records, by the placeholder names route samples use ({sale}, {user}...). */
export interface OrgRecords {
  sale: number;
  refund: number;
  payment: number;
  /** A staff user other than the one the suite logs in as: safe to disable or re-role. */
  user: number;
  /** An API token no probe authenticates with: safe to revoke. */
  token: number;
  backfill: number;
  /** Text that appears only in this organisation's records (customer name, references). */
  marker: string;
}

export interface SecurityOrg extends SeededOrg {
  records: OrgRecords;
  /** Bearer tokens by role. */
  tokens: Record<Role, string>;
  tenantId: string;
}

export interface SecurityWorld {
  emu: RunningEmulator;
  x: XeroTestApp;
  db: Db;
  a: SecurityOrg;
  b: SecurityOrg;
  close(): Promise<void>;
}

export const saleBody = (marker: string, n = 1) => ({
  currency: 'GBP',
  reference: `${marker}-S${n}`,
  customer: { name: `${marker} customer ${n}`, email: `${marker.toLowerCase()}${n}@example.com` },
  lines: [
    { description: `${marker} class`, quantity: 2, unitPrice: '12.50', taxCode: 'OUTPUT2' },
    { description: `${marker} mat hire`, quantity: 1, unitPrice: '3.00', taxCode: 'OUTPUT2' },
  ],
});

async function seedSecurityOrg(x: XeroTestApp, emuUrl: string, name: string, marker: string, xeroOrganisation: string): Promise<SecurityOrg> {
  const db = x.host.deps.db;
  const org = await seedOrg(db, name);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const victim = await createUser(db, { orgId: org.orgId, email: `victim@${slug}.test`, name: `${marker} victim`, role: 'staff', password: PASSWORD });
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = (await createApiToken(db, { orgId: org.orgId, role, name: `${marker} ${role} token` })).token;
  const victimToken = await createApiToken(db, { orgId: org.orgId, role: 'admin', name: `${marker} victim token` });
  const tenantId = await connectPrivateApp(x, org.orgId, emuUrl, xeroOrganisation);

  const staffRow = await db('users').where({ org_id: org.orgId, role: 'staff' }).whereNot({ id: victim.id }).first('id');
  const staff: Principal = { kind: 'user', id: Number(staffRow.id), orgId: org.orgId, role: 'staff', name: 'staff' };
  const deps = { ...x.host.deps, db };
  const sale = await createSale(deps, staff, saleBody(marker));
  const refund = await issueRefund(deps, staff, sale.id, { kind: 'amount', amount: '5.00' });
  const payment = await recordPayment(deps, staff, sale.id, { method: 'cash', amount: '10.00' });
  const backfill = await createBackfill(x.ctx, { orgId: org.orgId, from: Date.UTC(2026, 0, 1), actor: 'security test' });
  return {
    ...org, tokens, tenantId,
    records: { sale: sale.id, refund: refund.refund.id, payment: payment.payment.id, user: victim.id, token: victimToken.id, backfill: backfill.id, marker },
  };
}

export async function startSecurityWorld(kind: DbKind, opts: { env?: Record<string, string>; captureLogs?: boolean; plugins?: PluginDefinition<unknown>[] } = {}): Promise<SecurityWorld> {
  const emu = await startXeroEmulator();
  const x = await bootXeroApp(kind, {
    emulatorUrl: emu.url,
    plugins: opts.plugins ?? installedPlugins,
    ...(opts.captureLogs ? { captureLogs: true } : {}),
    env: { PUBLIC_URL: 'http://books.test', ...opts.env },
  });
  try {
    // Different Xero organisations, so B's tenant id is B's alone.
    const a = await seedSecurityOrg(x, emu.url, 'Alpha Gym', 'ALPHAMARK', UK_ORG);
    const b = await seedSecurityOrg(x, emu.url, 'Bravo Gym', 'BRAVOMARK', US_ORG);
    return {
      emu, x, db: x.host.deps.db, a, b,
      async close() {
        await x.close();
        await emu.close();
      },
    };
  } catch (err) {
    await x.close();
    await emu.close();
    throw err;
  }
}

/** Logged in as `role` of `org`, with the session's CSRF token at hand. */
export interface Session {
  agent: Agent;
  csrf: string;
}

export async function sessionFor(world: SecurityWorld, org: SeededOrg, role: Role): Promise<Session> {
  const agent = await logIn(world.x.app, org.emails[role]);
  const home = await agent.get('/');
  assert.equal(home.status, 200, `home page as ${role}: ${home.status}`);
  return { agent, csrf: csrfFrom(home) };
}

/** Nobody logged in, but holding a session with a valid CSRF token (so refusals are about login, not CSRF). */
export async function anonymousSession(world: SecurityWorld): Promise<Session> {
  const { default: request } = await import('supertest');
  const agent = request.agent(world.x.app);
  const page = await agent.get('/login');
  return { agent, csrf: csrfFrom(page) };
}

// ---- "nothing changed" ---------------------------------------------------------------------------

/** Tables whose rows change on any request by design (sessions, login throttling) or are knex's own. */
const VOLATILE_TABLES = new Set(['sessions', 'login_failures', 'knex_migrations', 'knex_migrations_lock']);
/** Columns that record use, not data: a refused bearer request may still touch last_used_at. */
const VOLATILE_COLUMNS: Record<string, string[]> = { api_tokens: ['last_used_at'] };

export async function tableNames(db: Db): Promise<string[]> {
  const client = String(db.client.config.client);
  if (client.includes('pg')) {
    const rows = (await db.raw(`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`)).rows as { name: string }[];
    return rows.map((r) => r.name).sort();
  }
  const rows = (await db.raw(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`)) as { name: string }[];
  return rows.map((r) => r.name).sort();
}

/** A digest of every row of every table (volatile ones left out), by table. */
export async function snapshot(db: Db): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const table of await tableNames(db)) {
    if (VOLATILE_TABLES.has(table)) continue;
    const drop = VOLATILE_COLUMNS[table] ?? [];
    const rows = (await db(table).select('*')) as Record<string, unknown>[];
    const lines = rows.map((r) => {
      for (const c of drop) delete r[c];
      return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    }).sort();
    out.set(table, createHash('sha256').update(lines.join('\n')).digest('hex') + `:${rows.length}`);
  }
  return out;
}

/** The tables whose contents differ between two snapshots. */
export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}
