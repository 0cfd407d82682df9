import { Router, type NextFunction, type Request, type Response } from 'express';
import type { HostDeps } from '../hostDeps';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { requireRole } from '../auth/middleware';
import { cancelKeepingDeposit } from '../domain/cancellations';
import { getOrganisation, type Organisation } from '../domain/organisations';
import { createSale } from '../domain/sales';
import { issueRefund, previewRefund } from '../domain/refunds';
import { recordPayment } from '../domain/payments';
import { CUSTOMER_CREDIT_METHOD } from '../domain/customerCredit';
import { recordableByPeople } from '../plugins/paymentMethods';
import { getSale, listSales, type SaleView } from '../domain/saleView';
import { saleName } from '../domain/saleName';
import { formatCalendarDay } from '../domain/format';
import { SALE_STATUSES } from '../domain/saleSchemas';
import { renderPage } from './render';
import { errorsByField, field } from './forms';
import { setFlash, takeFlash } from './flash';
import { formatLocal } from './time';
import { isSettled, syncLabel } from './syncLabel';
import { externalLinkOf, saleActionsFor, saleFiguresFor } from './externalLinks';
import { refundedAsAmount, refundKindLabel, saleState } from './saleState';
import { createReceipts } from '../receipts';
import { hostRecords } from '../domain/hostRecords';
import { methodLabelsOf } from '../domain/methodLabels';
import { blankLine, emptySaleForm, formErrors, MAX_LINE_ROWS, readSaleForm, saleInputFromForm, type SaleFormValues } from './saleForm';

// Pages over the domain services: every write goes through createSale / issueRefund / recordPayment,
// exactly as the JSON API does, so the same validation, events and outbox rows apply.

const anyRole = requireRole('admin', 'staff', 'accountant');
const sellers = requireRole('admin', 'staff');
const LIST_FILTERS = ['q', 'status', 'from', 'to', 'unpaid', 'cursor'] as const;

const saleIdParam = (req: Request): number => {
  const id = Number(req.params.id);
  if (!/^\d{1,15}$/.test(String(req.params.id)) || id <= 0) throw new NotFoundError(`Sale ${String(req.params.id)}`);
  return id;
};

const when = (org: Organisation) => (iso: string | number | null) => (iso === null ? '' : formatLocal(typeof iso === 'number' ? iso : Date.parse(iso), org.timezone));

export function createSalesPages(deps: Pick<HostDeps, 'db' | 'events' | 'paymentMethods' | 'plugins'>): Router {
  const router = Router();
  // The organisation's methods (the install's and its own): forms offer the enabled ones people may record
  // (not "Paid in Xero", which only its plugin records); labels name any.
  const methodsOf = async (orgId: number) => {
    const all = await deps.paymentMethods.ofOrganisation(deps.db, orgId);
    return { offered: all.filter((m) => m.enabled && recordableByPeople(m)), methodLabel: await methodLabelsOf(deps.paymentMethods, deps.db, orgId) };
  };

  // ---- list
  router.get('/sales', anyRole, async (req, res, next) => {
    try {
      const org = await getOrganisation(deps.db, req.principal!.orgId);
      // Only the filters the form has, and only when filled in: the service rejects unknown or repeated keys.
      const filters: Record<string, string> = {};
      for (const key of LIST_FILTERS) {
        const value = req.query[key];
        if (typeof value === 'string' && value.trim()) filters[key] = value.trim();
      }
      let page: { data: SaleView[]; nextCursor: string | null } = { data: [], nextCursor: null };
      let errors: Record<string, string> = {};
      try {
        page = await listSales(deps.db, org.id, filters);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        errors = errorsByField(err);
      }
      const { cursor: _cursor, ...keep } = filters;
      const nextHref = page.nextCursor ? `/sales?${new URLSearchParams({ ...keep, cursor: page.nextCursor }).toString()}` : null;
      renderPage(res, 'sales/list', { title: 'Sales', saleName, sales: page.data, filters, errors, statuses: SALE_STATUSES, nextHref, firstHref: filters.cursor ? `/sales?${new URLSearchParams(keep).toString()}` : null, when: when(org), saleState }, Object.keys(errors).length ? 422 : undefined);
    } catch (err) {
      next(err);
    }
  });

  // ---- new
  const renderNew = async (req: Request, res: Response, form: SaleFormValues | null, extra: Record<string, unknown> = {}, status?: number) => {
    const org = await getOrganisation(deps.db, req.principal!.orgId);
    // The tax codes the installed plugins can post: offered as a dropdown (null: any code, a text field).
    const taxCodes = deps.plugins ? await deps.plugins.taxCodes.known(deps.db, org.id) : null;
    const { offered } = await methodsOf(org.id);
    renderPage(res, 'sales/new', { title: 'New sale', form: form ?? emptySaleForm(org.baseCurrency), errors: {}, formError: null, methods: offered, taxCodes, ...extra }, status);
  };

  router.get('/sales/new', sellers, (req, res, next) => {
    renderNew(req, res, null).catch(next);
  });

  router.post('/sales', sellers, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const org = await getOrganisation(deps.db, req.principal!.orgId);
      const form = readSaleForm(req.body, org.baseCurrency);
      if (field(req, 'addLines')) {
        // "More lines" without JavaScript: the same form back with five more empty rows, nothing saved.
        const more = Math.min(MAX_LINE_ROWS - form.lines.length, 5);
        form.lines.push(...Array.from({ length: Math.max(0, more) }, blankLine));
        return renderNew(req, res, form);
      }
      const { input, rowOf } = saleInputFromForm(form);
      try {
        const sale = await createSale(deps, req.principal!, input);
        setFlash(req, 'success', `${saleName(sale)} recorded: ${sale.total} ${sale.currency}.`);
        return res.redirect(303, `/sales/${sale.id}`);
      } catch (err) {
        if (err instanceof ValidationError) {
          return renderNew(req, res, form, { errors: formErrors(err.issues, rowOf), formError: 'The sale was not recorded: please correct the fields marked below.' }, 422);
        }
        if (err instanceof ConflictError) {
          const path = (err.details as { path?: string } | undefined)?.path ?? (err.code === 'SALE_REFERENCE_TAKEN' ? 'reference' : null);
          const errors = path ? formErrors([{ path, message: err.message }], rowOf) : {};
          return renderNew(req, res, form, { errors, formError: err.message }, 409);
        }
        throw err;
      }
    } catch (err) {
      next(err);
    }
  });

  // ---- detail, refund, payment
  const renderDetail = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status?: number) => {
    const org = await getOrganisation(deps.db, req.principal!.orgId);
    const sale = await getSale(deps.db, org.id, saleIdParam(req));
    const canSell = ['admin', 'staff'].includes(req.principal!.role);
    const { offered, methodLabel } = await methodsOf(org.id);
    const pluginFigures = await saleFiguresFor(deps.plugins, org.id, sale.id);
    // A line with no tax code of its own shows the code that applies to it (a plugin's default), not a blank.
    const defaultTaxCodes: Record<number, string> = Object.assign({}, ...pluginFigures.map((f) => f.defaultTaxCodes ?? {}));
    renderPage(
      res,
      'sales/detail',
      {
        title: saleName(sale),
        saleName,
        calendarDay: formatCalendarDay,
        // Where this app is mounted (a host may mount it under a path): the live script's URLs start here.
        liveBase: req.baseUrl,
        sale,
        canSell,
        methods: offered,
        // The customer's credit this sale can be paid from: in its own currency only.
        creditAvailable: sale.customerCredit.find((c) => c.currency === sale.currency)?.amount ?? null,
        creditMethod: CUSTOMER_CREDIT_METHOD,
        methodLabel,
        state: saleState(sale),
        refundKindLabel,
        refundedAsAmount: refundedAsAmount(sale),
        refundable: (Number(sale.total) - Number(sale.refunded)).toFixed(sale.total.split('.')[1]?.length ?? 0),
        flash: takeFlash(req),
        when: when(org),
        // No kind chosen: refunding everything must be a decision, never what an unread form does.
        refundValues: { kind: '', amount: '', method: '', reason: '' },
        refundErrors: {},
        refundError: null,
        paymentValues: { method: '', amount: '', providerRef: '', voucherCode: '' },
        paymentErrors: {},
        paymentError: null,
        syncLabel,
        isSettled,
        externalLink: await externalLinkOf(deps.plugins, org.id),
        saleActions: saleActionsFor(deps.plugins, sale.id, req.principal!.role),
        pluginFigures,
        lineTaxCode: (line: { id: number; taxCode: string | null }): string => line.taxCode || defaultTaxCodes[line.id] || '',
        ...extra,
      },
      status,
    );
  };

  router.get('/sales/:id', anyRole, (req, res, next) => {
    renderDetail(req, res).catch(next);
  });

  // The sale's receipt as a PDF (the same bytes a plugin may attach downstream), to print or send on.
  const receipts = createReceipts({ records: hostRecords, paymentMethods: deps.paymentMethods, taxCodes: {
    // No plugin that posts tax: no rate is known, and the receipt says so.
    lineRates: async (db, orgId, lines) => (deps.plugins ? deps.plugins.taxCodes.lineRates(db, orgId, lines) : lines.map(() => null)),
  } });
  router.get('/sales/:id/receipt.pdf', anyRole, async (req, res, next) => {
    try {
      const receipt = await receipts.pdf(deps.db, req.principal!.orgId, saleIdParam(req));
      if (!receipt) throw new NotFoundError(`Sale ${String(req.params.id)}`);
      res.set('Content-Type', receipt.contentType);
      res.set('Content-Disposition', `attachment; filename="${receipt.fileName}"`);
      res.set('Cache-Control', 'private, no-store');
      res.send(receipt.content);
    } catch (err) {
      next(err);
    }
  });

  // Two steps: the form asks for a review (what would be given back, by which method), and only the
  // confirmation issues the refund. Both run the same rules, so the review fails exactly as the refund would.
  router.post('/sales/:id/refunds', sellers, async (req, res, next) => {
    const refundValues = { kind: field(req, 'kind'), amount: field(req, 'amount'), method: field(req, 'method'), reason: field(req, 'reason') };
    try {
      const saleId = saleIdParam(req);
      const input: Record<string, unknown> = {};
      if (refundValues.kind) input.kind = refundValues.kind;
      if (refundValues.kind === 'amount') input.amount = refundValues.amount.trim();
      if (refundValues.method) input.method = refundValues.method;
      if (refundValues.reason.trim()) input.reason = refundValues.reason.trim();
      try {
        if (field(req, 'confirm') !== 'yes') {
          const preview = await previewRefund(deps, req.principal!, saleId, input);
          const sale = await getSale(deps.db, req.principal!.orgId, saleId);
          const { methodLabel } = await methodsOf(req.principal!.orgId);
          return renderPage(res, 'sales/refund-confirm', { title: `Confirm refund of ${preview.amount} ${preview.currency}`, saleName, sale, preview, refundValues, methodLabel });
        }
        const { refund } = await issueRefund(deps, req.principal!, saleId, input);
        const { methodLabel } = await methodsOf(req.principal!.orgId);
        setFlash(req, 'success', `Refunded ${refund.amount} ${refund.currency}${refund.method ? `, paid back by ${methodLabel(refund.method)}` : ' as a credit (no money given back)'}.`);
        return res.redirect(303, `/sales/${saleId}`);
      } catch (err) {
        if (err instanceof ValidationError || err instanceof ConflictError) {
          const refundErrors = err instanceof ValidationError ? errorsByField(err) : {};
          if (refundErrors.kind === 'is required') refundErrors.kind = 'Choose how much to refund.';
          return await renderDetail(req, res, { refundValues, refundErrors, refundError: err instanceof ConflictError ? err.message : 'The refund was not issued: see below.' }, err.statusCode);
        }
        throw err;
      }
    } catch (err) {
      next(err);
    }
  });

  router.post('/sales/:id/payments', sellers, async (req, res, next) => {
    const paymentValues = { method: field(req, 'method'), amount: field(req, 'amount'), providerRef: field(req, 'providerRef'), voucherCode: field(req, 'voucherCode') };
    try {
      const saleId = saleIdParam(req);
      const input: Record<string, unknown> = { method: paymentValues.method, amount: paymentValues.amount.trim() };
      if (paymentValues.providerRef.trim()) input.providerRef = paymentValues.providerRef.trim();
      if (paymentValues.voucherCode.trim()) input.voucherCode = paymentValues.voucherCode.trim();
      try {
        const { payment, created } = await recordPayment(deps, req.principal!, saleId, input);
        const credited = payment.toCredit ? ` ${payment.toCredit} ${payment.currency} of it was more than the sale owed and is kept as the customer's credit.` : '';
        setFlash(req, 'success', created ? `Payment of ${payment.amount} ${payment.currency} recorded.${credited}` : 'That payment was already recorded.');
        return res.redirect(303, `/sales/${saleId}`);
      } catch (err) {
        if (err instanceof ValidationError || err instanceof ConflictError) {
          const paymentErrors = err instanceof ValidationError ? errorsByField(err) : {};
          return await renderDetail(req, res, { paymentValues, paymentErrors, paymentError: err instanceof ConflictError ? err.message : 'The payment was not recorded: see below.' }, err.statusCode);
        }
        throw err;
      }
    } catch (err) {
      next(err);
    }
  });

  // The customer cancelled and the business keeps what was paid (sale.cancelled: plugins post it as income).
  router.post('/sales/:id/cancel', sellers, async (req, res, next) => {
    try {
      const saleId = saleIdParam(req);
      try {
        const { kept, sale } = await cancelKeepingDeposit(deps, req.principal!, saleId);
        setFlash(req, 'success', `Booking cancelled: ${kept} ${sale.currency} kept, nothing more is owed.`);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        setFlash(req, 'error', err.message);
      }
      return res.redirect(303, `/sales/${saleId}`);
    } catch (err) {
      next(err);
    }
  });

  return router;
}
