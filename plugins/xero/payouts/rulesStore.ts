// The organisation's payout rules (xero_payout_rules, migration 0019) and how many lines each has posted
// (its decisions in xero_payout_matches). Positions only order the rules: a move swaps two neighbours, a
// new rule goes last, a deletion leaves a gap that ordering does not mind.
import type { Queryable } from '../../../server/plugins/contract';
import type { PayoutRule, RuleInput } from './rules';

interface RuleRow {
  id: number; org_id: number; position: number; name: string; provider: string; line_kind: string; currency: string; description: string;
  amount_min_minor: number | string | null; amount_max_minor: number | string | null; account_code: string; tax_type: string; enabled: boolean | number;
}

const ruleOf = (r: RuleRow): PayoutRule => ({
  id: Number(r.id), position: Number(r.position), name: r.name, provider: r.provider as PayoutRule['provider'], lineKind: r.line_kind as PayoutRule['lineKind'],
  currency: r.currency, description: r.description,
  amountMinMinor: r.amount_min_minor === null ? null : Number(r.amount_min_minor), amountMaxMinor: r.amount_max_minor === null ? null : Number(r.amount_max_minor),
  accountCode: r.account_code, taxType: r.tax_type, enabled: Boolean(r.enabled),
});

const columnsOf = (rule: RuleInput) => ({
  name: rule.name, provider: rule.provider, line_kind: rule.lineKind, currency: rule.currency, description: rule.description,
  amount_min_minor: rule.amountMinMinor, amount_max_minor: rule.amountMaxMinor, account_code: rule.accountCode, tax_type: rule.taxType,
});

/** In order: the first that fits a line wins. */
export async function listRules(db: Queryable, orgId: number): Promise<PayoutRule[]> {
  return ((await db('xero_payout_rules').where({ org_id: orgId }).orderBy([{ column: 'position' }, { column: 'id' }])) as RuleRow[]).map(ruleOf);
}

export async function getRule(db: Queryable, orgId: number, id: number): Promise<PayoutRule | null> {
  const row = (await db('xero_payout_rules').where({ org_id: orgId, id }).first()) as RuleRow | undefined;
  return row ? ruleOf(row) : null;
}

/** A new rule, last in order. */
export async function createRule(db: Queryable, orgId: number, rule: RuleInput, by: string, now: number): Promise<PayoutRule> {
  const [max] = (await db('xero_payout_rules').where({ org_id: orgId }).max({ top: 'position' })) as { top: number | string | null }[];
  const position = max?.top === null || max?.top === undefined ? 1 : Number(max.top) + 1;
  const [row] = (await db('xero_payout_rules').insert({
    org_id: orgId, position, ...columnsOf(rule), enabled: true, created_by: by, created_at: now, updated_by: by, updated_at: now,
  }).returning('id')) as ({ id: number } | number)[];
  const id = typeof row === 'object' ? Number(row.id) : Number(row);
  return { ...rule, id, position, enabled: true };
}

/** false when the organisation has no such rule. */
export async function updateRule(db: Queryable, orgId: number, id: number, rule: RuleInput, by: string, now: number): Promise<boolean> {
  return (await db('xero_payout_rules').where({ org_id: orgId, id }).update({ ...columnsOf(rule), updated_by: by, updated_at: now })) > 0;
}

export async function setRuleEnabled(db: Queryable, orgId: number, id: number, enabled: boolean, by: string, now: number): Promise<boolean> {
  return (await db('xero_payout_rules').where({ org_id: orgId, id }).update({ enabled, updated_by: by, updated_at: now })) > 0;
}

export async function deleteRule(db: Queryable, orgId: number, id: number): Promise<boolean> {
  return (await db('xero_payout_rules').where({ org_id: orgId, id }).delete()) > 0;
}

/** Swap the rule with its neighbour above (up) or below (down); false when it has none or is not the organisation's. */
export async function moveRule(db: Queryable, orgId: number, id: number, direction: 'up' | 'down', by: string, now: number): Promise<boolean> {
  const rules = await listRules(db, orgId);
  const at = rules.findIndex((r) => r.id === id);
  const other = rules[direction === 'up' ? at - 1 : at + 1];
  if (at < 0 || !other) return false;
  const rule = rules[at]!;
  // Equal positions (never written by this module, but cheap to be sure of) would swap into the same order.
  const [mine, theirs] = rule.position === other.position ? (direction === 'up' ? [other.position - 1, other.position] : [other.position + 1, other.position]) : [other.position, rule.position];
  await db('xero_payout_rules').where({ org_id: orgId, id: rule.id }).update({ position: mine, updated_by: by, updated_at: now });
  await db('xero_payout_rules').where({ org_id: orgId, id: other.id }).update({ position: theirs, updated_by: by, updated_at: now });
  return true;
}

/** How many lines each rule has taken (its decisions), by rule id. */
export async function ruleLineCounts(db: Queryable, orgId: number): Promise<Map<number, number>> {
  const rows = (await db('xero_payout_matches').where({ org_id: orgId, status: 'rule' }).whereNotNull('rule_id').groupBy('rule_id').select('rule_id').count({ n: '*' })) as { rule_id: number; n: number | string }[];
  return new Map(rows.map((r) => [Number(r.rule_id), Number(r.n)]));
}
