// Which columns hold sealed values, so rotating an organisation's data key can re-seal every one of
// them generically. Plugins declare theirs on their definition (sealedColumns); the registry is built from
// the installed plugins (server/plugins/registry.ts), never filled as a side effect of importing a module.

export interface SealedColumn {
  name: string;
  /** The purpose (AAD) the value was sealed with, computed from its row, e.g. `xero_connections.token:${row.id}`. */
  purpose(row: Record<string, unknown>): string;
}

export interface SealedColumnSpec {
  table: string;
  idColumn: string;
  orgColumn: string;
  columns: SealedColumn[];
}

export interface SealedColumnRegistry {
  register(spec: SealedColumnSpec): void;
  list(): readonly SealedColumnSpec[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function createSealedColumnRegistry(): SealedColumnRegistry {
  const specs = new Map<string, SealedColumnSpec>();
  return {
    register(spec) {
      for (const ident of [spec.table, spec.idColumn, spec.orgColumn, ...spec.columns.map((c) => c.name)]) {
        if (!IDENT.test(ident)) throw new Error(`registerSealedColumns: "${ident}" is not a plain SQL identifier`);
      }
      if (spec.columns.length === 0) throw new Error(`registerSealedColumns: ${spec.table} lists no columns`);
      // Re-registering the same table (a module imported twice, a test) replaces rather than duplicates.
      specs.set(spec.table, { ...spec, columns: [...spec.columns] });
    },
    list: () => [...specs.values()],
  };
}
