// Xero's filter language (the `where` parameter), for look-ups by natural key: one call for a whole batch.

/** A where-clause string literal. */
export function whereString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `Field=="a" OR Field=="b"`. */
export function whereAnyOf(fieldName: string, values: readonly string[]): string {
  return [...new Set(values)].map((v) => `${fieldName}==${whereString(v)}`).join(' OR ');
}
