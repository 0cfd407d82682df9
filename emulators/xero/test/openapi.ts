// Validates JSON bodies against component schemas of Xero's published OpenAPI document
// (../shared/spec/xero/xero_accounting.yaml, or $LEDGERBRIDGE_SHARED_DIR/spec/xero/…).
// The spec is OpenAPI 3.0, not plain JSON Schema; the quirks handled here:
//  - YAML timestamps in `example`s would become Date objects with js-yaml's default schema, so the
//    document is read with the JSON schema (plain strings);
//  - `nullable: true` (OpenAPI 3.0) becomes a `null` alternative of the type;
//  - $refs point at `#/components/schemas/…` of the whole document, so the components are registered
//    under one $id and every component is compiled as a $ref into it;
//  - OpenAPI-only keywords (`x-is-money`, `x-is-msdate`, `example`, `externalDocs`, `readOnly`…) and
//    formats JSON Schema does not define (`double`, `int32`, `int64`…) are accepted and ignored;
//  - booleans declared with string defaults (`default: 'false'`) are left alone (defaults are not applied).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import yaml from 'js-yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

export function sharedDir(): string {
  return process.env.LEDGERBRIDGE_SHARED_DIR ?? path.resolve(repoRoot, '../shared');
}

export function accountingSpecPath(): string {
  return path.join(sharedDir(), 'spec/xero/xero_accounting.yaml');
}

const SPEC_ID = 'https://ledgerbridge.local/xero_accounting.json';

/** Rewrite OpenAPI 3.0 `nullable` into JSON Schema, recursively. */
function normalise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalise);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key === 'example' || key === 'examples') continue;
    out[key] = normalise(value);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}

interface Validator {
  validate(component: string, body: unknown): ErrorObject[] | null;
}

let cached: Validator | undefined;

function load(): Validator {
  if (cached) return cached;
  const spec = yaml.load(readFileSync(accountingSpecPath(), 'utf8'), { schema: yaml.JSON_SCHEMA }) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  // ajv-formats ships as CommonJS; its default export is the plugin function.
  const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
  addFormats(ajv);
  for (const format of ['double', 'float', 'int32', 'int64', 'byte', 'binary', 'password']) ajv.addFormat(format, true);
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: normalise(spec.components.schemas) } });
  const compiled = new Map<string, ValidateFunction>();
  cached = {
    validate(component, body) {
      let fn = compiled.get(component);
      if (!fn) {
        if (!spec.components.schemas[component]) throw new Error(`No component schema ${component} in the Xero spec`);
        fn = ajv.compile({ $ref: `${SPEC_ID}#/components/schemas/${component}` });
        compiled.set(component, fn);
      }
      return fn(body) ? null : (fn.errors ?? []);
    },
  };
  return cached;
}

/** Throws with the schema errors when `body` does not validate against components/schemas/<component>. */
export function assertMatchesSchema(component: string, body: unknown, what = 'body'): void {
  const errors = load().validate(component, body);
  if (errors) {
    const detail = errors.slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n  ');
    throw new Error(`${what} does not match Xero schema ${component}:\n  ${detail}`);
  }
}

export function matchesSchema(component: string, body: unknown): boolean {
  return load().validate(component, body) === null;
}

/** The schema errors of `body` against components/schemas/<component>, one line each (empty when it matches). */
export function schemaErrors(component: string, body: unknown): string[] {
  return (load().validate(component, body) ?? []).slice(0, 10).map((e) => `${component}${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
