// Lines already waiting in the sign-off queue when a rule is made, edited or enabled: the rules are put to
// them as they would have been at match time — only a line that names nothing of ours (no sale, no open
// invoice's number, no open invoice contact's email: rules.ts namesOurs, against Xero's open invoices now)
// and only by a rule whose account is active in Xero now. The first fitting rule in order takes it, exactly
// as matching.ts decides. A line taken gets the same decision and audit row as a rule posting at match
// time, and its payout is enqueued again in the same transaction, so it is completed.
//
// Each line's change is conditional on it still being queued: a person signing it off at the same moment
// wins or loses cleanly, never both. Asked by a person (a page), so Xero is read through the rate budget
// with a page's short wait; if Xero cannot be read the lines stay queued and the caller says so.
import type { PayoutLineView, PayoutView, PluginContext, Principal } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { connectionDeps } from '../connection/deps';
import { writeAudit } from '../engine/audit';
import { actorLabel } from '../engine/logView';
import { RateBudget } from '../engine/rateBudget';
import { openSession } from '../engine/session';
import { PAGE_WAIT_MS } from '../mappings/liveCatalogue';
import { enqueuePayoutPost } from './enqueue';
import { postedByRuleEntry, readOpenInvoices } from './matching';
import { firstFittingRule, ruleForQueuedLine, type PayoutRule } from './rules';
import { listRules } from './rulesStore';
import type { ScoredCandidate } from './scoring';

export interface TakenFromQueue {
  /** Lines taken, by the id of the rule that took each. */
  byRule: Map<number, number>;
  /** Why the queue could not be checked (Xero not reachable): its lines still wait. */
  error: string | null;
}

interface Waiting { line: PayoutLineView; payout: PayoutView; candidates: ScoredCandidate[] }

export async function takeWaitingLines(ctx: PluginContext<XeroConfig>, principal: Principal): Promise<TakenFromQueue> {
  const orgId = principal.orgId;
  const byRule = new Map<number, number>();
  const rules = (await listRules(ctx.db, orgId)).filter((r) => r.enabled);
  if (rules.length === 0) return { byRule, error: null };
  const queued = (await ctx.db('xero_payout_matches').where({ org_id: orgId, status: 'queued' }).orderBy('id')
    .select('line_id', 'payout_id', 'candidates')) as { line_id: number; payout_id: number; candidates: string }[];
  if (queued.length === 0) return { byRule, error: null };
  const lines = new Map((await ctx.payouts.lines(ctx.db, orgId, queued.map((q) => Number(q.line_id)))).map((l) => [l.id, l]));
  const payouts = new Map((await ctx.payouts.list(ctx.db, { orgId, ids: [...new Set(queued.map((q) => Number(q.payout_id)))] })).map((p) => [p.id, p]));
  const waiting: Waiting[] = queued.flatMap((q) => {
    const line = lines.get(Number(q.line_id));
    const payout = payouts.get(Number(q.payout_id));
    return line && payout ? [{ line, payout, candidates: JSON.parse(q.candidates) as ScoredCandidate[] }] : [];
  });
  const ruleLine = (w: Waiting) => ({ ...w.line, provider: w.payout.provider, currency: w.payout.currency });
  // Xero is only asked when some waiting line fits a rule's conditions at all (most edits take nothing).
  const fitting = waiting.filter((w) => firstFittingRule(rules, ruleLine(w)) !== null);
  if (fitting.length === 0) return { byRule, error: null };

  let active: PayoutRule[];
  const invoicesOf = new Map<string, Awaited<ReturnType<typeof readOpenInvoices>>>();
  try {
    const budget = new RateBudget({ db: ctx.db, leaseMs: ctx.config.httpTimeoutMs + 5_000, maxInlineWaitMs: PAGE_WAIT_MS });
    const session = await openSession(connectionDeps(ctx), budget, orgId);
    // A rule whose account is archived or deleted in Xero takes nothing: the line would only come back.
    const activeCodes = new Set((await session.xero.getAccounts()).filter((a) => a.status === 'ACTIVE' && a.code !== null).map((a) => a.code!.toUpperCase()));
    active = rules.filter((r) => activeCodes.has(r.accountCode.toUpperCase()));
    for (const currency of new Set(fitting.map((w) => w.payout.currency))) invoicesOf.set(currency, await readOpenInvoices(session, currency));
  } catch (err) {
    ctx.logger.warn({ err, orgId }, 'could not read Xero to put the payout rules to the sign-off queue');
    return { byRule, error: `Xero could not be read to check them (${err instanceof Error ? err.message : String(err)})` };
  }

  const triggeredBy = `user:${principal.id}` as const;
  const actor = actorLabel(principal);
  const byPayout = new Map<number, { w: Waiting; rule: PayoutRule }[]>();
  for (const w of fitting) {
    const rule = ruleForQueuedLine(active, ruleLine(w), invoicesOf.get(w.payout.currency) ?? []);
    if (rule) byPayout.set(w.payout.id, [...(byPayout.get(w.payout.id) ?? []), { w, rule }]);
  }
  for (const [payoutId, taken] of byPayout) {
    await ctx.db.transaction(async (trx) => {
      const now = ctx.clock.now();
      let changed = 0;
      for (const { w, rule } of taken) {
        const updated = await trx('xero_payout_matches').where({ org_id: orgId, line_id: w.line.id, status: 'queued' }).update({
          status: 'rule', decided_by: `rule:${rule.id}`, decided_at: now, updated_at: now,
          account_code: rule.accountCode, tax_type: rule.taxType, rule_id: rule.id, rule_name: rule.name,
        });
        if (updated === 0) continue; // decided by someone meanwhile
        await writeAudit(trx, postedByRuleEntry(orgId, payoutId, w.line, rule, triggeredBy, w.candidates, actor), now);
        byRule.set(rule.id, (byRule.get(rule.id) ?? 0) + 1);
        changed++;
      }
      if (changed > 0) await enqueuePayoutPost(ctx, trx, orgId, payoutId, { again: { triggeredBy, why: 'rule' } });
    });
  }
  return { byRule, error: null };
}

/** What the flash says about the waiting lines a rule took (nothing when it took none and nothing failed). */
export function takenText(taken: TakenFromQueue, ruleId: number | null): string {
  if (taken.error) return ` Lines waiting for sign-off were not checked against the rules: ${taken.error}; they still wait.`;
  const mine = ruleId === null ? 0 : taken.byRule.get(ruleId) ?? 0;
  const others = [...taken.byRule].reduce((s, [id, n]) => s + (id === ruleId ? 0 : n), 0);
  const lines = (n: number) => (n === 1 ? '1 line' : `${n} lines`);
  const parts: string[] = [];
  if (mine > 0) parts.push(`It took ${lines(mine)} waiting for sign-off; ${mine === 1 ? 'its payout is' : 'their payouts are'} being completed.`);
  if (others > 0) parts.push(`Other rules took ${lines(others)} waiting for sign-off.`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}
