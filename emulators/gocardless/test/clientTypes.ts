// Checks the emulator's answers against the types the official client ships
// (node_modules/gocardless-nodejs/types/types/Types.d.ts), read with the TypeScript compiler API:
// every field of an answer must be declared on its type with a value of the declared type (enums as
// their string values, `| null` only where declared), and every field a resource's type declares must be
// present — unless listed in OMITTED below with the reason the real API leaves it out too.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** Fields a resource's type declares that GoCardless itself leaves out of these answers (see README). */
export const OMITTED: Readonly<Record<string, readonly string[]>> = {
  // Present only on ACH payments (USD); the emulator sends it on those.
  Payment: ['faster_ach'],
};

/** Answer keys (GET /payments → "payments") and the client type of their elements. */
const RESOURCE_TYPES: Readonly<Record<string, string>> = {
  creditors: 'Creditor',
  customers: 'Customer',
  mandates: 'Mandate',
  payments: 'Payment',
  refunds: 'Refund',
  payouts: 'Payout',
  payout_items: 'PayoutItem',
  events: 'Event',
  scenario_simulators: 'ScenarioSimulator',
};

interface Declarations {
  types: Map<string, ts.TypeNode>;
  enums: Map<string, Set<string>>;
}

let loaded: Declarations | undefined;

export function typesPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('gocardless-nodejs/package.json')), 'types/types/Types.d.ts');
}

function declarations(): Declarations {
  if (loaded) return loaded;
  const source = ts.createSourceFile('Types.d.ts', readFileSync(typesPath(), 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const types = new Map<string, ts.TypeNode>();
  const enums = new Map<string, Set<string>>();
  for (const statement of source.statements) {
    if (ts.isTypeAliasDeclaration(statement)) types.set(statement.name.text, statement.type);
    else if (ts.isInterfaceDeclaration(statement)) types.set(statement.name.text, ts.factory.createTypeLiteralNode([...statement.members]));
    else if (ts.isEnumDeclaration(statement)) {
      enums.set(statement.name.text, new Set(statement.members.map((m) => (m.initializer && ts.isStringLiteral(m.initializer) ? m.initializer.text : m.name.getText(source)))));
    }
  }
  loaded = { types, enums };
  return loaded;
}

function propertyName(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : String(name.pos);
}

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : JSON.stringify(value));

/** Problems with `value` as a `node`, each prefixed with where (`at`). `complete` asks every declared field. */
function check(node: ts.TypeNode, value: unknown, at: string, complete: string | undefined, out: string[]): void {
  const { types, enums } = declarations();
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword: if (typeof value !== 'string') out.push(`${at}: expected a string, got ${describe(value)}`); return;
    case ts.SyntaxKind.NumberKeyword: if (typeof value !== 'number') out.push(`${at}: expected a number, got ${describe(value)}`); return;
    case ts.SyntaxKind.BooleanKeyword: if (typeof value !== 'boolean') out.push(`${at}: expected a boolean, got ${describe(value)}`); return;
    case ts.SyntaxKind.ObjectKeyword: if (!value || typeof value !== 'object') out.push(`${at}: expected an object, got ${describe(value)}`); return;
    case ts.SyntaxKind.AnyKeyword: case ts.SyntaxKind.UnknownKeyword: return;
    default: break;
  }
  if (ts.isLiteralTypeNode(node)) {
    if (node.literal.kind === ts.SyntaxKind.NullKeyword) { if (value !== null) out.push(`${at}: expected null, got ${describe(value)}`); return; }
    if (ts.isStringLiteral(node.literal) && value !== node.literal.text) out.push(`${at}: expected "${node.literal.text}", got ${describe(value)}`);
    return;
  }
  if (ts.isParenthesizedTypeNode(node)) return check(node.type, value, at, complete, out);
  if (ts.isUnionTypeNode(node)) {
    const attempts = node.types.map((member) => { const problems: string[] = []; check(member, value, at, complete, problems); return problems; });
    if (!attempts.some((p) => p.length === 0)) out.push(...attempts.reduce((a, b) => (b.length < a.length ? b : a)));
    return;
  }
  if (ts.isArrayTypeNode(node)) {
    if (!Array.isArray(value)) { out.push(`${at}: expected an array, got ${describe(value)}`); return; }
    value.forEach((item, i) => check(node.elementType, item, `${at}[${i}]`, undefined, out));
    return;
  }
  if (ts.isTemplateLiteralTypeNode(node)) {
    // `${SomeEnum}`: one of the enum's string values.
    const span = node.templateSpans[0];
    const ref = span && ts.isTypeReferenceNode(span.type) ? span.type.typeName : undefined;
    const allowed = ref && ts.isIdentifier(ref) ? enums.get(ref.text) : undefined;
    if (!allowed || node.head.text !== '' || node.templateSpans.length !== 1 || span!.literal.text !== '') throw new Error(`${at}: unsupported template type`);
    if (typeof value !== 'string' || !allowed.has(value)) out.push(`${at}: expected one of ${[...allowed].join(', ')}, got ${describe(value)}`);
    return;
  }
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
    const name = node.typeName.text;
    if (name === 'JsonMap') { if (!value || typeof value !== 'object' || Array.isArray(value)) out.push(`${at}: expected an object, got ${describe(value)}`); return; }
    if (name === 'Array' && node.typeArguments?.[0]) return check(ts.factory.createArrayTypeNode(node.typeArguments[0]), value, at, undefined, out);
    const allowed = enums.get(name);
    if (allowed) { if (typeof value !== 'string' || !allowed.has(value)) out.push(`${at}: expected one of ${[...allowed].join(', ')}, got ${describe(value)}`); return; }
    const target = types.get(name);
    if (!target) throw new Error(`${at}: no type ${name} in the client's Types.d.ts`);
    return check(target, value, `${at}`, complete === undefined ? undefined : name, out);
  }
  if (ts.isTypeLiteralNode(node)) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) { out.push(`${at}: expected an object, got ${describe(value)}`); return; }
    const record = value as Record<string, unknown>;
    const index = node.members.find(ts.isIndexSignatureDeclaration);
    const properties = new Map<string, ts.PropertySignature>();
    for (const member of node.members) if (ts.isPropertySignature(member)) properties.set(propertyName(member.name), member);
    for (const [key, field] of Object.entries(record)) {
      const declared = properties.get(key);
      if (declared?.type) check(declared.type, field, `${at}.${key}`, undefined, out);
      else if (index) check(index.type, field, `${at}.${key}`, undefined, out);
      else out.push(`${at}.${key}: not declared by the client's type`);
    }
    if (complete) {
      const omitted = new Set(OMITTED[complete] ?? []);
      for (const key of properties.keys()) {
        if (!(key in record) && !omitted.has(key)) out.push(`${at}.${key}: declared by the client's type, missing from the answer`);
      }
    }
    return;
  }
  throw new Error(`${at}: unsupported type syntax ${ts.SyntaxKind[node.kind]}`);
}

/** Problems with one resource (`Payment`, …) against its client type; complete: every declared field present. */
export function resourceProblems(typeName: string, value: unknown, at = typeName, complete = true): string[] {
  const out: string[] = [];
  check(ts.factory.createTypeReferenceNode(typeName), value, at, complete ? typeName : undefined, out);
  return out;
}

/**
 * Problems with a whole API answer body: `{payments: {...}}`, `{payments: [...], meta, linked?}` or a
 * GoCardless error. Every key must be one the client knows.
 */
export function answerProblems(body: unknown, what: string): string[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [`${what}: the answer is not a JSON object`];
  const out: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === 'error') continue; // error bodies are checked by the error tests (not part of Types.d.ts)
    if (key === 'meta') { out.push(...resourceProblems('ListMeta', value, `${what} meta`, false)); continue; }
    if (key === 'linked') {
      if (!value || typeof value !== 'object') { out.push(`${what} linked: not an object`); continue; }
      for (const [linkedKey, list] of Object.entries(value as Record<string, unknown>)) {
        const type = RESOURCE_TYPES[linkedKey];
        if (!type || !Array.isArray(list)) { out.push(`${what} linked.${linkedKey}: not a list of a known resource`); continue; }
        list.forEach((item, i) => out.push(...resourceProblems(type, item, `${what} linked.${linkedKey}[${i}]`)));
      }
      continue;
    }
    const type = RESOURCE_TYPES[key];
    if (!type) { out.push(`${what}: unknown answer key ${key}`); continue; }
    // Payout items and scenario simulators are documented partly (only what the client declares is checked).
    const complete = type !== 'ScenarioSimulator';
    if (Array.isArray(value)) value.forEach((item, i) => out.push(...resourceProblems(type, item, `${what} ${key}[${i}]`, complete)));
    else out.push(...resourceProblems(type, value, `${what} ${key}`, complete));
  }
  return out;
}
