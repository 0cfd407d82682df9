// Which columns hold sealed values, so rotating an organisation's data key can re-seal every one of
// them generically. Each owner (the Xero plugin, the host) registers its own columns at import time.

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

/** The process-wide registry that plugins register into and the rotation command reads. */
export const sealedColumns: SealedColumnRegistry = createSealedColumnRegistry();

export function registerSealedColumns(spec: SealedColumnSpec): void {
  sealedColumns.register(spec);
}
