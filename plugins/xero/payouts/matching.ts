// Matching charges whose sale we do not know to open invoices in Xero: the open ACCREC invoices are read
// once per run (paged, at most MAX_PAGES pages), their contacts' emails in batches, each charge scored
// (scoring.ts, pure) and the decision kept in xero_payout_matches with the ranked candidates. A decision
// is made once: later runs (and people signing off) read it back. Every decision goes to the audit trail.
import { minorUnitDigits, type PayoutLineView, type PayoutView } from '../../../server/plugins/contract';
import { xeroCentsToMinor } from '../payloads/arithmetic';
import { writeAudit, type AuditEntry } from '../engine/audit';
import type { XeroSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import type { TriggeredBy } from '../engine/types';
import type { LineMatch } from './plan';
import { decideMatch, type OpenInvoice } from './scoring';
import { matchesOf } from './store';

/** 100 invoices a page: up to 1,000 open invoices are considered per run. */
export const MAX_PAGES = 10;

export async function readOpenInvoices(session: XeroSession, currency: string): Promise<OpenInvoice[]> {
  const digits = minorUnitDigits(currency);
  const toMinor = (cents: number) => Number(xeroCentsToMinor(BigInt(cents), digits));
  const open: { invoice: OpenInvoice; contactId: string | null }[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const rows = await session.xero.openInvoices({ currency, page });
    for (const inv of rows) {
      const due = toMinor(inv.amountDueCents);
      if (due <= 0) continue;
      open.push({
        contactId: inv.contact?.contactId ?? null,
        invoice: {
          invoiceId: inv.invoiceId, invoiceNumber: inv.number ?? '', currency, amountDueMinor: due, totalMinor: toMinor(inv.totalCents), date: inv.date,
          contactName: inv.contact?.name ?? null, contactEmail: inv.contact?.email ?? null,
        },
      });
    }
    if (rows.length < 100) break;
  }
  // Invoice lists carry the contact's name, not always its email: one lookup per 50 contacts.
  const ids = [...new Set(open.map((o) => o.contactId).filter((id): id is string => id !== null))];
  const emails = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 50) {
    for (const c of await session.xero.getContacts(ids.slice(i, i + 50))) if (c.email) emails.set(c.contactId.toLowerCase(), c.email);
  }
  return open.map(({ invoice, contactId }) => (!invoice.contactEmail && contactId ? { ...invoice, contactEmail: emails.get(contactId.toLowerCase()) ?? null } : invoice));
}

export async function matchUnknownCharges(
  svc: XeroServices, session: XeroSession, orgId: number, payout: PayoutView, charges: PayoutLineView[], threshold: number, triggeredBy: TriggeredBy,
): Promise<Map<number, LineMatch>> {
  const { ctx } = svc;
  const decided = await matchesOf(ctx.db, orgId, payout.id);
  const result = new Map<number, LineMatch>();
  const open = charges.filter((c) => !decided.has(c.id));
  for (const [lineId, row] of decided) {
    result.set(lineId, row.status === 'suspense' ? { status: 'suspense' } : row.status === 'queued' ? { status: 'queued' } : { status: row.status, invoiceId: row.invoice_id! });
  }
  if (open.length === 0) return result;

  const invoices = await readOpenInvoices(session, payout.currency);
  // Two charges must not both take the same invoice's last penny: what is due shrinks as we go.
  const dueLeft = new Map(invoices.map((i) => [i.invoiceId, i.amountDueMinor]));
  const now = ctx.clock.now();
  for (const line of open) {
    const current = invoices.map((i) => ({ ...i, amountDueMinor: dueLeft.get(i.invoiceId)! })).filter((i) => i.amountDueMinor > 0);
    const decision = decideMatch({
      amountMinor: line.amountMinor, currency: payout.currency, counterpartyName: line.counterpartyName, counterpartyEmail: line.counterpartyEmail,
      reference: line.reference, description: line.description, occurredAt: line.occurredAt,
    }, current, threshold);
    const best = decision.kind === 'auto' ? decision.best : null;
    // The decision and its audit entry are kept together: a later step of this attempt failing (a 429, a
    // timeout) must not leave a decision whose "why" was never written.
    const entry: AuditEntry = {
      orgId, entityType: 'payout', entityId: payout.id, recordType: 'payout_match', triggeredBy,
      action: best ? 'matched' : 'queued', outcome: best ? 'ok' : 'skipped',
      request: { line: line.id, charge: line.chargeRef ?? line.sourceId, amountMinor: line.amountMinor },
      response: { candidates: decision.candidates.map((c) => ({ invoice: c.invoiceNumber, score: c.score, reasons: c.reasons })) },
      message: best ? `charge ${line.sourceId} matched to ${best.invoiceNumber} at ${best.score} % (threshold ${threshold} %)` : `charge ${line.sourceId} waits for sign-off: ${decision.kind === 'queued' ? decision.why : ''}`,
    };
    await ctx.db.transaction(async (trx) => {
      const inserted = (await trx('xero_payout_matches').insert({
        org_id: orgId, payout_id: payout.id, line_id: line.id, status: decision.kind, invoice_id: best?.invoiceId ?? null, invoice_number: best?.invoiceNumber ?? null,
        currency: payout.currency, score: best?.score ?? decision.candidates[0]?.score ?? null, candidates: JSON.stringify(decision.candidates),
        decided_by: best ? 'system' : null, decided_at: best ? now : null, updated_at: now,
      }).onConflict(['org_id', 'line_id']).ignore().returning('line_id')) as unknown[];
      if (inserted.length > 0) await writeAudit(trx, entry, now);
    });
    if (best) {
      dueLeft.set(best.invoiceId, dueLeft.get(best.invoiceId)! - line.amountMinor);
      result.set(line.id, { status: 'auto', invoiceId: best.invoiceId });
    } else {
      result.set(line.id, { status: 'queued' });
    }
  }
  return result;
}
