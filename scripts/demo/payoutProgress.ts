// Watches the providers' payouts reach Xero the way the accountant sees them: logged in through the login
// form, reading the payouts list's CSV export (/plugins/xero/payouts.csv) until every payout the providers
// paid is listed and no longer on its way (posted, needs sign-off, discrepancy or failed).

export interface PayoutRow {
  payout: string;
  provider: string;
  arrivalDate: string;
  currency: string;
  amount: string;
  fees: string;
  status: string;
}

/** A logged-in browser without the browser: the session cookie kept between requests. */
export class Visitor {
  readonly #cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string> | undefined), cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) this.#cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return res;
  }

  /** The login form: GET for its CSRF token, POST email and password; a 303 means logged in. */
  async logIn(email: string, password: string): Promise<void> {
    const page = await (await this.fetch('/login')).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    if (!csrf) throw new Error('the login page has no CSRF token');
    const res = await this.fetch('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
    });
    if (res.status !== 303) throw new Error(`logging in as ${email} failed: ${res.status}`);
  }
}

/** The CSV export's rows (the app writes plain cells: no quotes in these columns). */
export function parsePayoutsCsv(csv: string): PayoutRow[] {
  const [header, ...lines] = csv.trim().split('\n');
  if (header !== 'payout,provider,arrival_date,currency,amount,fees,status') throw new Error(`unexpected payouts CSV header: ${header}`);
  return lines.filter(Boolean).map((line) => {
    const [payout = '', provider = '', arrivalDate = '', currency = '', amount = '', fees = '', status = ''] = line.split(',');
    return { payout, provider, arrivalDate, currency, amount, fees, status };
  });
}

export async function readPayouts(visitor: Visitor): Promise<PayoutRow[]> {
  const res = await visitor.fetch('/plugins/xero/payouts.csv');
  if (res.status !== 200) throw new Error(`GET /plugins/xero/payouts.csv: ${res.status}`);
  return parsePayoutsCsv(await res.text());
}

const ON_ITS_WAY = 'on its way';

/** Polls until every expected payout is listed and settled (or `timeoutMs` passes); `stopped()` ends it early. */
export async function waitForPayouts(
  visitor: Visitor,
  expected: string[],
  opts: { timeoutMs: number; stopped: () => boolean; pollMs?: number },
): Promise<{ rows: PayoutRow[]; settled: boolean }> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const rows = await readPayouts(visitor);
    const settled = expected.every((id) => rows.some((r) => r.payout === id && r.status !== ON_ITS_WAY));
    if (settled || opts.stopped() || Date.now() > deadline) return { rows, settled };
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 300));
  }
}

const PROVIDERS: Record<string, string> = { stripe: 'Stripe', gocardless: 'GoCardless' };

export function describePayout(row: PayoutRow): string {
  return `${(PROVIDERS[row.provider] ?? row.provider).padEnd(10)} ${row.payout.padEnd(28)} ${row.amount.padStart(9)} ${row.currency} (fees ${row.fees})  arriving ${row.arrivalDate}: ${row.status}`;
}
