// Matching charges whose sale we do not know to open invoices in Xero: the open ACCREC invoices are read
// once per run (paged, at most MAX_PAGES pages), their contacts' emails in batches, each charge scored
// (scoring.ts, pure) and the decision kept in xero_payout_matches with the ranked candidates. A decision
// is made once: later runs (and people signing off) read it back. Every decision goes to the audit trail.
// A charge that would wait for a person and names nothing of ours is offered to the payout rules
// (rules.ts) first: the first that fits posts it to its account, and the decision names the rule. The
// one exception to "made once": a line decided to an account that Xero has since archived or deleted goes
// back to the queue (requeueUnavailable), since no retry could ever post it there.
import { minorUnitDigits, type PayoutLineView, type PayoutView } from '../../../server/plugins/contract';
import { xeroCentsToMinor } from '../payloads/arithmetic';
import { writeAudit, type AuditEntry } from '../engine/audit';
import type { XeroSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import type { TriggeredBy } from '../engine/types';
import type { LineMatch } from './plan';
import { decideMatch, type OpenInvoice } from './scoring';
import { matchesOf, type MatchRow } from './store';
import { ruleForQueuedLine, type PayoutRule } from './rules';
import { listRules } from './rulesStore';

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
  const rules = await listRules(ctx.db, orgId);
  for (const [lineId, row] of decided) result.set(lineId, lineMatchOf(row, rules));
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
    // Only a line a person would otherwise decide, and that names nothing of ours (all open invoices, not
    // just those that could take it), may go by a rule.
    const rule = best ? null : ruleForQueuedLine(rules, { ...line, provider: payout.provider, currency: payout.currency }, invoices);
    const request = { line: line.id, charge: line.chargeRef ?? line.sourceId, amountMinor: line.amountMinor };
    const candidates = { candidates: decision.candidates.map((c) => ({ invoice: c.invoiceNumber, score: c.score, reasons: c.reasons })) };
    // The decision and its audit entry are kept together: a later step of this attempt failing (a 429, a
    // timeout) must not leave a decision whose "why" was never written.
    const entry: AuditEntry = rule
      ? postedByRuleEntry(orgId, payout.id, line, rule, triggeredBy, decision.candidates)
      : {
        orgId, entityType: 'payout', entityId: payout.id, recordType: 'payout_match', triggeredBy,
        action: best ? 'matched' : 'queued', outcome: best ? 'ok' : 'skipped', request, response: candidates,
        message: best ? `charge ${line.sourceId} matched to ${best.invoiceNumber} at ${best.score} % (threshold ${threshold} %)` : `charge ${line.sourceId} waits for sign-off: ${decision.kind === 'queued' ? decision.why : ''}`,
      };
    await ctx.db.transaction(async (trx) => {
      const inserted = (await trx('xero_payout_matches').insert({
        org_id: orgId, payout_id: payout.id, line_id: line.id, status: rule ? 'rule' : decision.kind, invoice_id: best?.invoiceId ?? null, invoice_number: best?.invoiceNumber ?? null,
        currency: payout.currency, score: best?.score ?? decision.candidates[0]?.score ?? null, candidates: JSON.stringify(decision.candidates),
        decided_by: best ? 'system' : rule ? `rule:${rule.id}` : null, decided_at: best || rule ? now : null, updated_at: now,
        ...(rule ? { account_code: rule.accountCode, tax_type: rule.taxType, rule_id: rule.id, rule_name: rule.name } : {}),
      }).onConflict(['org_id', 'line_id']).ignore().returning('line_id')) as unknown[];
      if (inserted.length > 0) await writeAudit(trx, entry, now);
    });
    if (best) {
      dueLeft.set(best.invoiceId, dueLeft.get(best.invoiceId)! - line.amountMinor);
      result.set(line.id, { status: 'auto', invoiceId: best.invoiceId });
    } else if (rule) {
      result.set(line.id, { status: 'account', accountCode: rule.accountCode, taxType: rule.taxType, ruleName: rule.name });
    } else {
      result.set(line.id, { status: 'queued' });
    }
  }
  return result;
}

/** The audit row of a line a payout rule took (at match time, or from the sign-off queue: takeWaiting.ts). */
export function postedByRuleEntry(
  orgId: number, payoutId: number, line: Pick<PayoutLineView, 'id' | 'sourceId' | 'chargeRef' | 'amountMinor'>, rule: PayoutRule, triggeredBy: TriggeredBy,
  candidates: readonly { invoiceNumber: string; score: number; reasons: string[] }[], actor: string | null = null,
): AuditEntry {
  return {
    orgId, entityType: 'payout', entityId: payoutId, recordType: 'payout_match', triggeredBy, actor, action: 'posted_by_rule', outcome: 'ok',
    request: { line: line.id, charge: line.chargeRef ?? line.sourceId, amountMinor: line.amountMinor, rule: { id: rule.id, name: rule.name }, account: rule.accountCode, taxType: rule.taxType },
    response: { candidates: candidates.map((c) => ({ invoice: c.invoiceNumber, score: c.score, reasons: c.reasons })) },
    message: `charge ${line.sourceId} posted by rule "${rule.name}" to account ${rule.accountCode} (${rule.taxType}): it names nothing of ours`,
  };
}

/**
 * A decision as the plan reads it. A rule's line that is not in Xero yet follows the rule as it is now
 * (the accountant fixing a rule whose account was archived fixes its failed lines on the next attempt);
 * a deleted rule's line keeps the account it was given.
 */
export function lineMatchOf(row: MatchRow, rules: readonly PayoutRule[]): LineMatch {
  switch (row.status) {
    case 'suspense':
    case 'queued':
      return { status: row.status };
    case 'account':
      return { status: 'account', accountCode: row.account_code!, taxType: row.tax_type!, ruleName: null };
    case 'rule': {
      const rule = rules.find((r) => r.id === Number(row.rule_id));
      return { status: 'account', accountCode: rule?.accountCode ?? row.account_code!, taxType: rule?.taxType ?? row.tax_type!, ruleName: rule?.name ?? row.rule_name };
    }
    default:
      return { status: row.status, invoiceId: row.invoice_id! };
  }
}

/**
 * Lines going to an account of the chart (a person's choice or a rule's) that are not in Xero yet: is the
 * account still active there? One call, only when there is such a line. One that is not marks the line
 * unavailable with the reason, so the plan fails it at once: Xero would refuse it on every retry.
 */
export async function checkDecidedAccounts(session: Pick<XeroSession, 'xero'>, matches: Map<number, LineMatch>, posted: ReadonlySet<string>): Promise<void> {
  const pending = [...matches].filter((e): e is [number, Extract<LineMatch, { status: 'account' }>] => e[1].status === 'account' && !posted.has(`L${e[0]}`));
  if (pending.length === 0) return;
  const chart = new Map((await session.xero.getAccounts()).filter((a) => a.code !== null).map((a) => [a.code!.toUpperCase(), a]));
  for (const [lineId, m] of pending) {
    const account = chart.get(m.accountCode.toUpperCase());
    if (account?.status === 'ACTIVE') continue;
    const state = account ? `is ${account.status.toLowerCase()}` : 'does not exist';
    const fix = m.ruleName
      ? `payout rule "${m.ruleName}" posts to account ${m.accountCode}, which ${state} in Xero: decide this line again here, and choose another account for the rule on the payout rules page`
      : `it was signed off to account ${m.accountCode}, which ${state} in Xero: decide it again`;
    matches.set(lineId, { ...m, unavailable: fix });
  }
}

/**
 * Lines whose account cannot take them (checkDecidedAccounts) go back to the sign-off queue, so a person
 * can choose another account, the suspense account or an invoice and the payout completes; nothing retries
 * them by itself. Each line's decision is undone only if it is still the one found unavailable (a
 * conditional update), with an audit row giving the reason, which the queue shows next to the line.
 */
export async function requeueUnavailable(
  db: XeroServices['ctx']['db'], now: number, orgId: number, payoutId: number, matches: Map<number, LineMatch>, triggeredBy: TriggeredBy, outboxItemId: number | null,
): Promise<number> {
  let requeued = 0;
  for (const [lineId, m] of matches) {
    if (m.status !== 'account' || !m.unavailable) continue;
    const back = await db.transaction(async (trx) => {
      const updated = await trx('xero_payout_matches').where({ org_id: orgId, line_id: lineId }).whereIn('status', ['account', 'rule']).update({
        status: 'queued', decided_by: null, decided_at: null, updated_at: now, account_code: null, tax_type: null, rule_id: null, rule_name: null,
      });
      if (updated === 0) return false;
      await writeAudit(trx, {
        orgId, entityType: 'payout', entityId: payoutId, recordType: 'payout_match', triggeredBy, outboxItemId, action: 'requeued', outcome: 'skipped',
        request: { line: lineId, account: m.accountCode, taxType: m.taxType, rule: m.ruleName }, message: `charge line ${lineId} waits for sign-off again: ${m.unavailable}`,
        response: { reason: m.unavailable },
      }, now);
      return true;
    });
    // Not back in the queue (changed meanwhile): the plan fails the line with the reason instead.
    if (!back) continue;
    matches.set(lineId, { status: 'queued' });
    requeued++;
  }
  return requeued;
}

/**
 * Why each of these queued lines is back in the queue, by line id: its latest 'requeued' row. A line only
 * leaves the queue by a decision and only comes back by a requeue, so for a line queued now that row is
 * the current reason; a line never requeued has none.
 */
export async function requeueReasons(db: XeroServices['ctx']['db'], orgId: number, payoutIds: readonly number[], lineIds: readonly number[]): Promise<Map<number, string>> {
  const reasons = new Map<number, string>();
  if (lineIds.length === 0) return reasons;
  const wanted = new Set(lineIds);
  const rows = (await db('xero_audit').where({ org_id: orgId, entity_type: 'payout', action: 'requeued' }).whereIn('entity_id', [...new Set(payoutIds)])
    .orderBy('id', 'desc').select('request_summary', 'response_summary')) as { request_summary: string | null; response_summary: string | null }[];
  for (const r of rows) {
    const line = Number((JSON.parse(r.request_summary ?? '{}') as { line?: unknown }).line);
    const reason = (JSON.parse(r.response_summary ?? '{}') as { reason?: unknown }).reason;
    if (wanted.has(line) && !reasons.has(line) && typeof reason === 'string') reasons.set(line, reason);
  }
  return reasons;
}
