// How the sync log and a record's audit trail show their rows (issue 14), pure: pages of the log, history
// notes folded under the record they were added to, people named as people (not "user:1"), and Xero's ids
// in messages replaced by the record's number ("INV-0042"), which is what an accountant looks up in Xero.

/** Rows on one page of the sync log. */
export const LOG_PAGE_SIZE = 50;

/** `?page=` as a page number from 1; anything else (absent, 0, "two", 1.5) is the first page. */
export function pageNumber(value: unknown): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

export interface LogPage<T> {
  rows: T[];
  page: number;
  /** 1-based positions of the first and last row shown among all matching rows (0, 0 when none). */
  first: number;
  last: number;
  hasNewer: boolean;
  hasOlder: boolean;
}

/**
 * One page from the rows read for it: `fetched` is up to `size + 1` rows starting at `(page - 1) * size`,
 * the extra row only telling that an older page exists.
 */
export function logPage<T>(fetched: readonly T[], page: number, size = LOG_PAGE_SIZE): LogPage<T> {
  const rows = fetched.slice(0, size);
  const offset = (page - 1) * size;
  return { rows, page, first: rows.length ? offset + 1 : 0, last: offset + rows.length, hasNewer: page > 1, hasOlder: fetched.length > size };
}

/** The rows of one page to read from the database: offset and limit (one more than shown). */
export function pageWindow(page: number, size = LOG_PAGE_SIZE): { offset: number; limit: number } {
  return { offset: (page - 1) * size, limit: size + 1 };
}

// ------------------------------------------------------------------------------------------ history notes

export interface LoggedRecord {
  entityType: string;
  entityId: number;
  recordType: string;
  action: string;
}

const recordKey = (r: LoggedRecord) => `${r.entityType}:${r.entityId}:${r.recordType}`;
/**
 * Which row a note belongs under: the one that created the record in Xero, else one that adopted it after a
 * lookup (a "Send now" adopts what is already there), else any of the record's rows.
 */
const HOME_RANK: Record<string, number> = { created: 2, adopted: 1 };
const rankOf = (r: LoggedRecord) => HOME_RANK[r.action] ?? 0;

/**
 * History notes ("Created by Ledgerbridge from sale 12") folded under the row of the record they were
 * added to: the row that created it (the earliest, as rows come newest first), else one that adopted it,
 * else the record's first row on the page. Notes are kept
 * in the order given. Notes whose record has no row here are returned apart (`unplaced`), never dropped.
 */
export function foldHistoryNotes<R extends LoggedRecord>(rows: readonly R[], notes: readonly R[]): { rows: (R & { notes: R[] })[]; unplaced: R[] } {
  const folded = rows.map((r) => ({ ...r, notes: [] as R[] }));
  const home = new Map<string, R & { notes: R[] }>();
  for (const row of folded) {
    const key = recordKey(row);
    const current = home.get(key);
    // Among equals, the earliest (rows come newest first): the record's first creation, not a later one.
    if (!current || rankOf(row) > rankOf(current) || (rankOf(row) > 0 && rankOf(row) === rankOf(current))) home.set(key, row);
  }
  const unplaced: R[] = [];
  for (const note of notes) {
    const row = home.get(recordKey(note));
    if (row) row.notes.push(note);
    else unplaced.push(note);
  }
  return { rows: folded, unplaced };
}

// ------------------------------------------------------------------------------------------ people

/** A person as every page of the log names them: "Ada Lovelace (ada@example.com)". */
export function actorLabel(person: { name: string; email?: string | null }): string {
  const name = person.name.trim();
  const email = person.email?.trim();
  if (!email || email.toLowerCase() === name.toLowerCase()) return name || (email ?? '');
  return name ? `${name} (${email})` : email;
}

/** What the sync itself did (events, schedules, sweeps), in the "By" column. */
export const SYSTEM_ACTOR = 'Ledgerbridge (automatic)';

/**
 * Who a row says acted: the system, the person named on the row, else the person named on another row of
 * the same `triggeredBy` (a worker's row for someone's "Send now"), else — a row written before people were
 * named — that they were a person, by number.
 */
export function actorShown(row: { triggeredBy: string; actor: string | null }, known: ReadonlyMap<string, string>): string {
  if (row.triggeredBy === 'system') return SYSTEM_ACTOR;
  const named = row.actor ?? known.get(row.triggeredBy);
  if (named) return named;
  const id = /^user:(\d+)$/.exec(row.triggeredBy)?.[1];
  return id ? `person #${id} (not named in this log)` : row.triggeredBy;
}

// ------------------------------------------------------------------------------------------ Xero ids

const XERO_ID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/** The distinct Xero ids (GUIDs) in these texts, lower case. */
export function xeroIdsIn(texts: readonly (string | null | undefined)[]): string[] {
  const ids = new Set<string>();
  for (const text of texts) for (const match of (text ?? '').matchAll(XERO_ID)) ids.add(match[0].toLowerCase());
  return [...ids];
}

/** The text with each Xero id whose record has a number replaced by it; ids without one stay as they are. */
export function nameXeroIds(text: string, numbers: ReadonlyMap<string, string>): string {
  return text.replace(XERO_ID, (id) => numbers.get(id.toLowerCase()) ?? id);
}

/** A Xero record a message names by its id, as a person knows it: its number or name, what it is, its page in Xero. */
export interface KnownXeroRecord {
  /** Shown instead of the id: "LB-16", "Ada Lovelace". */
  name: string;
  /** What it is, for the link's title: "Xero invoice LB-16". */
  what: string;
  /** Its page in Xero's web app, or null when Xero has none for it. */
  href: string | null;
}

export type MessagePart = { text: string; record?: undefined } | { text: string; record: KnownXeroRecord };

/**
 * A message (Xero's ValidationError text, ours) cut into text and the records it names by Xero id, so a page
 * shows "LB-16" linked to the invoice instead of a GUID. An id we do not know stays as it is, in the text.
 */
export function messageParts(text: string, known: ReadonlyMap<string, KnownXeroRecord>): MessagePart[] {
  const parts: MessagePart[] = [];
  let plain = '';
  let at = 0;
  for (const match of text.matchAll(XERO_ID)) {
    const record = known.get(match[0].toLowerCase());
    if (!record) continue;
    plain += text.slice(at, match.index);
    if (plain) parts.push({ text: plain });
    parts.push({ text: record.name, record });
    plain = '';
    at = match.index + match[0].length;
  }
  plain += text.slice(at);
  if (plain) parts.push({ text: plain });
  return parts;
}
