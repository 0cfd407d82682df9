// Xero's JSON dates. Responses carry .NET "MS dates" (`/Date(1573755038314+0000)/`), which xero-node's
// ObjectSerializer turns into Date objects; requests may send ISO dates ("2024-01-31" or
// "2024-01-31T00:00:00") or MS dates. Document dates (Date, DueDate) are calendar days, kept here as the
// epoch milliseconds of that day's UTC midnight.

const MS_DATE_RE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DAY_MS = 86_400_000;

/** `/Date(ms+0000)/` — the form Xero uses for UpdatedDateUTC and document dates. */
export function msDate(epochMs: number): string {
  return `/Date(${Math.trunc(epochMs)}+0000)/`;
}

/** `2024-01-31T00:00:00` — Xero's companion DateString / DueDateString fields. */
export function dateString(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

/** UTC midnight of the day containing epochMs. */
export function startOfDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS;
}

/** A request date (ISO or MS date) as epoch ms, or undefined when it cannot be read. */
export function parseXeroDateTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const ms = MS_DATE_RE.exec(text);
  if (ms) return Number(ms[1]);
  const iso = ISO_RE.exec(text);
  if (!iso) {
    // HTTP dates, e.g. an If-Modified-Since header "Wed, 21 Oct 2015 07:28:00 GMT".
    const parsed = Date.parse(text);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = iso;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(utc);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return undefined;
  if (!zone || zone === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return utc - sign * offsetMin * 60_000;
}

/** A request calendar date as the epoch ms of its UTC midnight. */
export function parseXeroDate(value: unknown): number | undefined {
  // An ISO date names a calendar day whatever offset follows it; only MS dates are instants.
  const iso = typeof value === 'string' ? ISO_RE.exec(value.trim()) : null;
  if (iso && parseXeroDateTime(value) !== undefined) return Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]));
  const parsed = parseXeroDateTime(value);
  return parsed === undefined ? undefined : startOfDay(parsed);
}
