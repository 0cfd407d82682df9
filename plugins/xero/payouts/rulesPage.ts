// The payout rules page (accountants and admins): the organisation's rules in the order they are tried,
// with how many lines each has posted; edit a rule's conditions, account and tax rate (checked against the
// live chart, nothing saved unless every field is right, each error next to its field), move it up or
// down, disable or enable it, delete it. Rules are made from the sign-off queue (routes.ts). Every form is
// CSRF-protected by the host; a rule id of another organisation is a 404.
import { Router, type Request, type Response } from 'express';
import { money as moneyFormat, type PluginContext } from '../../../server/plugins/contract';
import { NotFoundError, ValidationError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { chartForPage, chartForSave } from '../mappings/liveCatalogue';
import { getLiveConnection } from '../connection/store';
import { payoutProviders, providerNameOf } from '../clearing/providers';
import { sweepPayouts } from './enqueue';
import { checkRuleAgainstChart, parseRuleForm, ruleChoices, ruleFormOf, RULE_LINE_KINDS, type PayoutRule, type RuleForm } from './rules';
import { deleteRule, getRule, listRules, moveRule, ruleLineCounts, setRuleEnabled, updateRule } from './rulesStore';
import { auditRuleChange } from './ruleChanges';
import { takeWaitingLines, takenText } from './takeWaiting';

const { formatMinor } = moneyFormat;

/** A rule as its form shows it (amounts in major units). */
export function formOfRule(rule: PayoutRule): RuleForm {
  const amount = (minor: number | null) => (minor === null ? '' : formatMinor(minor, rule.currency).replace(/,/g, ''));
  return {
    name: rule.name, provider: rule.provider, line_kind: rule.lineKind, currency: rule.currency, description: rule.description,
    amount_min: amount(rule.amountMinMinor), amount_max: amount(rule.amountMaxMinor), account_code: rule.accountCode, tax_type: rule.taxType,
  };
}

export function payoutRulesRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  const readers = ctx.requireRole('accountant', 'admin');
  const base = `${ctx.mountPath}/payouts`;
  const who = (req: Request) => `${req.principal!.kind}:${req.principal!.id}`;

  /** The organisation's rule named by the path, or a 404 (checked before any input). */
  const ruleOfPath = async (req: Request): Promise<PayoutRule> => {
    const id = Number(req.params.id);
    const rule = Number.isSafeInteger(id) && id > 0 ? await getRule(ctx.db, req.principal!.orgId, id) : null;
    if (!rule) throw new NotFoundError(`Payout rule ${req.params.id}`);
    return rule;
  };

  const conditionsText = (r: PayoutRule) => {
    const parts = [`${providerNameOf(ctx, r.provider)} ${r.lineKind}`, `in ${r.currency}`, r.description ? `description is “${r.description}”` : 'no description'];
    if (r.amountMinMinor !== null && r.amountMaxMinor !== null) parts.push(`${formatMinor(r.amountMinMinor, r.currency)} to ${formatMinor(r.amountMaxMinor, r.currency)}`);
    else if (r.amountMinMinor !== null) parts.push(`at least ${formatMinor(r.amountMinMinor, r.currency)}`);
    else if (r.amountMaxMinor !== null) parts.push(`at most ${formatMinor(r.amountMaxMinor, r.currency)}`);
    return parts.join(', ');
  };

  router.get('/payouts/rules', readers, async (req, res) => {
    const orgId = req.principal!.orgId;
    const [rules, counts] = await Promise.all([listRules(ctx.db, orgId), ruleLineCounts(ctx.db, orgId)]);
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'payouts/rules', { title: 'Payout rules', base, logHref: `${ctx.mountPath}/sync/log?recordType=payout_rule`, flash: ctx.pages.takeFlash(req), rules, counts, conditionsText });
  });

  const renderEdit = async (req: Request, res: Response, rule: PayoutRule, state: { values?: RuleForm; errors?: Record<string, string>; pageError?: string | null } = {}, status?: number) => {
    const { catalogue, chartError } = await chartForPage(ctx, await getLiveConnection(ctx.db, req.principal!.orgId), 'This organisation is not connected to Xero: the accounts cannot be listed.');
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'payouts/rule', {
      title: `Payout rule: ${rule.name}`, base, flash: ctx.pages.takeFlash(req), rule, values: state.values ?? formOfRule(rule), errors: state.errors ?? {},
      pageError: state.pageError ?? null, chartError, choices: ruleChoices(catalogue), providers: payoutProviders(ctx), kinds: RULE_LINE_KINDS,
    }, status);
  };

  router.get('/payouts/rules/:id', readers, async (req, res) => {
    await renderEdit(req, res, await ruleOfPath(req));
  });

  router.post('/payouts/rules/:id', readers, async (req, res) => {
    const orgId = req.principal!.orgId;
    const rule = await ruleOfPath(req);
    const values = ruleFormOf((req.body ?? {}) as Record<string, unknown>);
    const parsed = parseRuleForm(values, payoutProviders(ctx).map((p) => p.id));
    const refuse = (issues: { field: string; message: string }[], status = 422, pageError?: string) => {
      const errors: Record<string, string> = {};
      for (const i of issues) errors[i.field] ??= i.message;
      return renderEdit(req, res, rule, { values, errors, pageError: pageError ?? `Nothing was saved: ${issues.length === 1 ? 'one field needs' : `${issues.length} fields need`} fixing.` }, status);
    };
    if (!parsed.ok) return refuse(parsed.issues);
    const connection = await getLiveConnection(ctx.db, orgId);
    if (!connection || connection.status !== 'connected') return renderEdit(req, res, rule, { values, pageError: 'Nothing was saved: connect to Xero first.' }, 409);
    const chart = await chartForSave(ctx, connection);
    if ('failure' in chart) {
      if (chart.failure.retryAfterSeconds !== null) res.set('Retry-After', String(chart.failure.retryAfterSeconds));
      return renderEdit(req, res, rule, { values, pageError: `Nothing was saved: ${chart.failure.message}.` }, chart.failure.status);
    }
    const { catalogue } = chart;
    const chartIssues = checkRuleAgainstChart(parsed.rule.accountCode, parsed.rule.taxType, catalogue);
    if (chartIssues.length > 0) return refuse(chartIssues);
    await ctx.db.transaction(async (trx) => {
      const now = ctx.clock.now();
      await updateRule(trx, orgId, rule.id, parsed.rule, who(req), now);
      await auditRuleChange(trx, req.principal!, 'edited', { id: rule.id, name: parsed.rule.name }, rule, (await getRule(trx, orgId, rule.id))!, now);
    });
    ctx.logger.info({ orgId, rule: rule.id, by: who(req) }, 'Xero payout rule saved');
    // A payout whose line failed on this rule's old account (archived in Xero) is tried again with the new one.
    const again = await sweepPayouts(ctx, { orgId });
    // Lines that wait for sign-off and now fit (or whose rule's account was archived: they came back to the queue).
    const taken = rule.enabled ? takenText(await takeWaitingLines(ctx, req.principal!), rule.id) : '';
    ctx.pages.setFlash(req, 'success', `Rule “${parsed.rule.name}” saved.${again > 0 ? ` ${again} payout${again === 1 ? ' is' : 's are'} being posted again.` : ''}${taken}`);
    return res.redirect(303, `${base}/rules`);
  });

  router.post('/payouts/rules/:id/move', readers, async (req, res) => {
    const rule = await ruleOfPath(req);
    const direction = String(((req.body ?? {}) as Record<string, unknown>).direction ?? '');
    if (direction !== 'up' && direction !== 'down') throw new ValidationError([{ path: 'direction', message: 'must be up or down' }]);
    const moved = await ctx.db.transaction(async (trx) => {
      const now = ctx.clock.now();
      if (!(await moveRule(trx, req.principal!.orgId, rule.id, direction, who(req), now))) return false;
      await auditRuleChange(trx, req.principal!, 'moved', rule, rule, (await getRule(trx, req.principal!.orgId, rule.id))!, now, `now tried ${direction === 'up' ? 'before' : 'after'} the rule it passed`);
      return true;
    });
    ctx.pages.setFlash(req, 'success', moved ? `Rule “${rule.name}” moved ${direction}.` : `Rule “${rule.name}” is already ${direction === 'up' ? 'first' : 'last'}.`);
    res.redirect(303, `${base}/rules`);
  });

  router.post('/payouts/rules/:id/enabled', readers, async (req, res) => {
    const rule = await ruleOfPath(req);
    const value = String(((req.body ?? {}) as Record<string, unknown>).enabled ?? '');
    if (value !== 'true' && value !== 'false') throw new ValidationError([{ path: 'enabled', message: 'must be true or false' }]);
    const enabled = value === 'true';
    await ctx.db.transaction(async (trx) => {
      const now = ctx.clock.now();
      await setRuleEnabled(trx, req.principal!.orgId, rule.id, enabled, who(req), now);
      // Pressing "enable" on an enabled rule changes nothing and is not a change to record.
      if (rule.enabled !== enabled) await auditRuleChange(trx, req.principal!, enabled ? 'enabled' : 'disabled', rule, rule, { ...rule, enabled }, now);
    });
    ctx.logger.info({ orgId: req.principal!.orgId, rule: rule.id, enabled, by: who(req) }, 'Xero payout rule enabled or disabled');
    const taken = enabled ? takenText(await takeWaitingLines(ctx, req.principal!), rule.id) : '';
    ctx.pages.setFlash(req, 'success', `Rule “${rule.name}” ${enabled ? 'enabled' : 'disabled: lines like it wait for sign-off again'}.${taken}`);
    res.redirect(303, `${base}/rules`);
  });

  router.post('/payouts/rules/:id/delete', readers, async (req, res) => {
    const rule = await ruleOfPath(req);
    await ctx.db.transaction(async (trx) => {
      const now = ctx.clock.now();
      if (await deleteRule(trx, req.principal!.orgId, rule.id)) await auditRuleChange(trx, req.principal!, 'deleted', rule, rule, null, now);
    });
    ctx.logger.info({ orgId: req.principal!.orgId, rule: rule.id, by: who(req) }, 'Xero payout rule deleted');
    // The lines it posted keep its name (xero_payout_matches.rule_name): they are in Xero already.
    ctx.pages.setFlash(req, 'success', `Rule “${rule.name}” deleted. The lines it posted stay as they are.`);
    res.redirect(303, `${base}/rules`);
  });

  return router;
}
