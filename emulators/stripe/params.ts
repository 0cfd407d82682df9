// Reading Stripe-style parameters. Bodies are form-encoded with bracket notation
// (`metadata[sale_id]=12`, `expand[0]=source`), parsed by qs (express.urlencoded extended and the
// extended query parser), so a parameter is a string, an array or a nested object here. Stripe refuses
// unknown parameters and names the one it refused; so do we.
import { invalidRequest } from './errors';

export type Params = Record<string, unknown>;

export function checkKnown(params: Params, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw invalidRequest(`Received unknown parameter: ${key}`, key, 'parameter_unknown');
  }
}

export function str(params: Params, name: string, required: true): string;
export function str(params: Params, name: string, required?: false): string | undefined;
export function str(params: Params, name: string, required = false): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') {
    if (required) throw invalidRequest(`Missing required param: ${name}.`, name, 'parameter_missing');
    return undefined;
  }
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${name} must be a string`, name, 'parameter_invalid_string');
  return value;
}

export function int(params: Params, name: string, required: true): number;
export function int(params: Params, name: string, required?: false): number | undefined;
export function int(params: Params, name: string, required = false): number | undefined {
  const raw = str(params, name, required as false);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw invalidRequest(`Invalid integer: ${raw}`, name, 'parameter_invalid_integer');
  return Number(raw);
}

export function bool(params: Params, name: string): boolean | undefined {
  const raw = str(params, name);
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false') throw invalidRequest(`Invalid boolean: ${raw}`, name);
  return raw === 'true';
}

export function list(params: Params, name: string): string[] {
  const value = params[name];
  if (value === undefined || value === '') return [];
  const items = Array.isArray(value) ? value : typeof value === 'object' && value !== null ? Object.values(value) : [value];
  return items.map((item) => {
    if (typeof item !== 'string') throw invalidRequest(`Invalid array: ${name}`, name);
    return item;
  });
}

/** Stripe metadata: ≤ 50 keys, keys ≤ 40 chars, values ≤ 500 chars; an empty value removes a key on update. */
export function metadata(params: Params, current: Record<string, string> = {}): Record<string, string> {
  const value = params.metadata;
  if (value === undefined || value === '') return { ...current };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidRequest('Invalid object', 'metadata');
  const out = { ...current };
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw invalidRequest(`Invalid value for metadata[${key}]: must be a string`, `metadata[${key}]`);
    if (key.length > 40) throw invalidRequest(`Metadata keys can have a maximum length of 40 characters: ${key}`, `metadata[${key}]`);
    if (v.length > 500) throw invalidRequest(`Metadata values can have a maximum length of 500 characters`, `metadata[${key}]`);
    if (v === '') delete out[key];
    else out[key] = v;
  }
  if (Object.keys(out).length > 50) throw invalidRequest('You can have at most 50 metadata keys', 'metadata');
  return out;
}

/** `created[gte]=…` style ranges, or a plain value meaning equality. Seconds. */
export function range(params: Params, name: string): ((t: number) => boolean) | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') {
    const at = int(params, name)!;
    return (t) => t === at;
  }
  if (typeof value !== 'object' || value === null) throw invalidRequest(`Invalid ${name}`, name);
  const bounds: [string, (a: number, b: number) => boolean][] = [
    ['gt', (a, b) => a > b], ['gte', (a, b) => a >= b], ['lt', (a, b) => a < b], ['lte', (a, b) => a <= b],
  ];
  const checks: ((t: number) => boolean)[] = [];
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const op = bounds.find(([k]) => k === key);
    if (!op || typeof raw !== 'string' || !/^\d+$/.test(raw)) throw invalidRequest(`Invalid ${name}[${key}]`, `${name}[${key}]`);
    const bound = Number(raw);
    checks.push((t) => op[1](t, bound));
  }
  return (t) => checks.every((c) => c(t));
}
