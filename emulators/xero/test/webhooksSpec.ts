// Validates webhook payloads against Xero's published Webhooks contract (../shared/spec/xero/xero-webhooks.yaml,
// OpenAPI 3.1, so its schemas are JSON Schema 2020-12). Used by the emulator's tests (what it delivers) and
// the product's tests (what its parser accepts). One known gap, in Xero's favour: the intent-to-receive
// payload Xero sends has firstEventSequence/lastEventSequence 0, below the contract's minimum of 1, so it is
// checked by shape only (see emulators/xero/webhooks/README.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import yaml from 'js-yaml';
import { sharedDir } from './openapi';

const SPEC_ID = 'https://ledgerbridge.local/xero-webhooks.json';
let compiled: Map<string, ValidateFunction> | undefined;
let ajv: Ajv2020 | undefined;

function validator(component: 'WebhookEvent' | 'CreditNoteWebhookEvent'): ValidateFunction {
  if (!ajv) {
    const spec = yaml.load(readFileSync(path.join(sharedDir(), 'spec/xero/xero-webhooks.yaml'), 'utf8'), { schema: yaml.JSON_SCHEMA }) as Record<string, unknown>;
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
    addFormats(ajv);
    ajv.addSchema({ $id: SPEC_ID, components: (spec as { components: unknown }).components });
    compiled = new Map();
  }
  let fn = compiled!.get(component);
  if (!fn) {
    fn = ajv.compile({ $ref: `${SPEC_ID}#/components/schemas/${component}` });
    compiled!.set(component, fn);
  }
  return fn;
}

/** Throws with the contract's errors when `body` is not a valid delivery (credit note events against their own schema too). */
export function assertWebhookPayload(body: unknown, what = 'webhook payload'): void {
  const check = (component: 'WebhookEvent' | 'CreditNoteWebhookEvent', value: unknown): void => {
    const fn = validator(component);
    if (!fn(value)) throw new Error(`${what} does not match ${component}: ${JSON.stringify(fn.errors, null, 1)}\n${JSON.stringify(value)}`);
  };
  check('WebhookEvent', body);
  const events = (body as { events: { eventCategory: string }[] }).events;
  const notes = events.filter((e) => e.eventCategory === 'CREDITNOTE');
  if (notes.length) check('CreditNoteWebhookEvent', { ...(body as object), events: notes });
}
