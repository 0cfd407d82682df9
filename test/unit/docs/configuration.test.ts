// docs/operators.md's configuration table is the operator's list of settings. A variable added to the host's
// environment schema or to a plugin's config schema without a row there would be a setting nobody can find:
// this reads the variable names from the schemas themselves and checks each is in the table.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EnvSchema } from '../../../server/config';
import { XeroConfigSchema } from '../../../plugins/xero/config';
import { StripeConfigSchema } from '../../../plugins/stripe/config';
import { GoCardlessConfigSchema } from '../../../plugins/gocardless/config';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The variable names a schema reads (its input's properties, whatever refinements wrap the object). */
const variablesOf = (schema: z.ZodType): string[] =>
  Object.keys((z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> }).properties ?? {});

/** The rows of the "## Configuration" section's table: every `NAME` in its first column. */
function documentedVariables(): Set<string> {
  const text = readFileSync(join(ROOT, 'docs/operators.md'), 'utf8');
  const section = text.split(/^## /m).find((s) => s.startsWith('Configuration\n')) ?? '';
  const names = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
  return new Set(names);
}

describe('docs/operators.md, "Configuration"', () => {
  const schemas = { host: EnvSchema, xero: XeroConfigSchema, stripe: StripeConfigSchema, gocardless: GoCardlessConfigSchema };

  it('reads the variables from the schemas (the check below is not vacuous)', () => {
    assert.ok(variablesOf(EnvSchema).includes('DATABASE_URL'));
    assert.ok(variablesOf(XeroConfigSchema).includes('XERO_API_URL'));
    assert.ok(documentedVariables().has('MASTER_KEY'));
  });

  for (const [owner, schema] of Object.entries(schemas)) {
    it(`has a row for every variable the ${owner} settings read`, () => {
      const documented = documentedVariables();
      assert.deepEqual(variablesOf(schema).filter((name) => !documented.has(name)), [], 'add a row to the table in docs/operators.md');
    });
  }
});
