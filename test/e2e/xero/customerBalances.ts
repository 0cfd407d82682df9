// Each customer's balance and the gift vouchers' liability, read two ways: from the Xero emulator's books
// (over its control API, the documents an accountant sees on a contact) and from the booking system's own API.
// Integer pennies throughout; positive: the customer owes, negative: the customer is owed.
import request from 'supertest';
import type { Express } from 'express';

type Doc = Record<string, unknown>;

const cents = (amount: unknown): number => Math.round(Number(amount ?? 0) * 100);
const contactNumber = (doc: Doc): string => String((doc.Contact as Doc | undefined)?.ContactNumber ?? (doc.Contact as Doc | undefined)?.ContactID ?? '?');
const live = (doc: Doc): boolean => doc.Status === 'AUTHORISED' || doc.Status === 'PAID';
const add = (m: Map<string, number>, key: string, value: number) => m.set(key, (m.get(key) ?? 0) + value);

/** A tenant's collections, as the emulator's control API lists them. */
export type Books = (collection: string) => Promise<Doc[]>;

export function booksAt(emulatorUrl: string, tenantId: string): Books {
  return async (collection) => {
    const res = await request(emulatorUrl).get(`/_emulator/tenants/${tenantId}/${collection}`);
    if (res.status !== 200) throw new Error(`${collection}: ${res.status} ${res.text.slice(0, 200)}`);
    return res.body.items as Doc[];
  };
}

/**
 * What Xero says each contact (by ContactNumber, LB-C-<customer>) owes: its sales invoices' AmountDue, less
 * what its credit notes, prepayments and overpayments still hold (RemainingCredit) — the contact's balance
 * in Xero, receivable less unallocated credit.
 */
export async function xeroBalances(books: Books): Promise<Map<string, number>> {
  const balances = new Map<string, number>();
  for (const inv of await books('invoices')) if (inv.Type === 'ACCREC' && live(inv)) add(balances, contactNumber(inv), cents(inv.AmountDue));
  for (const note of await books('creditnotes')) if (note.Type === 'ACCRECCREDIT' && live(note)) add(balances, contactNumber(note), -cents(note.RemainingCredit));
  for (const p of await books('prepayments')) if (p.Type === 'RECEIVE-PREPAYMENT' && live(p)) add(balances, contactNumber(p), -cents(p.RemainingCredit));
  for (const o of await books('overpayments')) if (o.Type === 'RECEIVE-OVERPAYMENT' && live(o)) add(balances, contactNumber(o), -cents(o.RemainingCredit));
  return balances;
}

/**
 * The balance of one account in Xero, credit side positive (a liability's balance): its invoice lines (credit),
 * credit note lines (debit), payments into it on invoices (debit) and out of it on credit notes and
 * prepayments (credit), bank transactions through it, and manual journal lines (positive: debit).
 */
export async function xeroCreditBalance(books: Books, accountCode: string): Promise<number> {
  let balance = 0;
  const linesOn = (doc: Doc) => ((doc.LineItems as Doc[] | undefined) ?? []).filter((l) => l.AccountCode === accountCode);
  for (const inv of await books('invoices')) if (inv.Type === 'ACCREC' && live(inv)) for (const l of linesOn(inv)) balance += cents(l.LineAmount);
  for (const note of await books('creditnotes')) if (note.Type === 'ACCRECCREDIT' && live(note)) for (const l of linesOn(note)) balance -= cents(l.LineAmount);
  for (const p of await books('payments')) {
    if (p.Status !== 'AUTHORISED' || (p.Account as Doc | undefined)?.Code !== accountCode) continue;
    balance += p.Invoice ? -cents(p.Amount) : cents(p.Amount);
  }
  for (const t of await books('banktransactions')) {
    if (t.Status === 'DELETED' || t.Status === 'VOIDED') continue;
    const into = (t.BankAccount as Doc | undefined)?.Code === accountCode;
    const receive = String(t.Type).startsWith('RECEIVE');
    if (into) balance += receive ? -cents(t.Total) : cents(t.Total);
    for (const l of linesOn(t)) balance += receive ? cents(l.LineAmount) : -cents(l.LineAmount);
  }
  for (const j of await books('manualjournals')) {
    if (j.Status !== 'POSTED') continue;
    for (const l of ((j.JournalLines as Doc[] | undefined) ?? []).filter((x) => x.AccountCode === accountCode)) balance -= cents(l.LineAmount);
  }
  return balance;
}

export interface SaleView {
  id: number;
  currency: string;
  total: string;
  paid: string;
  refunded: string;
  outstanding: string;
  customer: { id: number; name: string };
  customerCredit: { currency: string; amount: string }[];
  lines: { id: number; lineTotal: string; refunded: string }[];
  payments: { id: number; method: string; amount: string; toCredit?: string }[];
  refunds: { id: number; amount: string; method: string | null }[];
  vouchers: { code: string; amount: string; balance: string; status: string }[];
}

/**
 * What the sale still asks of its customer, by the booking system's own figures (its API): total − paid −
 * refunds that gave no money back. Negative when a refund left the customer in credit; the API's
 * `outstanding` is this, never below zero.
 */
export function dueOf(sale: SaleView): number {
  return cents(sale.total) - cents(sale.paid) - sale.refunds.filter((r) => r.method === null).reduce((sum, r) => sum + cents(r.amount), 0);
}

/** What the booking system's API says each customer owes (LB-C-<customer>): what their sales ask, less their credit. */
export async function hostBalances(app: Express, token: string, saleIds: readonly number[], currency: string): Promise<{ balances: Map<string, number>; sales: SaleView[] }> {
  const balances = new Map<string, number>();
  const credit = new Map<string, number>();
  const sales: SaleView[] = [];
  for (const id of saleIds) {
    const res = await request(app).get(`/api/v1/sales/${id}`).set('authorization', `Bearer ${token}`);
    if (res.status !== 200) throw new Error(`sale ${id}: ${res.status} ${res.text.slice(0, 200)}`);
    const sale = res.body as SaleView;
    sales.push(sale);
    const key = `LB-C-${sale.customer.id}`;
    add(balances, key, dueOf(sale));
    credit.set(key, cents(sale.customerCredit.find((c) => c.currency === currency)?.amount ?? 0));
  }
  for (const [key, minor] of credit) add(balances, key, -minor);
  return { balances, sales };
}

/** Keys whose two balances differ, each with both figures in pounds. */
export function balanceDifferences(xero: Map<string, number>, host: Map<string, number>): string[] {
  const text = (minor: number | undefined) => ((minor ?? 0) / 100).toFixed(2);
  return [...new Set([...xero.keys(), ...host.keys()])].sort()
    .filter((k) => (xero.get(k) ?? 0) !== (host.get(k) ?? 0))
    .map((k) => `${k}: Xero ${text(xero.get(k))}, booking system ${text(host.get(k))}`);
}
