// One sale, one name in every message people read (issue 14; server/domain/saleName.ts): "Sale TILL-016",
// never "sale 16" or "Sale #16" for a sale that has a name. Messages are built in many places (payout
// failures, sync errors, payload errors, journal narrations, pages), and each one that wrote the id into
// its text was found by hand; this reads the sources of the host, the plugins and the views and fails on
// any text that names a sale by its id, so a new one cannot slip in.
//
// Allowed: the naming functions themselves (they fall back to "Sale <id>" when the host names none, and
// callers do the same after a lookup: `?? \`Sale ${id}\``), and a sale that does not exist (no name to give).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../../scripts/lint/seam.mjs';

// scripts: the demo's own errors, read by the developer running it, name sales as the app does too.
const ROOTS = ['server', 'plugins', 'views', 'public', 'scripts'];
const EXTENSIONS = /\.(ts|ejs|js)$/;

/** Text naming a sale by its id: `sale ${…}`, `Sale #${…}`, `#${sale.id}`, "Sale #<%= … %>". */
const BY_ID: readonly RegExp[] = [
  /\bsale #?\$\{/i,
  /#\$\{[^}]*sale/i,
  /\bsale #<%=/i,
  /#<%=[^%]*sale/i,
];

/** Where "Sale <id>" is the right text. */
const ALLOWED: readonly RegExp[] = [
  /\?\? `Sale \$\{\w+\}`/, // the fallback after asking the host for the name
  /no longer exists|does not exist|NotFoundError/, // a sale that is not there has no name
];
const NAMING_FILES = new Set(['server/domain/saleName.ts', 'plugins/xero/engine/names.ts', 'plugins/xero/payloads/types.ts']);

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (EXTENSIONS.test(name)) yield path;
  }
}

/** Lines of code (comments dropped: they may quote the wrong forms to forbid them). */
const codeLines = (text: string): string[] => text.split('\n').map((line) => (/^\s*(\/\/|\*|\/\*)/.test(line) ? '' : line));

export function saleIdsInMessages(files: Iterable<{ path: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { path, text } of files) {
    if (NAMING_FILES.has(path)) continue;
    codeLines(text).forEach((line, n) => {
      if (BY_ID.some((re) => re.test(line)) && !ALLOWED.some((re) => re.test(line))) found.push(`${path}:${n + 1}: ${line.trim()}`);
    });
  }
  return found;
}

describe('a sale is named by its one name in messages and pages', () => {
  it('no source writes "sale <id>" or "#<id>" for a sale (use saleName / saleNamesOf)', () => {
    const files = ROOTS.flatMap((root) => [...sources(join(REPO_ROOT, root))])
      .map((path) => ({ path: relative(REPO_ROOT, path).split('\\').join('/'), text: readFileSync(path, 'utf8') }));
    assert.ok(files.length > 100, `read the sources (${files.length} files)`);
    assert.deepEqual(saleIdsInMessages(files), []);
  });

  it('catches each way the id slipped into a message before (the check can fail)', () => {
    const seen = saleIdsInMessages([
      { path: 'plugins/xero/payouts/fx.ts', text: 'return `sale ${line.saleId} is in ${saleCurrency}`;' },
      { path: 'plugins/xero/sync/voucherJournals.ts', text: '    Narration: `Expired gift voucher ${v.code} (sale ${v.saleId}) written off`,' },
      { path: 'server/receipts/model.ts', text: 'title: `Receipt for sale ${sale.reference ?? `#${sale.id}`}`,' },
      { path: 'views/vouchers/index.ejs', text: '<a href="/sales/<%= v.saleId %>">Sale #<%= v.saleId %></a>' },
      { path: 'plugins/xero/sync/receipts.ts', text: "failure(item, `Sale ${saleId} no longer exists in this organisation`);" },
      { path: 'scripts/demo/main.ts', text: 'throw new Error(`the demo refunds sale ${refund.saleId}, which was not paid at Stripe`);' },
      { path: 'plugins/stripe/work.ts', text: '// a comment may say "sale ${id}" to forbid it' },
    ]);
    assert.deepEqual(seen.map((s) => s.split(':')[0]), ['plugins/xero/payouts/fx.ts', 'plugins/xero/sync/voucherJournals.ts', 'server/receipts/model.ts', 'views/vouchers/index.ejs', 'scripts/demo/main.ts']);
  });
});
