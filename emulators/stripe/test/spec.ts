// Stripe's OpenAPI document (../shared/spec/stripe/spec3.json, or $LEDGERBRIDGE_SHARED_DIR/spec/stripe/…),
// compiled for ajv once per process (it is 5 MB): component schemas by name, and each operation's
// success answer. OpenAPI 3.0 quirks made JSON Schema: `nullable: true` (also on anyOf without a type)
// becomes a null alternative; formats `unix-time`, `decimal`, `binary` are accepted; an object schema that
// lists its properties and says nothing of others gets `additionalProperties: false`, because Stripe's
// document lists every field of a version and a field it does not list is a field of another version
// (balance.id, payment_intent.source). Expandable fields (anyOf id string | object) are kept as both; which
// one an answer may carry is the conformance check's business (conformance.ts), from `expansionFields`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const here = path.dirname(fileURLToPath(import.meta.url));
const sharedDir = (): string => process.env.LEDGERBRIDGE_SHARED_DIR ?? path.resolve(here, '../../../../shared');
const SPEC_ID = 'https://ledgerbridge.local/stripe-spec3.json';

type Json = Record<string, unknown>;

interface OpenApi {
  info: { version: string };
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
  components: { schemas: Record<string, Json> };
}

function normalise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalise);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key.startsWith('x-') || key === 'example' || key === 'examples') continue;
    // `properties` is a map of names, not a schema: its keys are kept even when they look like keywords.
    out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, normalise(v)])) : normalise(value);
  }
  if (out.properties && typeof out.properties === 'object' && !('additionalProperties' in out)) out.additionalProperties = false;
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.anyOf)) out.anyOf = [...(out.anyOf as unknown[]), { type: 'null' }];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}

/** One operation of the document: its path template as a pattern, and how to validate its 200 answer. */
export interface SpecOperation {
  method: string;
  template: string;
  pattern: RegExp;
  /** Path parameters in the template: fewer wins when two match (`/search` before `/{intent}`). */
  params: number;
  successIndex: number | null;
}

interface Loaded {
  version: string;
  ajv: Ajv;
  operations: SpecOperation[];
  expansion: Map<string, Set<string>>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const spec = JSON.parse(readFileSync(path.join(sharedDir(), 'spec/stripe/spec3.json'), 'utf8')) as OpenApi;
  const operations: SpecOperation[] = [];
  const successes: unknown[] = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'delete'].includes(method)) continue;
      const schema = op.responses?.['200']?.content?.['application/json']?.schema;
      operations.push({ method: method.toUpperCase(), template, pattern, params: (template.match(/\{/g) ?? []).length, successIndex: schema ? successes.push(normalise(schema)) - 1 : null });
    }
  }
  // Expandable fields per component: the properties Stripe marks with x-expansionResources (id string unless expanded).
  const expansion = new Map<string, Set<string>>();
  for (const [name, schema] of Object.entries(spec.components.schemas)) {
    const fields = Object.entries((schema.properties ?? {}) as Record<string, Json>).filter(([, p]) => 'x-expansionResources' in p).map(([k]) => k);
    if (fields.length) expansion.set(name, new Set(fields));
  }
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const f of ['unix-time', 'decimal', 'binary']) ajv.addFormat(f, true);
  ajv.addSchema({ $id: SPEC_ID, components: normalise(spec.components), successes }, SPEC_ID);
  loaded = { version: spec.info.version, ajv, operations, expansion };
  return loaded;
}

const compiled = new Map<string, ValidateFunction>();

function compile(pointer: string): ValidateFunction {
  let v = compiled.get(pointer);
  if (!v) {
    v = load().ajv.compile({ $ref: `${SPEC_ID}#${pointer}` });
    compiled.set(pointer, v);
  }
  return v;
}

const describeErrors = (errors: ErrorObject[]): string =>
  errors.slice(0, 15).map((e) => `  ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');

/** The API version the document describes (its info.version). */
export const specVersion = (): string => load().version;

/** Whether Stripe's document has a component schema of this name (an object kind such as `charge`). */
export const hasComponent = (name: string): boolean => name in ((load().ajv.getSchema(SPEC_ID)?.schema as { components: { schemas: Json } }).components.schemas);

/** The expandable fields of a component (ids unless expand[] names them). */
export const expansionFields = (component: string): ReadonlySet<string> => load().expansion.get(component) ?? new Set();

/** The operation of the document a call is (method + path template), or undefined when Stripe has none. */
export function specOperation(method: string, urlPath: string): SpecOperation | undefined {
  return load().operations.filter((op) => op.method === method && op.pattern.test(urlPath)).sort((a, b) => a.params - b.params)[0];
}

/** Schema errors of `body` as `component`, or null when it is valid. */
export function componentErrors(component: string, body: unknown): string | null {
  const v = compile(`/components/schemas/${component}`);
  return v(body) ? null : describeErrors((v.errors ?? []) as ErrorObject[]);
}

/** Schema errors of `body` as the success answer of `op`, or null when it is valid. */
export function successErrors(op: SpecOperation, body: unknown): string | null {
  if (op.successIndex === null) return `${op.method} ${op.template} has no JSON success answer in Stripe's spec`;
  const v = compile(`/successes/${op.successIndex}`);
  return v(body) ? null : describeErrors((v.errors ?? []) as ErrorObject[]);
}

/** Throws with every schema error when `body` is not a valid `component`. */
export function assertMatchesSpec(component: string, body: unknown): void {
  const errors = componentErrors(component, body);
  if (errors) throw new Error(`${component} does not match Stripe's spec:\n${errors}`);
}
