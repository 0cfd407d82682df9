// A person's decision on a queued charge: confirm the best candidate, pick another, post it to the
// suspense account, or post it to an account of the chart (checked against the live chart by the route) —
// and with that, optionally, teach a payout rule (rules.ts) so lines like it post the same way from now
// on. The decision, who made it, the candidates they saw and the rule made go to the audit trail, and the
// payout is enqueued again (in the same transaction) to post what is now decided.
import { ConflictError, NotFoundError, ValidationError } from '../../../server/errors';
import type { PluginContext, Principal } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { writeAudit } from '../engine/audit';
import { actorLabel } from '../engine/logView';
import { enqueuePayoutPost } from './enqueue';
import type { ScoredCandidate } from './scoring';
import type { MatchRow } from './store';
import type { RuleInput } from './rules';
import { createRule } from './rulesStore';
import { auditRuleChange, ruleSnapshot } from './ruleChanges';

export type SignOff =
  | { action: 'confirm' }
  | { action: 'pick'; invoiceId: string }
  | { action: 'suspense' }
  /** rule: the payout rule to create with it ("post lines like this the same way from now on"). */
  | { action: 'account'; accountCode: string; taxType: string; rule: RuleInput | null };

export async function signOffMatch(ctx: Pick<PluginContext<XeroConfig>, 'db' | 'outbox' | 'clock'>, principal: Principal, lineId: number, decision: SignOff): Promise<{ payoutId: number; ruleId: number | null }> {
  return ctx.db.transaction(async (trx) => {
    const row = (await trx('xero_payout_matches').where({ org_id: principal.orgId, line_id: lineId }).first()) as MatchRow | undefined;
    if (!row) throw new NotFoundError(`Queued charge ${lineId}`);
    if (row.status !== 'queued') throw new ConflictError(`Charge ${lineId} was already decided (${row.status})`, 'PAYOUT_MATCH_DECIDED');
    const candidates = JSON.parse(row.candidates) as ScoredCandidate[];
    let chosen: ScoredCandidate | undefined;
    if (decision.action === 'confirm') {
      chosen = candidates[0];
      if (!chosen) throw new ValidationError([{ path: 'action', message: 'there is no candidate to confirm: pick an invoice or post to suspense' }]);
    } else if (decision.action === 'pick') {
      chosen = candidates.find((c) => c.invoiceId === decision.invoiceId);
      if (!chosen) throw new ValidationError([{ path: 'invoiceId', message: 'must be one of the ranked candidates' }]);
    }
    const by = `${principal.kind}:${principal.id}`;
    const now = ctx.clock.now();
    const toAccount = decision.action === 'account' ? decision : null;
    await trx('xero_payout_matches').where({ org_id: principal.orgId, line_id: lineId }).update({
      status: chosen ? 'confirmed' : toAccount ? 'account' : 'suspense', invoice_id: chosen?.invoiceId ?? null, invoice_number: chosen?.invoiceNumber ?? null,
      score: chosen?.score ?? null, decided_by: by, decided_at: now, updated_at: now,
      account_code: toAccount?.accountCode ?? null, tax_type: toAccount?.taxType ?? null,
    });
    const payoutId = Number(row.payout_id);
    const rule = toAccount?.rule ? await createRule(trx, principal.orgId, toAccount.rule, by, now) : null;
    if (rule) await auditRuleChange(trx, principal, 'created', rule, null, rule, now, `made while signing off charge line ${lineId}`);
    const audit = { orgId: principal.orgId, entityType: 'payout' as const, entityId: payoutId, triggeredBy: `user:${principal.id}` as const, actor: actorLabel(principal) };
    const message = chosen ? `matched charge line ${lineId} to ${chosen.invoiceNumber} (${chosen.score} %)`
      : toAccount ? `posted charge line ${lineId} to account ${toAccount.accountCode} (${toAccount.taxType})${rule ? `, and made payout rule "${rule.name}" for lines like it` : ''}`
        : `posted charge line ${lineId} to the suspense account`;
    await writeAudit(trx, {
      ...audit, recordType: 'payout_match', action: 'signed_off', outcome: 'ok',
      request: { line: lineId, decision: decision.action, ...(chosen ? { invoice: chosen.invoiceNumber, score: chosen.score } : {}), ...(toAccount ? { account: toAccount.accountCode, taxType: toAccount.taxType } : {}), ...(rule ? { rule: { id: rule.id, ...ruleSnapshot(rule) } } : {}) },
      response: { candidates: candidates.map((c) => ({ invoice: c.invoiceNumber, score: c.score })) },
      message,
    }, now);
    await enqueuePayoutPost(ctx, trx, principal.orgId, payoutId, { again: { triggeredBy: `user:${principal.id}`, why: 'signoff' } });
    return { payoutId, ruleId: rule?.id ?? null };
  });
}
