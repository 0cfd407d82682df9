// The seam, enforced on the sources (eslint applies the same import rule, scripts/lint/seam.mjs):
//  - every import in plugins/, server/ and examples/ keeps to the seam;
//  - no plugin queries a host or runtime table (sales, refunds, payments, customers, outbox, …): what a
//    plugin needs of them comes through its context.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT, seamViolation } from '../../../scripts/lint/seam.mjs';

function sourcesUnder(dir: string): string[] {
  const root = join(REPO_ROOT, dir);
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      if (name === 'node_modules') continue;
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.d.mts')) out.push(full);
    }
  };
  walk(root);
  return out;
}

/** Every module specifier of a file: static imports, re-exports, dynamic imports with a literal. */
export function specifiersOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]!);
  return found;
}

/** Tables the host and the Ledgerbridge runtime create (their migrations), which plugins must not query. */
function hostTables(): string[] {
  const tables = new Set<string>();
  for (const file of [...sourcesUnder('server/db'), ...sourcesUnder('server/runtime')]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/createTable(?:IfNotExists)?\(\s*['"]([a-z_]+)['"]/g)) tables.add(m[1]!);
  }
  return [...tables].sort();
}

/** knex calls and raw SQL naming one of `tables`, e.g. ctx.db('sales'), .join('payouts as p', …), "FROM refunds". */
export function hostTableQueries(source: string, tables: readonly string[]): string[] {
  const names = tables.join('|');
  const patterns = [
    new RegExp(`\\b(?:db|trx|knex|tx)\\s*(?:<[^>()]*>)?\\(\\s*['"](${names})(?:\\s+as\\s+\\w+)?['"]`, 'g'),
    new RegExp(`\\.(?:from|join|leftJoin|rightJoin|innerJoin|into|table)\\(\\s*['"](${names})(?:\\s+as\\s+\\w+)?['"]`, 'g'),
    new RegExp(`\\b(?:from|join|into|update)\\s+["\`]?(${names})\\b`, 'gi'),
  ];
  const hits: string[] = [];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) hits.push(m[0]);
  return hits;
}

describe('the host/plugin seam', () => {
  it('knows the rule (plugins, the kit, the host, the example)', () => {
    const at = (path: string) => join(REPO_ROOT, path);
    assert.equal(seamViolation(at('plugins/xero/sync/a.ts'), '../../../server/plugins/contract'), null);
    assert.equal(seamViolation(at('plugins/xero/sync/a.ts'), '../../../server/errors'), null);
    assert.equal(seamViolation(at('plugins/xero/sync/a.ts'), '../engine/b'), null);
    assert.match(seamViolation(at('plugins/xero/sync/a.ts'), '../../../server/db/knex') ?? '', /only server\/plugins\/contract and server\/errors/);
    assert.match(seamViolation(at('plugins/stripe/a.ts'), '../xero/config') ?? '', /another plugin/);
    assert.equal(seamViolation(at('plugins/stripe/a.ts'), '../providerKit/webhooks'), null);
    assert.match(seamViolation(at('plugins/providerKit/a.ts'), '../stripe/x') ?? '', /another plugin/);
    assert.match(seamViolation(at('plugins/xero/a.ts'), '../../emulators/xero/app') ?? '', /emulators/);
    assert.match(seamViolation(at('plugins/xero/a.ts'), '..') ?? '', /plugin list/);
    assert.equal(seamViolation(at('plugins/index.ts'), './xero'), null);
    assert.match(seamViolation(at('server/main.ts'), '../plugins') ?? '', /installed\.ts/);
    assert.equal(seamViolation(at('server/plugins/installed.ts'), '../../plugins'), null);
    assert.match(seamViolation(at('server/boot.ts'), '../emulators/xero/app') ?? '', /emulators/);
    assert.equal(seamViolation(at('server/auth/users.ts'), '../plugins/contract'), null, 'server/plugins is the host\'s own folder');
    assert.match(seamViolation(at('examples/booking-host/app.ts'), '../../server/boot') ?? '', /ledgerbridge\/\*/);
    assert.deepEqual(hostTableQueries(`await ctx.db('sales').where(x); trx('payout_lines as l'); q.join('refunds as r', 'a', 'b'); sql('select * from payments')`, ['sales', 'payout_lines', 'refunds', 'payments']),
      ["db('sales'", "trx('payout_lines as l'", ".join('refunds as r'", 'from payments']);
    assert.deepEqual(hostTableQueries(`this.#create('payments', body); ctx.db('xero_records')`, ['payments', 'refunds']), [], 'API resource names and own tables are fine');
  });

  it('every import in plugins/, server/ and examples/ keeps to it', () => {
    const violations: string[] = [];
    for (const file of [...sourcesUnder('plugins'), ...sourcesUnder('server'), ...sourcesUnder('examples')]) {
      for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
        const why = seamViolation(file, specifier);
        if (why) violations.push(`${relative(REPO_ROOT, file)}: ${specifier} — ${why}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('no plugin queries a host or runtime table', () => {
    const tables = hostTables();
    for (const table of ['sales', 'sale_lines', 'refunds', 'payments', 'customers', 'organisations', 'outbox', 'sync_records', 'payouts', 'payout_lines']) {
      assert.ok(tables.includes(table), `${table} is known as a host table`);
    }
    const queries: string[] = [];
    for (const file of sourcesUnder('plugins')) {
      for (const hit of hostTableQueries(readFileSync(file, 'utf8'), tables)) queries.push(`${relative(REPO_ROOT, file)}: ${hit}`);
    }
    assert.deepEqual(queries, []);
  });
});
