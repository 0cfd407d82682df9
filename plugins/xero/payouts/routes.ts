// The accountant's payout pages (accountants; admins may look too): the list with a chart of payouts and
// fees over time and a CSV export, one payout's breakdown with each line's Xero record, and the sign-off
// queue whose forms (CSRF-protected by the host) confirm, pick another invoice, post to suspense or post
// to an account of the chart (optionally teaching a payout rule: rulesPage.ts lists them).
import { Router, type Request, type Response } from 'express';
import { formatCalendarDay, formatDay, money as moneyFormat, type PluginContext } from '../../../server/plugins/contract';
import { NotFoundError, ValidationError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { signOffMatch, type SignOff } from './signoff';
import { matchesOf, payoutStates, stepsOf, type MatchRow } from './store';
import { payoutChart } from './chart';
import { providerNameOf, providerNamesText } from '../clearing/providers';
import { payoutSettingsRoutes } from './settingsPage';
import { organisationLinks } from '../connection/links';
import { saleNamesOf } from '../engine/names';
import { invoicesOfSales } from '../engine/records';
import { csvCell, csvText, payoutStatementRows, STATEMENT_HEADER, statementCells, type StatementPlaces } from './statement';
import { getLiveConnection } from '../connection/store';
import { chartForPage, chartForSave } from '../mappings/liveCatalogue';
import type { Catalogue } from '../mappings/catalogue';
import { checkRuleAgainstChart, parseRuleForm, ruleChoices } from './rules';
import { payoutRulesRoutes } from './rulesPage';
import { takeWaitingLines, takenText } from './takeWaiting';
import { requeueReasons } from './matching';
import type { SettingIssue } from '../mappings/validate';

const { formatMinor } = moneyFormat;


export interface PayoutListRow {
  id: number; provider: string; providerName: string; providerPayoutId: string; arrivalDate: string; currency: string;
  amountMinor: number; feeMinor: number; status: string; message: string | null;
}

/** The organisation's payouts, latest arrival first, with where each stands in Xero. */
export async function listPayouts(ctx: Pick<PluginContext<XeroConfig>, 'db' | 'payouts' | 'paymentMethods'>, orgId: number, limit = 500): Promise<PayoutListRow[]> {
  const [payouts, states] = await Promise.all([ctx.payouts.list(ctx.db, { orgId }), payoutStates(ctx.db, orgId)]);
  const byArrival = payouts.sort((a, b) => b.arrivalDate.localeCompare(a.arrivalDate) || b.id - a.id).slice(0, limit);
  return byArrival.map((p) => {
    const state = states.get(p.id);
    return {
      id: p.id, provider: p.provider, providerName: providerNameOf(ctx, p.provider), providerPayoutId: p.providerPayoutId, arrivalDate: p.arrivalDate,
      currency: p.currency, amountMinor: p.amountMinor, feeMinor: p.feeMinor,
      status: p.status === 'discrepancy' ? 'discrepancy' : state?.status ?? 'pending', message: state?.message ?? null,
    };
  });
}

export const STATUS_LABELS: Record<string, string> = {
  pending: 'on its way', waiting: 'on its way', posted: 'posted', needs_signoff: 'needs sign-off', discrepancy: 'discrepancy', failed: 'failed',
};

export function payoutRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  const readers = ctx.requireRole('accountant', 'admin');
  const base = `${ctx.mountPath}/payouts`;
  const money = (minor: number, currency: string) => `${formatMinor(minor, currency)} ${currency}`;
  // Before /payouts/:id, which would take "settings" for an id.
  router.use(payoutSettingsRoutes(ctx));
  router.use(payoutRulesRoutes(ctx));

  router.get('/payouts', readers, async (req, res) => {
    const payouts = await listPayouts(ctx, req.principal!.orgId);
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'payouts/list', { title: 'Payouts', base, calendarDay: formatCalendarDay, providerNames: providerNamesText(ctx), flash: ctx.pages.takeFlash(req), payouts, money, labels: STATUS_LABELS, chart: payoutChart(payouts) });
  });

  router.get('/payouts.csv', readers, async (req, res) => {
    const payouts = await listPayouts(ctx, req.principal!.orgId, 100_000);
    // The payout-level summary (one row a payout), kept beside the line-level statement.
    const lines = [['payout', 'provider', 'arrival_date', 'currency', 'amount', 'fees', 'status'].join(',')];
    for (const p of payouts) lines.push([p.providerPayoutId, p.provider, p.arrivalDate, p.currency, formatMinor(p.amountMinor, p.currency), formatMinor(p.feeMinor, p.currency), STATUS_LABELS[p.status] ?? p.status].map(csvCell).join(','));
    res.set('Content-Type', 'text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="payouts.csv"').set('Cache-Control', 'no-store');
    res.send(`${lines.join('\n')}\n`);
  });

  // Line level, as an accountant imports it (payouts/statement.ts): every payout's lines, or one payout's (?payout=).
  router.get('/payouts/lines.csv', readers, async (req, res) => {
    const orgId = req.principal!.orgId;
    const only = req.query.payout === undefined ? null : Number(req.query.payout);
    if (only !== null && !(Number.isSafeInteger(only) && only > 0)) throw new ValidationError([{ path: 'payout', message: 'must be the id of one of your payouts' }]);
    const { timeZone } = await ctx.organisations.get(ctx.db, orgId);
    const payouts = (await listPayouts(ctx, orgId, 100_000)).filter((p) => only === null || p.id === only);
    if (only !== null && payouts.length === 0) throw new NotFoundError(`Payout ${only}`);
    const rows: string[][] = [];
    // Oldest first, as a statement reads.
    for (const p of [...payouts].reverse()) {
      const loaded = await ctx.payouts.get(ctx.db, orgId, p.id);
      if (!loaded) continue;
      const places = await statementPlaces(orgId, p.id, loaded.lines);
      rows.push(...payoutStatementRows(p, loaded.lines, places, timeZone).map(statementCells));
    }
    const name = only === null ? 'payout-lines.csv' : `payout-${payouts[0]!.providerPayoutId.replace(/[^A-Za-z0-9_-]/g, '')}-lines.csv`;
    res.set('Content-Type', 'text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${name}"`).set('Cache-Control', 'no-store');
    res.send(csvText(STATEMENT_HEADER, rows));
  });

  /** Where each line of a payout went in Xero, as its page shows it (recordOf below), for the CSV. */
  async function statementPlaces(orgId: number, payoutId: number, lines: readonly { id: number; saleId: number | null; kind: string }[]): Promise<StatementPlaces> {
    const [steps, matches, invoices] = await Promise.all([
      stepsOf(ctx.db, orgId, null, payoutId), matchesOf(ctx.db, orgId, payoutId),
      invoicesOfSales(ctx.db, orgId, lines.flatMap((l) => (l.saleId === null ? [] : [l.saleId]))),
    ]);
    const byKey = new Map(steps.map((s) => [s.step_key, s]));
    const links = await organisationLinks(ctx.db, ctx.config.appUrl, orgId);
    const stepPlace = (key: string) => {
      const step = byKey.get(key);
      return step?.xero_id ? { text: `${step.xero_type.replace(/_/g, ' ')} ${step.reference}`, href: links.record(step.xero_type, step.xero_id) } : null;
    };
    return {
      line: (line) => {
        const own = stepPlace(`L${line.id}`);
        if (own) return own;
        const step = byKey.get(`L${line.id}`);
        if (step?.status === 'failed') return { text: `failed: ${step.message ?? ''}`, href: null };
        if (matches.get(line.id)?.status === 'queued') return { text: 'waits for sign-off', href: null };
        const invoice = line.saleId === null ? undefined : invoices.get(line.saleId);
        if (invoice?.number && (line.kind === 'charge' || line.kind === 'refund')) {
          return { text: `${line.kind === 'charge' ? 'payment on' : 'refund of'} invoice ${invoice.number}`, href: links.record('invoice', invoice.xeroId) };
        }
        return null;
      },
      fees: stepPlace('FEES'),
      transfer: stepPlace('XFER'),
    };
  }

  /** The queue; `refused`: a line's "post to an account" form that was refused, with what was sent and why. */
  const renderQueue = async (req: Request, res: Response, refused: { lineId: number; values: Record<string, string>; errors: Record<string, string> } | null = null, status?: number) => {
    const orgId = req.principal!.orgId;
    const queued = (await ctx.db('xero_payout_matches').where({ org_id: orgId, status: 'queued' }).orderBy('id')
      .select('line_id', 'payout_id', 'candidates')) as { line_id: number; payout_id: number; candidates: string }[];
    const lines = new Map((await ctx.payouts.lines(ctx.db, orgId, queued.map((m) => Number(m.line_id)))).map((l) => [l.id, l]));
    const payouts = new Map((await ctx.payouts.list(ctx.db, { orgId, ids: [...new Set(queued.map((m) => Number(m.payout_id)))] })).map((p) => [p.id, p]));
    const queue = queued.flatMap((m) => {
      const line = lines.get(Number(m.line_id));
      const payout = payouts.get(Number(m.payout_id));
      if (!line || !payout) return [];
      return [{
        line, payout, lineId: line.id, payoutId: payout.id, amount: money(line.amountMinor, payout.currency), providerName: providerNameOf(ctx, payout.provider),
        candidates: JSON.parse(m.candidates) as { invoiceId: string; invoiceNumber: string; contactName: string | null; score: number; reasons: string[]; amountDueMinor: number }[],
      }];
    });
    // A line back in the queue because its account was archived or deleted in Xero says so.
    const requeued = await requeueReasons(ctx.db, orgId, queue.map((q) => q.payoutId), queue.map((q) => q.lineId));
    // The chart for "post to an account", only when something waits (the page costs no Xero call otherwise).
    let chartError: string | null = null;
    let catalogue: Catalogue | null = null;
    if (queue.length > 0) {
      ({ catalogue, chartError } = await chartForPage(ctx, await getLiveConnection(ctx.db, orgId), 'Connect to Xero to post a line to an account of the chart.'));
    }
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'payouts/signoff', {
      title: 'Sign-off queue', base, flash: ctx.pages.takeFlash(req), queue, requeued, money, choices: ruleChoices(catalogue), chartError, refused,
      ...(refused ? { pageError: 'Nothing was posted: the form needs fixing.' } : {}),
    }, status);
  };

  router.get('/payouts/signoff', readers, async (req, res) => {
    await renderQueue(req, res);
  });

  router.post('/payouts/signoff/:lineId', readers, async (req: Request, res) => {
    const orgId = req.principal!.orgId;
    const lineId = Number(req.params.lineId);
    // Another organisation's (or no) line is a 404 whatever the form says: ids are checked before input.
    const known = Number.isSafeInteger(lineId) && lineId > 0
      && (await ctx.db('xero_payout_matches').where({ org_id: orgId, line_id: lineId }).first('line_id', 'payout_id')) as { payout_id: number } | undefined;
    if (!known) throw new NotFoundError(`Queued charge ${req.params.lineId}`);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const action = String(body.action ?? '');
    let decision: SignOff;
    if (action === 'confirm') decision = { action: 'confirm' };
    else if (action === 'suspense') decision = { action: 'suspense' };
    else if (action === 'pick' && typeof body.invoiceId === 'string' && body.invoiceId) decision = { action: 'pick', invoiceId: body.invoiceId };
    else if (action === 'account') {
      const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
      const values = { account_code: text('account_code'), tax_type: text('tax_type'), remember: text('remember'), rule_name: text('rule_name') };
      const refuse = async (issues: SettingIssue[], status = 422) => {
        const errors: Record<string, string> = {};
        for (const i of issues) errors[i.field] ??= i.message;
        await renderQueue(req, res, { lineId, values, errors }, status);
      };
      const [line] = await ctx.payouts.lines(ctx.db, orgId, [lineId]);
      const payout = line ? (await ctx.payouts.list(ctx.db, { orgId, ids: [line.payoutId] }))[0] : undefined;
      if (!line || !payout) throw new NotFoundError(`Queued charge ${req.params.lineId}`);
      const missing: SettingIssue[] = [];
      if (!values.account_code) missing.push({ field: 'account_code', message: 'choose the account this line goes to' });
      if (!values.tax_type) missing.push({ field: 'tax_type', message: 'choose a tax rate (No VAT / NONE when none applies)' });
      if (missing.length > 0) return refuse(missing);
      const connection = await getLiveConnection(ctx.db, orgId);
      if (!connection || connection.status !== 'connected') return refuse([{ field: 'account_code', message: 'connect to Xero first: the account is checked against its chart' }], 409);
      const chart = await chartForSave(ctx, connection);
      if ('failure' in chart) {
        if (chart.failure.retryAfterSeconds !== null) res.set('Retry-After', String(chart.failure.retryAfterSeconds));
        return refuse([{ field: 'account_code', message: chart.failure.message }], chart.failure.status);
      }
      const { catalogue } = chart;
      const chartIssues = checkRuleAgainstChart(values.account_code, values.tax_type, catalogue);
      if (chartIssues.length > 0) return refuse(chartIssues);
      let rule = null;
      if (values.remember) {
        // The rule's conditions come from the line, as Xero prefills a bank rule from a statement line.
        const parsed = parseRuleForm({
          name: values.rule_name || `${providerNameOf(ctx, payout.provider)}: ${line.description?.trim() || 'no description'}`.slice(0, 120),
          provider: payout.provider, line_kind: line.kind, currency: payout.currency, description: (line.description ?? '').trim().slice(0, 500),
          amount_min: '', amount_max: '', account_code: values.account_code, tax_type: values.tax_type,
        }, [payout.provider]);
        if (!parsed.ok) return refuse(parsed.issues.map((i) => ({ field: i.field === 'name' ? 'rule_name' : 'account_code', message: `the rule: ${i.message}` })));
        rule = parsed.rule;
      }
      decision = { action: 'account', accountCode: values.account_code.toUpperCase(), taxType: values.tax_type.toUpperCase(), rule };
    } else throw new ValidationError([{ path: 'action', message: 'must be confirm, pick (with an invoice), suspense or account (with an account and tax rate)' }]);
    const { payoutId, ruleId } = await signOffMatch(ctx, req.principal!, lineId, decision);
    // The new rule is put to the lines already waiting too (after the sign-off's own transaction: a Xero read).
    const taken = ruleId === null ? '' : takenText(await takeWaitingLines(ctx, req.principal!), ruleId);
    const flash = decision.action === 'suspense' ? 'Posted to the suspense account; the payout is being completed.'
      : decision.action === 'account' ? `Posted to account ${decision.accountCode}${decision.rule ? `; rule "${decision.rule.name}" will post lines like it the same way` : ''}; the payout is being completed.${taken}`
        : 'Match signed off; the payout is being completed.';
    ctx.pages.setFlash(req, 'success', flash);
    res.redirect(303, String(body.back) === 'payout' ? `${base}/${payoutId}` : `${base}/signoff`);
  });

  router.get('/payouts/:id', readers, async (req, res) => {
    const orgId = req.principal!.orgId;
    const payoutId = Number(req.params.id);
    const loaded = Number.isSafeInteger(payoutId) ? await ctx.payouts.get(ctx.db, orgId, payoutId) : null;
    if (!loaded) throw new NotFoundError(`Payout ${req.params.id}`);
    const { payout, lines } = loaded;
    const state = await ctx.db('xero_payouts').where({ org_id: orgId, payout_id: payoutId }).first();
    const steps = await stepsOf(ctx.db, orgId, null, payoutId);
    const byKey = new Map(steps.map((s) => [s.step_key, s]));
    const matches: Map<number, MatchRow> = await matchesOf(ctx.db, orgId, payoutId);
    const links = await organisationLinks(ctx.db, ctx.config.appUrl, orgId);
    const { timeZone } = await ctx.organisations.get(ctx.db, orgId);
    const saleName = await saleNamesOf(ctx.records, ctx.db, orgId, lines.flatMap((l) => (l.saleId === null ? [] : [l.saleId])));
    const sum = (pick: (l: (typeof lines)[number]) => number) => lines.reduce((s, l) => s + pick(l), 0);
    const totals = {
      gross: sum((l) => (l.kind === 'charge' ? l.amountMinor : 0)),
      refunds: sum((l) => (l.kind === 'refund' ? l.amountMinor : 0)),
      disputes: sum((l) => (['dispute', 'dispute_reversal', 'failure'].includes(l.kind) ? l.amountMinor : 0)),
      other: sum((l) => (l.kind === 'adjustment' ? l.amountMinor : 0)),
      fees: sum((l) => l.feeMinor) - sum((l) => (l.kind === 'fee' ? l.amountMinor : 0)),
    };
    const recordOf = (lineId: number) => {
      const step = byKey.get(`L${lineId}`);
      const match = matches.get(lineId);
      const line = lines.find((l) => l.id === lineId)!;
      if (step?.xero_id) return { text: `${step.xero_type.replace('_', ' ')} ${step.reference}`, href: links.record(step.xero_type, step.xero_id) };
      if (step?.status === 'failed') return { text: `failed: ${step.message ?? ''}`, href: null };
      if (match?.status === 'queued') return { text: 'waits for sign-off', href: `${base}/signoff#line-${lineId}` };
      // A fee line names the sale its payment was for, but it went to Xero in the payout's one fees spend.
      if (line.kind === 'fee') {
        const fees = byKey.get('FEES');
        return { text: 'in the fees spend', href: fees?.xero_id ? links.record(fees.xero_type, fees.xero_id) : null };
      }
      const saleRecord = `${ctx.mountPath}/sync/records/sale/${line.saleId}`;
      if (line.saleId !== null && line.kind === 'charge') return { text: `payment on the Xero invoice of ${saleName(line.saleId)} (sync)`, href: saleRecord };
      if (line.saleId !== null && line.kind === 'refund') return { text: `Xero credit note of ${saleName(line.saleId)} (sync)`, href: saleRecord };
      return { text: 'not posted yet', href: null };
    };
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'payouts/detail', {
      day: (ms: number) => formatDay(ms, timeZone), calendarDay: formatCalendarDay,
      title: `Payout ${payout.providerPayoutId}`, base, flash: ctx.pages.takeFlash(req), payout, providerName: providerNameOf(ctx, payout.provider), lines, totals, money, labels: STATUS_LABELS,
      status: payout.status === 'discrepancy' ? 'discrepancy' : String(state?.status ?? 'pending'), message: state?.message ?? null,
      matches, recordOf, fees: byKey.get('FEES'), transfer: byKey.get('XFER'), xeroLink: {
        payment: (id: string) => links.of('payment', id),
        bank_transaction: (id: string) => links.of('bank_transaction', id),
        bank_transfer: (id: string) => links.of('bank_transfer', id),
      },
    });
  });
  return router;
}
