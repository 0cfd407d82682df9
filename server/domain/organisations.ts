import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors';
import { nowMs, type Queryable } from '../db/knex';
import { isCurrencyCode } from './currency';
import { CONTROL_CHARACTER_MESSAGE, hasControlCharacters } from './text';

export interface Organisation {
  id: number;
  name: string;
  baseCurrency: string;
  timezone: string;
  createdAt: number;
}

const OrganisationInput = z.object({
  name: z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters').refine((v) => !hasControlCharacters(v), CONTROL_CHARACTER_MESSAGE),
  baseCurrency: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCurrencyCode, 'must be an ISO 4217 currency code such as GBP')
    .default('GBP'),
  timezone: z
    .string()
    .trim()
    .refine(isTimeZone, 'must be an IANA time zone such as Europe/London')
    .default('Europe/London'),
});

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

type Row = { id: number; name: string; base_currency: string; timezone: string; created_at: number };
const fromRow = (r: Row): Organisation => ({
  id: r.id, name: r.name, baseCurrency: r.base_currency, timezone: r.timezone, createdAt: Number(r.created_at),
});

export async function createOrganisation(db: Queryable, input: unknown): Promise<Organisation> {
  const parsed = OrganisationInput.safeParse(input);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  const [row] = await db('organisations')
    .insert({ name: parsed.data.name, base_currency: parsed.data.baseCurrency, timezone: parsed.data.timezone, created_at: nowMs() })
    .returning('*');
  return fromRow(row as Row);
}

export async function listOrganisations(db: Queryable): Promise<Organisation[]> {
  return ((await db('organisations').orderBy('id')) as Row[]).map(fromRow);
}

export async function getOrganisation(db: Queryable, id: number): Promise<Organisation> {
  const row = (await db('organisations').where({ id }).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`Organisation ${id}`);
  return fromRow(row);
}

/** `--org` may be omitted when the install has exactly one organisation. */
export async function resolveOrganisation(db: Queryable, id: number | undefined): Promise<Organisation> {
  if (id !== undefined) return getOrganisation(db, id);
  const all = await listOrganisations(db);
  if (all.length === 1) return all[0]!;
  throw new ValidationError(
    [{ path: 'org', message: all.length === 0 ? 'no organisation exists yet: create one with org:create' : `this install has ${all.length} organisations: pass --org <id>` }],
    'Which organisation?',
  );
}
