// Xero refused a document: which of the organisation's mappings made it so. Xero names the TaxType or
// account code it would not take ("The TaxType code 'TAX001' does not exist or cannot be used for this
// type of transaction.", "Account code '205' is not a valid code for this document."); the lines' coding
// (which level of the fallback chain gave each value) says which setting holds it. Pure.
import type { Resolution } from './types';

/** How a sent line was coded (payloads' LineCoding has this shape). */
export interface CodedLineResolutions {
  account: Resolution<string>;
  taxType: Resolution<string>;
}

const TAX_TYPE = /TaxType code '([^']+)'/gi;
const ACCOUNT = /Account code '([^']+)'/gi;

const PLACE = {
  tax: { line: 'Tax codes', category: 'Per category', organisation: 'Organisation defaults', built_in: 'Organisation defaults' },
  account: { line: 'Per category', category: 'Per category', organisation: 'Organisation defaults', built_in: 'Organisation defaults' },
} as const;

function describe(what: 'tax' | 'account', r: Resolution<string>): string {
  const noun = what === 'tax' ? 'tax rate' : 'account';
  let setting: string;
  const kind = r.key === 'tip' ? 'tips' : r.key === 'service_charge' ? 'service charges' : null;
  if (r.key === 'rounding') setting = `rounding ${noun} ${r.value}`;
  else if (kind) setting = `${kind} ${noun} ${r.level === 'built_in' ? `(built-in ${r.value})` : r.value}`;
  else if (r.level === 'line') setting = `tax code ${r.key ?? ''} → ${r.value}`;
  else if (r.level === 'category') setting = `category '${r.key ?? ''}' ${noun} ${r.value}`;
  else if (r.level === 'organisation') setting = `default ${noun} ${r.value}`;
  else setting = `default ${noun} (built-in ${r.value})`;
  const place = r.key === 'rounding' ? 'Rounding' : kind ? 'Tips and service charges' : PLACE[what][r.level];
  return `${setting} (Xero settings, ${place})`;
}

/** "Mapping to fix: …" naming each setting behind a code Xero refused, or undefined when none is one of ours. */
export function mappingToFix(messages: readonly string[], coding: readonly CodedLineResolutions[]): string | undefined {
  const found: string[] = [];
  const add = (text: string) => {
    if (!found.includes(text)) found.push(text);
  };
  for (const message of messages) {
    for (const [, taxType] of message.matchAll(TAX_TYPE)) {
      for (const c of coding) if (c.taxType.value.toUpperCase() === taxType!.toUpperCase()) add(describe('tax', c.taxType));
    }
    for (const [, code] of message.matchAll(ACCOUNT)) {
      for (const c of coding) if (c.account.value.toUpperCase() === code!.toUpperCase()) add(describe('account', c.account));
    }
  }
  return found.length ? `Mapping to fix: ${found.join('; ')}` : undefined;
}
