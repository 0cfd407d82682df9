// The Xero plugin's layout, enforced on its sources (plugins/xero/README.md, "Layout"):
//  - every folder (and top-level file) sits on a layer and imports only from layers below its own, so
//    sync/ and payouts/ (one layer) never import each other, and no two folders import each other;
//  - no file-level import cycle anywhere in the plugin;
//  - gateway/ is the only code that calls xero-node's Accounting API.
// The import graph is read from the sources with TypeScript's own pre-processor (static imports, type
// imports, re-exports and literal dynamic imports alike).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../../../scripts/lint/seam.mjs';

const PLUGIN = join(REPO_ROOT, 'plugins', 'xero');

/**
 * Bottom to top. A unit is a folder of plugins/xero, or a file at its top. Units on one layer are peers
 * and never import each other; a unit imports only from lower layers.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['config.ts', 'migrations', 'links.ts'], // links.ts: Xero's deep links to a record's page, pure
  ['gateway'], // the only code that calls xero-node's Accounting API: typed methods, answers normalised once
  ['connection'], // connections, OAuth 1.0a / OAuth2, the client of one connection
  ['engine'], // session, rate budget, records, audit, outcomes, send marks, keys, retry policy
  ['mappings'], // account / tax / tracking settings, the live chart they are checked against
  ['payloads'], // pure builders: sale → invoice, refund → credit note, payment → payment, customer → contact
  ['clearing', 'incoming'], // payout providers' clearing accounts; what Xero tells us (webhooks, polling), used by sync and payouts
  ['sync', 'payouts'], // the pushes, and payout posting: peers
  ['routes', 'handlers.ts', 'health.ts', 'backfillCli.ts'],
  ['cli.ts'],
  ['index.ts'],
];

/** Every .ts source of the plugin, as paths relative to plugins/xero. */
function pluginSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(PLUGIN, full).split('\\').join('/'));
    }
  };
  walk(PLUGIN);
  return out.sort();
}

/** The plugin files `file` imports (relative specifiers that resolve inside plugins/xero). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(PLUGIN, file), 'utf8'), true, true);
  const targets: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const base = resolve(dirname(join(PLUGIN, file)), fileName);
    const found = [`${base}.ts`, join(base, 'index.ts'), base].find((p) => p.endsWith('.ts') && existsSync(p));
    if (!found) continue;
    const rel = relative(PLUGIN, found).split('\\').join('/');
    if (!rel.startsWith('..')) targets.push(rel);
  }
  return targets;
}

const unitOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);

export type Graph = ReadonlyMap<string, ReadonlySet<string>>;

/** Strongly connected components with more than one node, or a node importing itself: the cycles. (Tarjan.) */
export function cyclesOf(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.has(node)) cycles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

function graphOf(edges: Iterable<[string, string]>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [from, to] of edges) {
    if (!graph.has(from)) graph.set(from, new Set());
    if (!graph.has(to)) graph.set(to, new Set());
    graph.get(from)!.add(to);
  }
  return graph;
}

const sources = pluginSources();
const fileEdges: [string, string][] = sources.flatMap((file) => importsOf(file).map((target): [string, string] => [file, target]));
const unitEdges = fileEdges.map(([from, to]): [string, string] => [unitOf(from), unitOf(to)]).filter(([from, to]) => from !== to);
const layerOf = new Map(LAYERS.flatMap((units, layer) => units.map((unit): [string, number] => [unit, layer])));

describe('the Xero plugin layout', () => {
  it('finds cycles in a graph (the checker itself)', () => {
    assert.deepEqual(cyclesOf(graphOf([['a', 'b'], ['b', 'c'], ['c', 'a'], ['c', 'd']])), [['a', 'b', 'c']]);
    assert.deepEqual(cyclesOf(graphOf([['a', 'a']])), [['a']]);
    assert.deepEqual(cyclesOf(graphOf([['a', 'b'], ['a', 'c'], ['b', 'c']])), []);
  });

  it('reads the real import graph (not an empty one)', () => {
    assert.ok(sources.length > 80, `${sources.length} sources`);
    assert.ok(fileEdges.some(([from, to]) => from === 'sync/invoices/push.ts' && to.startsWith('engine/')), 'sync/invoices/push.ts imports the engine');
    assert.ok(fileEdges.some(([from, to]) => from === 'index.ts' && to === 'handlers.ts'), 'type and value imports are both seen');
  });

  it('places every folder and top-level file on a layer', () => {
    const unplaced = [...new Set(sources.map(unitOf))].filter((unit) => !layerOf.has(unit));
    assert.deepEqual(unplaced, [], 'add each new folder or top-level file to LAYERS here and to the README');
  });

  it('imports only from lower layers (so sync/ and payouts/ never import each other)', () => {
    const upward = fileEdges
      .filter(([from, to]) => unitOf(from) !== unitOf(to) && layerOf.get(unitOf(to))! >= layerOf.get(unitOf(from))!)
      .map(([from, to]) => `${from} → ${to}`);
    assert.deepEqual(upward, []);
  });

  it('has no cycle between folders', () => {
    assert.deepEqual(cyclesOf(graphOf(unitEdges)), []);
  });

  it('has no cycle between files', () => {
    assert.deepEqual(cyclesOf(graphOf(fileEdges)), []);
  });

  it('calls xero-node only from gateway/ (connection/ uses its OAuth2 identity client and its Authentication type)', () => {
    const xeroNodeUsers = sources.filter((file) => ts.preProcessFile(readFileSync(join(PLUGIN, file), 'utf8'), true, true).importedFiles.some((i) => i.fileName === 'xero-node'));
    const allowed = (file: string) => file.startsWith('gateway/')
      || ['connection/oauth1/xeroNodeAuth.ts', 'connection/oauth2/xeroIdentity.ts', 'connection/clientFactory.ts'].includes(file);
    assert.deepEqual(xeroNodeUsers.filter((file) => !allowed(file)), []);
    const accountingCalls = sources.filter((file) => !file.startsWith('gateway/') && /\(\s*api\s*,\s*\w+\s*\)\s*=>/.test(readFileSync(join(PLUGIN, file), 'utf8')));
    assert.deepEqual(accountingCalls, [], 'an Accounting API call outside gateway/: add a method to the gateway instead');
  });
});
