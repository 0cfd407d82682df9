// Validates emulator answers against component schemas of Stripe's OpenAPI document
// (../shared/spec/stripe/spec3.json, or $LEDGERBRIDGE_SHARED_DIR/spec/stripe/…). The document is 5 MB:
// it is read and compiled once per process. OpenAPI 3.0 quirks: `nullable: true` (also on anyOf
// without a type) becomes a null alternative; formats `unix-time`, `decimal`, `binary` are accepted.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const here = path.dirname(fileURLToPath(import.meta.url));
const sharedDir = (): string => process.env.LEDGERBRIDGE_SHARED_DIR ?? path.resolve(here, '../../../../shared');
const SPEC_ID = 'https://ledgerbridge.local/stripe-spec3.json';

function normalise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalise);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (key.startsWith('x-') || key === 'example' || key === 'examples') continue;
    out[key] = normalise(value);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.anyOf)) out.anyOf = [...(out.anyOf as unknown[]), { type: 'null' }];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function validator(component: string): ValidateFunction {
  if (!ajv) {
    const spec = JSON.parse(readFileSync(path.join(sharedDir(), 'spec/stripe/spec3.json'), 'utf8')) as { components: { schemas: Record<string, unknown> } };
    ajv = new Ajv({ strict: false, allErrors: true });
    for (const f of ['unix-time', 'decimal', 'binary']) ajv.addFormat(f, true);
    ajv.addSchema({ $id: SPEC_ID, components: normalise(spec.components) }, SPEC_ID);
  }
  let v = compiled.get(component);
  if (!v) {
    v = ajv.compile({ $ref: `${SPEC_ID}#/components/schemas/${component}` });
    compiled.set(component, v);
  }
  return v;
}

/** Throws with every schema error when `body` is not a valid `component`. */
export function assertMatchesSpec(component: string, body: unknown): void {
  const v = validator(component);
  if (!v(body)) {
    const errors = (v.errors ?? []) as ErrorObject[];
    throw new Error(`${component} does not match Stripe's spec:\n${errors.slice(0, 15).map((e) => `  ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n')}`);
  }
}
