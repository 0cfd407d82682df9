// History & notes: Xero keeps an audit line per change of a record, and lets apps add notes
// (PUT /{Endpoint}/{id}/History with {HistoryRecords:[{Details}]}).
import type { Book, HistoryEndpoint, HistoryRecordEntry } from './model';

export const SYSTEM_USER = 'System Generated';

export function recordHistory(book: Book, endpoint: HistoryEndpoint, objectId: string, changes: string, details: string, at: number, user = SYSTEM_USER): HistoryRecordEntry {
  const entry: HistoryRecordEntry = { endpoint, objectId, DateUTC: at, User: user, Changes: changes, Details: details };
  book.history.push(entry);
  return entry;
}

export function historyOf(book: Book, endpoint: HistoryEndpoint, objectId: string): HistoryRecordEntry[] {
  // Xero lists the newest change first.
  return book.history.filter((h) => h.endpoint === endpoint && h.objectId === objectId).sort((a, b) => b.DateUTC - a.DateUTC);
}
