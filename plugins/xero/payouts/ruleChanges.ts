// Every change a person makes to a payout rule (create, edit, move, disable, enable, delete) goes to the
// plugin's audit trail as its own row (entity 'payout_rule', the rule's id): who made it and the rule
// before and after, written in the transaction of the change itself so no change is left without its row.
// A rule decides where money goes in the books without a person, so an accountant must be able to say who
// pointed it where and when — including after it was deleted (the row keeps the rule as it was).
import { money, type Principal, type Queryable } from '../../../server/plugins/contract';
import { writeAudit, type AuditAction } from '../engine/audit';
import { actorLabel } from '../engine/logView';
import type { PayoutRule } from './rules';

const { formatMinor } = money;

export type RuleChange = 'created' | 'edited' | 'moved' | 'enabled' | 'disabled' | 'deleted';

/** A rule as the audit trail keeps it (also what a sign-off that made one records). */
export const ruleSnapshot = (rule: Omit<PayoutRule, 'id' | 'position' | 'enabled'> & Partial<Pick<PayoutRule, 'position' | 'enabled'>>): Record<string, unknown> => ({
  name: rule.name, provider: rule.provider, kind: rule.lineKind, currency: rule.currency, description: rule.description,
  amountMinMinor: rule.amountMinMinor, amountMaxMinor: rule.amountMaxMinor, account: rule.accountCode, taxType: rule.taxType,
  ...(rule.position !== undefined ? { position: rule.position } : {}), ...(rule.enabled !== undefined ? { enabled: rule.enabled } : {}),
});

/** How the log names a snapshot's fields (the keys stay as they are in the row's before/after). */
const LABELS: Record<string, string> = { kind: 'line kind', amountMinMinor: 'lowest amount', amountMaxMinor: 'highest amount', taxType: 'tax rate' };

/** The fields that differ between two snapshots, for the row's message ("account 270 → 260", amounts as money). */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const shown = (k: string, v: unknown, currency: unknown) => {
    if (v === null || v === undefined || v === '') return '(none)';
    return (k === 'amountMinMinor' || k === 'amountMaxMinor') && typeof v === 'number' && typeof currency === 'string' ? formatMinor(v, currency) : String(v);
  };
  return Object.keys({ ...before, ...after })
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${LABELS[k] ?? k} ${shown(k, before[k], before.currency)} → ${shown(k, after[k], after.currency)}`);
}

export async function auditRuleChange(
  db: Queryable, principal: Principal, change: RuleChange, rule: { id: number; name: string }, before: PayoutRule | null, after: PayoutRule | null, now: number, note?: string,
): Promise<void> {
  const b = before ? ruleSnapshot(before) : null;
  const a = after ? ruleSnapshot(after) : null;
  const diff = b && a ? changedFields(b, a) : [];
  const what = change === 'edited' ? `edited payout rule "${rule.name}"${diff.length ? `: ${diff.join(', ')}` : ' (nothing changed)'}`
    : `${change === 'moved' ? 'moved' : change} payout rule "${rule.name}"`;
  await writeAudit(db, {
    orgId: principal.orgId, entityType: 'payout_rule', entityId: rule.id, recordType: 'payout_rule', action: `rule_${change}` as AuditAction, outcome: 'ok',
    triggeredBy: `user:${principal.id}`, actor: actorLabel(principal),
    request: { before: b, after: a }, message: note ? `${what}; ${note}` : what,
  }, now);
}
