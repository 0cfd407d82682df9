// One organisation's settings for a payment provider, in the plugin's own `<id>_settings` table: a few
// plain facts (the account the key belongs to, a hint of the key) and secrets sealed with ctx.secrets under
// the organisation's data key. A secret left out of a save keeps the sealed value already there, so a form
// field left blank never wipes a working key. Values are opened only where used and never logged.
import type { Queryable, SealedColumnDeclaration, SecretBox } from '../../server/plugins/contract';

export interface SealedSettingsSpec<S extends string, F extends string> {
  /** The plugin's settings table, one row per organisation (`org_id` unique). */
  table: string;
  /** Its primary key column (re-sealing on key rotation addresses rows by it). */
  idColumn: string;
  /** Each secret's column stem: its value lives in `<stem>_sealed`, sealed for `<table>.<stem>:<orgId>`. */
  secrets: Record<S, string>;
  /** Plain facts kept beside the secrets: name → column. */
  facts: Record<F, string>;
}

export interface SavedSettings<S extends string, F extends string> {
  orgId: number;
  facts: Record<F, string>;
  /** Which secrets are saved (never their values). */
  saved: Record<S, boolean>;
  updatedBy: string;
  updatedAt: number;
  /** The sealed values, for `open` only. */
  sealed: Record<S, string | null>;
}

export interface SaveSettingsInput<S extends string, F extends string> {
  orgId: number;
  /** A secret given here replaces the saved one; one left out keeps it. */
  secrets: Partial<Record<S, string>>;
  /** Facts given here replace the saved ones; the first save needs them all. */
  facts: Partial<Record<F, string>>;
  by: string;
  now: number;
}

export interface SealedSettingsStore<S extends string, F extends string> {
  readonly table: string;
  /** Declared on the plugin definition: an organisation key rotation re-seals every secret column. */
  readonly sealedColumns: SealedColumnDeclaration;
  get(db: Queryable, orgId: number): Promise<SavedSettings<S, F> | undefined>;
  /** Every connected organisation, in id order. */
  all(db: Queryable): Promise<SavedSettings<S, F>[]>;
  /** The secret in clear (null when none is saved). */
  open(db: Queryable, secrets: SecretBox, settings: SavedSettings<S, F>, name: S): Promise<string | null>;
  /** Insert or update the organisation's row; pass a transaction so the seal and the row commit together. */
  save(db: Queryable, secrets: SecretBox, input: SaveSettingsInput<S, F>): Promise<void>;
  /** Forget the organisation's settings (disconnect). True when there were any. */
  remove(db: Queryable, orgId: number): Promise<boolean>;
}

type Row = Record<string, unknown>;

export function sealedSettingsStore<S extends string, F extends string>(spec: SealedSettingsSpec<S, F>): SealedSettingsStore<S, F> {
  const secretNames = Object.keys(spec.secrets) as S[];
  const factNames = Object.keys(spec.facts) as F[];
  const column = (name: S): string => `${spec.secrets[name]}_sealed`;
  const purpose = (name: S, orgId: number): string => `${spec.table}.${spec.secrets[name]}:${orgId}`;

  const fromRow = (row: Row): SavedSettings<S, F> => {
    const sealed = Object.fromEntries(secretNames.map((n) => [n, (row[column(n)] as string | null) ?? null])) as Record<S, string | null>;
    return {
      orgId: Number(row.org_id),
      facts: Object.fromEntries(factNames.map((n) => [n, String(row[spec.facts[n]] ?? '')])) as Record<F, string>,
      saved: Object.fromEntries(secretNames.map((n) => [n, Boolean(sealed[n])])) as Record<S, boolean>,
      updatedBy: String(row.updated_by),
      updatedAt: Number(row.updated_at),
      sealed,
    };
  };

  const get = async (db: Queryable, orgId: number): Promise<SavedSettings<S, F> | undefined> => {
    const row = (await db(spec.table).where({ org_id: orgId }).first()) as Row | undefined;
    return row ? fromRow(row) : undefined;
  };

  return {
    table: spec.table,
    sealedColumns: {
      table: spec.table, idColumn: spec.idColumn, orgColumn: 'org_id',
      columns: secretNames.map((n) => ({ name: column(n), purpose: (row: Row) => purpose(n, Number(row.org_id)) })),
    },
    get,
    async all(db) {
      return ((await db(spec.table).select('*').orderBy('org_id')) as Row[]).map(fromRow);
    },
    async open(db, secrets, settings, name) {
      const sealed = settings.sealed[name];
      return sealed ? secrets.openString(db, settings.orgId, purpose(name, settings.orgId), sealed) : null;
    },
    async save(db, secrets, input) {
      const existing = await get(db, input.orgId);
      const row: Row = { updated_by: input.by, updated_at: input.now };
      for (const name of secretNames) {
        const value = input.secrets[name];
        if (value !== undefined) row[column(name)] = await secrets.seal(db, input.orgId, purpose(name, input.orgId), value);
        else if (!existing?.saved[name]) throw new Error(`${spec.table}: the first save needs the ${name}`);
      }
      for (const name of factNames) {
        const value = input.facts[name];
        if (value !== undefined) row[spec.facts[name]] = value;
        else if (!existing) throw new Error(`${spec.table}: the first save needs the ${name}`);
      }
      if (existing) await db(spec.table).where({ org_id: input.orgId }).update(row);
      else await db(spec.table).insert({ org_id: input.orgId, ...row });
    },
    async remove(db, orgId) {
      return Number(await db(spec.table).where({ org_id: orgId }).delete()) > 0;
    },
  };
}
