// A day at the climbing centre, posted the way a booking system posts it: over /api/v1 with the till's
// bearer token and an Idempotency-Key per call. Deterministic (no randomness), so every demo run shows
// the same books: 17 sales across the last 12 hours. Most are paid at the till (card terminal, cash);
// four at the online checkout by card through Stripe and two by Direct Debit through GoCardless — those
// are posted unpaid and the providers' webhooks record the payments on them, as in production; one
// party booked by phone waits for a card payment taken in Stripe's dashboard, which names no sale.
// Two of the card sales are refunded (in the app and at Stripe).
import { saleName } from '../../server/domain/saleName';

interface DemoLine {
  description: string;
  quantity: number;
  unitPrice: string;
  category?: string;
}

interface DemoSale {
  customer: { name: string; email: string | null };
  lines: DemoLine[];
  /**
   * card_terminal/cash: paid at the till for the whole total. stripe/gocardless: paid through the
   * provider (its webhook records the payment). phone: booked by phone, paid later outside the app.
   */
  method: 'card_terminal' | 'cash' | 'stripe' | 'gocardless' | 'phone';
}

const DAY_PASS: DemoLine = { description: 'Climbing day pass', quantity: 1, unitPrice: '14.50' };
const SHOES: DemoLine = { description: 'Shoe hire', quantity: 1, unitPrice: '3.25', category: 'hire' };
const HARNESS: DemoLine = { description: 'Harness hire', quantity: 1, unitPrice: '2.00', category: 'hire' };
const COACHING: DemoLine = { description: 'Coaching session (1 hour)', quantity: 1, unitPrice: '35.00' };
const PUNCH_CARD: DemoLine = { description: '10-visit card', quantity: 1, unitPrice: '120.00' };
const CHALK: DemoLine = { description: 'Chalk bag', quantity: 1, unitPrice: '8.00' };
const PARTY: DemoLine = { description: 'Birthday party (8 climbers, 2 hours)', quantity: 1, unitPrice: '96.00' };

const SALES: DemoSale[] = [
  { customer: { name: 'Ada Lovelace', email: 'ada@example.com' }, lines: [DAY_PASS, SHOES], method: 'card_terminal' },
  { customer: { name: 'Grace Hopper', email: 'grace@example.com' }, lines: [PUNCH_CARD], method: 'stripe' },
  { customer: { name: 'Alan Turing', email: null }, lines: [DAY_PASS], method: 'cash' },
  { customer: { name: 'Katherine Johnson', email: 'katherine@example.com' }, lines: [COACHING], method: 'gocardless' },
  { customer: { name: 'Tim Berners-Lee', email: 'tim@example.com' }, lines: [DAY_PASS, SHOES, HARNESS], method: 'card_terminal' },
  { customer: { name: 'Hedy Lamarr', email: null }, lines: [CHALK, { ...DAY_PASS, quantity: 2 }], method: 'cash' },
  { customer: { name: 'Margaret Hamilton', email: 'margaret@example.com' }, lines: [DAY_PASS, { ...SHOES, quantity: 2 }], method: 'stripe' },
  { customer: { name: 'Linus Torvalds', email: 'linus@example.com' }, lines: [COACHING, HARNESS], method: 'card_terminal' },
  { customer: { name: 'Barbara Liskov', email: 'barbara@example.com' }, lines: [PUNCH_CARD, CHALK], method: 'gocardless' },
  { customer: { name: 'Dennis Ritchie', email: null }, lines: [DAY_PASS], method: 'card_terminal' },
  { customer: { name: 'Frances Allen', email: 'frances@example.com' }, lines: [{ ...DAY_PASS, quantity: 3 }, { ...SHOES, quantity: 3 }], method: 'stripe' },
  { customer: { name: 'Ken Thompson', email: null }, lines: [CHALK], method: 'cash' },
  { customer: { name: 'Radia Perlman', email: 'radia@example.com' }, lines: [DAY_PASS, HARNESS], method: 'card_terminal' },
  { customer: { name: 'John McCarthy', email: 'john@example.com' }, lines: [COACHING], method: 'stripe' },
  { customer: { name: 'Sophie Wilson', email: 'sophie@example.com' }, lines: [DAY_PASS, SHOES], method: 'card_terminal' },
  { customer: { name: 'Annie Easley', email: null }, lines: [DAY_PASS], method: 'cash' },
  { customer: { name: 'Mary Somerville', email: 'mary@example.com' }, lines: [PARTY], method: 'phone' },
];

/** The refunds of the day, both of card (Stripe) sales: a cancelled coaching session, one climber of three who did not come. */
const REFUNDS: { saleIndex: number; amount: string | null; reason: string }[] = [
  { saleIndex: 13, amount: null, reason: 'session cancelled' },
  { saleIndex: 10, amount: '14.50', reason: 'one climber did not come' },
];

const toMinor = (price: string): number => Math.round(Number(price) * 100);
const fromMinor = (minor: number): string => (minor / 100).toFixed(2);
const totalMinorOf = (sale: DemoSale): number => sale.lines.reduce((sum, l) => sum + l.quantity * toMinor(l.unitPrice), 0);

export interface PostedSale {
  id: number;
  reference: string;
  method: DemoSale['method'];
  amountMinor: number;
  customer: { name: string; email: string | null };
  description: string;
}

export interface PostedRefund {
  saleId: number;
  /** The sale's one name ("Sale DEMO-…"), for the demo's messages. */
  saleName: string;
  /** Null: the whole sale. */
  amountMinor: number | null;
  reason: string;
}

class DemoApiError extends Error {}

async function post(appUrl: string, token: string, path: string, key: string, body: unknown): Promise<{ id: number }> {
  const res = await fetch(`${appUrl}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new DemoApiError(`POST ${path}: ${res.status} ${text.slice(0, 500)}`);
  const parsed = JSON.parse(text) as { id?: number; refund?: { id: number }; payment?: { id: number } };
  return { id: Number(parsed.id ?? parsed.refund?.id ?? parsed.payment?.id) };
}

/** Post the day's sales, each at its time over the last 12 hours; the till's payments go with them. */
export async function postDaySales(appUrl: string, token: string, run: string, now = Date.now()): Promise<PostedSale[]> {
  const spacing = Math.floor((12 * 3_600_000) / SALES.length);
  const posted: PostedSale[] = [];
  for (const [i, sale] of SALES.entries()) {
    const reference = `TILL-${String(i + 1).padStart(3, '0')}`;
    const occurredAt = new Date(now - (SALES.length - i) * spacing).toISOString();
    const atTill = sale.method === 'card_terminal' || sale.method === 'cash';
    const { id } = await post(appUrl, token, '/sales', `demo-${run}-sale-${i}`, {
      reference,
      occurredAt,
      currency: 'GBP',
      customer: sale.customer,
      lines: sale.lines,
      payments: atTill ? [{ method: sale.method, amount: fromMinor(totalMinorOf(sale)) }] : [],
    });
    posted.push({ id, reference, method: sale.method, amountMinor: totalMinorOf(sale), customer: sale.customer, description: sale.lines.map((l) => l.description).join(', ') });
  }
  return posted;
}

/** The day's refunds, against the sales `postDaySales` returned (same order). */
export function dayRefunds(sales: PostedSale[]): PostedRefund[] {
  return REFUNDS.map((r) => {
    const sale = sales[r.saleIndex];
    // No such sale, so no name to give: the demo's own list is wrong.
    if (!sale) throw new Error(`the demo's refund "${r.reason}" is of SALES[${r.saleIndex}], but the day has ${sales.length} sales`);
    return { saleId: sale.id, saleName: saleName(sale), amountMinor: r.amount === null ? null : toMinor(r.amount), reason: r.reason };
  });
}

/** A refund in the app, paid back through Stripe (providerRef: Stripe's refund id). */
export async function postRefund(appUrl: string, token: string, run: string, refund: PostedRefund, providerRef: string): Promise<void> {
  await post(appUrl, token, `/sales/${refund.saleId}/refunds`, `demo-${run}-refund-${refund.saleId}`, refund.amountMinor === null
    ? { kind: 'full', method: 'stripe', providerRef, reason: refund.reason }
    : { kind: 'amount', amount: fromMinor(refund.amountMinor), method: 'stripe', providerRef, reason: refund.reason });
}

export const DEMO_SALE_COUNT = SALES.length;
