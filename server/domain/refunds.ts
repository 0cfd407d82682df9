// Refunding a sale: in full, by amount, or by line (a quantity, an amount, or whatever is left of a line).
// The sale row is locked first (PostgreSQL) so racing refunds see each other's effect and the sale can
// never be refunded beyond what was charged; everything is written and `refund.issued` emitted in one
// transaction.
import { ConflictError, ValidationError, type FieldIssue } from '../errors';
import { nowMs, type Trx } from '../db/knex';
import type { Principal } from '../auth/principal';
import { saleNameById } from './saleName';
import type { RefundSnapshot } from './events';
import { formatMinor, proportionalMinor, quantityUnits, formatTrimmed, QUANTITY_SCALE } from './money';
import { validateRefundInput, type ValidRefundRequest } from './saleSchemas';
import {
  actorOf, findSaleRow, loadSaleSnapshot, statusFor, withTransaction,
  type RefundLineRow, type RefundRow, type SaleLineRow, type SaleRow, type WriteOptions,
} from './saleRecords';
import type { SaleDeps } from './sales';
import { methodChoices } from './organisationMethods';
import { getSale, refundView, type RefundView, type SaleView } from './saleView';
import { refuseRefundingRedeemedVouchers, takeRefundsFromVouchers, voucherShares } from './voucherRefunds';

export interface RefundResult {
  refund: RefundView;
  sale: SaleView;
}

interface PlannedLine {
  saleLineId: number;
  quantity: string | null;
  amountMinor: number;
}

interface RefundPlan {
  amountMinor: number;
  lines: PlannedLine[];
}

export async function issueRefund(deps: SaleDeps, principal: Principal, saleId: number, input: unknown, opts: WriteOptions = {}): Promise<RefundResult> {
  const now = opts.now ?? nowMs();
  return withTransaction(deps.db, opts.trx, async (trx) => {
    const { sale, request, plan, vouchers } = await planFor(deps, trx, principal, saleId, input);

    const [refundRow] = (await trx('refunds')
      .insert({
        org_id: sale.org_id,
        sale_id: sale.id,
        kind: request.kind,
        amount_minor: plan.amountMinor,
        currency: sale.currency,
        method: request.method,
        provider_ref: request.providerRef,
        reason: request.reason,
        created_by: actorOf(principal),
        created_at: now,
      })
      .onConflict(['org_id', 'method', 'provider_ref'])
      .ignore()
      .returning('*')) as RefundRow[];
    if (!refundRow) throw await providerRefTaken(deps, trx, sale.org_id, request);

    const refundLines = plan.lines.length
      ? ((await trx('refund_lines')
          .insert(plan.lines.map((l) => ({ refund_id: refundRow.id, sale_line_id: l.saleLineId, quantity: l.quantity, amount_minor: l.amountMinor })))
          .returning('*')) as RefundLineRow[])
      : [];
    for (const line of plan.lines) {
      await trx('sale_lines').where({ id: line.saleLineId }).increment('refunded_minor', line.amountMinor);
    }
    await takeRefundsFromVouchers(trx, sale.id, vouchers, now);
    const refundedMinor = Number(sale.refunded_minor) + plan.amountMinor;
    await trx('sales')
      .where({ id: sale.id })
      .update({ refunded_minor: refundedMinor, status: statusFor(Number(sale.total_minor), refundedMinor) });

    const snapshot: RefundSnapshot = {
      id: refundRow.id,
      orgId: sale.org_id,
      saleId: sale.id,
      kind: request.kind,
      amountMinor: plan.amountMinor,
      currency: sale.currency,
      method: request.method,
      providerRef: request.providerRef,
      reason: request.reason,
      createdAt: now,
      lines: plan.lines,
    };
    await deps.events.emit(
      trx,
      { type: 'refund.issued', orgId: sale.org_id, occurredAt: now, data: { refund: snapshot, sale: await loadSaleSnapshot(trx, sale) } },
      { type: 'refund', id: refundRow.id },
    );
    return { refund: refundView(refundRow, refundLines), sale: await getSale(trx, sale.org_id, sale.id) };
  });
}

export interface RefundPreview {
  kind: ValidRefundRequest['kind'];
  /** Decimal text in the sale's currency. */
  amount: string;
  currency: string;
  method: string | null;
  reason: string | null;
}

/**
 * What issuing this refund would give back, checked by the same rules (and failing with the same errors)
 * as issueRefund, writing nothing: the pages ask a person to confirm it first.
 */
export async function previewRefund(deps: SaleDeps, principal: Principal, saleId: number, input: unknown): Promise<RefundPreview> {
  return deps.db.transaction(async (trx) => {
    const { sale, request, plan } = await planFor(deps, trx, principal, saleId, input);
    return { kind: request.kind, amount: formatMinor(plan.amountMinor, sale.currency), currency: sale.currency, method: request.method, reason: request.reason };
  });
}

/** Validate the request against its sale and plan it (lines, amount, what may be given back). */
async function planFor(deps: SaleDeps, trx: Trx, principal: Principal, saleId: number, input: unknown) {
  const sale = await findSaleRow(trx, principal.orgId, saleId, { lock: true });
  const methods = await methodChoices(deps.paymentMethods, trx, sale.org_id);
  const request = validateRefundInput(input, sale.currency, methods.enabled, methods.disabled, methods.pluginOnly);
  const lines = (await trx<SaleLineRow>('sale_lines').where({ sale_id: sale.id }).orderBy('position')) as SaleLineRow[];
  const plan = await planRefund(trx, sale, lines, request);
  await refuseGivingBackMoreThanPaid(deps, trx, sale, request, plan.amountMinor);
  // A sold gift voucher gives back only what is still unredeemed on it.
  const vouchers = voucherShares(lines, request, plan);
  await refuseRefundingRedeemedVouchers(trx, sale.id, vouchers);
  return { sale, request, plan, vouchers };
}

/**
 * Money given back at the desk (cash, card terminal: any method the host settles itself) can never be more
 * than the customer paid, less what was already given back by any method: a cash refund of 152.99 on a sale
 * with 100.00 paid was accepted. A provider's refund (Stripe, GoCardless) is not checked here: the provider
 * itself refunds no more than was charged, and its charge may be recorded after the refund (a late webhook).
 * A refund without a method gives nothing back; it is a credit against what is owed.
 */
async function refuseGivingBackMoreThanPaid(deps: SaleDeps, trx: Trx, sale: SaleRow, request: ValidRefundRequest, amountMinor: number): Promise<void> {
  // The organisation's own methods (a cheque written back) are settled by the host like cash.
  const method = request.method === null ? undefined : (await deps.paymentMethods.ofOrganisation(trx, sale.org_id)).find((m) => m.id === request.method);
  if (!method || method.settledByPayouts) return;
  const row = (await trx('refunds').where({ sale_id: sale.id }).whereNotNull('method').sum({ given: 'amount_minor' }).first()) as { given: number | string | null } | undefined;
  const alreadyGiven = Number(row?.given ?? 0);
  const held = Number(sale.paid_minor) - alreadyGiven;
  if (amountMinor <= held) return;
  const money = (minor: number) => `${formatMinor(Math.max(0, minor), sale.currency)} ${sale.currency}`;
  throw new ValidationError([{
    path: 'method',
    message: `${method.label} can give back at most ${money(held)}: ${money(Number(sale.paid_minor))} was paid${alreadyGiven ? ` and ${money(alreadyGiven)} already given back` : ''}. ` +
      'To reduce what the customer owes without giving money back, leave "paid back by" empty.',
  }]);
}

/** Work out what this request refunds, or throw a ValidationError naming every field that asks too much. */
async function planRefund(trx: Trx, sale: SaleRow, lines: SaleLineRow[], request: ValidRefundRequest): Promise<RefundPlan> {
  const money = (minor: number) => `${formatMinor(minor, sale.currency)} ${sale.currency}`;
  const saleRemaining = Number(sale.total_minor) - Number(sale.refunded_minor);
  const lineRemaining = (l: SaleLineRow) => Number(l.line_total_minor) - Number(l.refunded_minor);

  if (request.kind === 'full') {
    if (saleRemaining <= 0) throw new ValidationError([{ path: 'kind', message: 'nothing is left to refund on this sale' }]);
    // Per line when the lines still account for all that is left (no refund by amount happened):
    // the credit note can then mirror the invoice's lines.
    const open = lines.filter((l) => lineRemaining(l) > 0);
    const openTotal = open.reduce((sum, l) => sum + lineRemaining(l), 0);
    const perLine = openTotal === saleRemaining ? open.map((l) => ({ saleLineId: l.id, quantity: null, amountMinor: lineRemaining(l) })) : [];
    return { amountMinor: saleRemaining, lines: perLine };
  }

  if (request.kind === 'amount') {
    const amount = request.amountMinor!;
    if (amount > saleRemaining) {
      throw new ValidationError([{ path: 'amount', message: `is more than the ${money(Math.max(0, saleRemaining))} left to refund on this sale` }]);
    }
    return { amountMinor: amount, lines: [] };
  }

  const byId = new Map(lines.map((l) => [l.id, l]));
  const history = await quantityHistory(trx, lines.map((l) => l.id));
  const issues: FieldIssue[] = [];
  const planned: PlannedLine[] = [];
  request.lines.forEach((wanted, index) => {
    const path = `lines.${index}`;
    const line = byId.get(wanted.lineId);
    if (!line) {
      issues.push({ path: `${path}.lineId`, message: 'is not a line of this sale' });
      return;
    }
    const remaining = lineRemaining(line);
    if (wanted.quantity) {
      const lineQuantity = quantityUnits(line.quantity);
      const past = history.get(line.id) ?? { quantityUnits: 0n, byAmount: false };
      const quantityLeft = lineQuantity - past.quantityUnits;
      if (wanted.quantity.units > quantityLeft) {
        issues.push({ path: `${path}.quantity`, message: `is more than the ${formatTrimmed(quantityLeft, QUANTITY_SCALE)} of ${line.quantity} left to refund on this line` });
        return;
      }
      // The last units of a line refunded by quantity take exactly what is left, so rounding never
      // strands a penny (3 × 3.33 of a 10.00 line).
      const amount = wanted.quantity.units === quantityLeft && !past.byAmount
        ? remaining
        : proportionalMinor(Number(line.line_total_minor), wanted.quantity.units, lineQuantity);
      if (amount > remaining) {
        issues.push({ path: `${path}.quantity`, message: `refunds ${money(amount)}, more than the ${money(remaining)} left to refund on this line` });
      } else if (amount === 0) {
        issues.push({ path: `${path}.quantity`, message: 'refunds nothing (this quantity is worth less than the smallest coin)' });
      } else {
        planned.push({ saleLineId: line.id, quantity: wanted.quantity.text, amountMinor: amount });
      }
      return;
    }
    if (wanted.amountMinor !== null) {
      if (wanted.amountMinor > remaining) issues.push({ path: `${path}.amount`, message: `is more than the ${money(remaining)} left to refund on this line` });
      else planned.push({ saleLineId: line.id, quantity: null, amountMinor: wanted.amountMinor });
      return;
    }
    if (remaining <= 0) issues.push({ path: `${path}.lineId`, message: 'nothing is left to refund on this line' });
    else planned.push({ saleLineId: line.id, quantity: null, amountMinor: remaining });
  });
  const amount = planned.reduce((sum, l) => sum + l.amountMinor, 0);
  if (issues.length === 0 && amount > saleRemaining) {
    issues.push({ path: 'lines', message: `add up to ${money(amount)}, more than the ${money(Math.max(0, saleRemaining))} left to refund on this sale` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { amountMinor: amount, lines: planned };
}

/** Per sale line: quantity already refunded, and whether any refund took an amount (not a quantity) from it. */
async function quantityHistory(trx: Trx, saleLineIds: number[]): Promise<Map<number, { quantityUnits: bigint; byAmount: boolean }>> {
  const history = new Map<number, { quantityUnits: bigint; byAmount: boolean }>();
  if (saleLineIds.length === 0) return history;
  const rows = (await trx<RefundLineRow>('refund_lines').whereIn('sale_line_id', saleLineIds)) as RefundLineRow[];
  for (const row of rows) {
    const entry = history.get(row.sale_line_id) ?? { quantityUnits: 0n, byAmount: false };
    if (row.quantity === null) entry.byAmount = true;
    else entry.quantityUnits += quantityUnits(row.quantity);
    history.set(row.sale_line_id, entry);
  }
  return history;
}

async function providerRefTaken(deps: Pick<SaleDeps, 'paymentMethods'>, trx: Trx, orgId: number, request: ValidRefundRequest): Promise<ConflictError> {
  const existing = (await trx('refunds').where({ org_id: orgId, method: request.method, provider_ref: request.providerRef }).first('id', 'sale_id')) as
    | { id: number; sale_id: number }
    | undefined;
  return new ConflictError(
    `Refund "${request.providerRef}" (${deps.paymentMethods.get(request.method ?? '')?.label ?? request.method}) is already recorded${existing ? ` (refund ${existing.id} on ${await saleNameById(trx, orgId, existing.sale_id)})` : ''}`,
    'REFUND_PROVIDER_REF_TAKEN',
    { refundId: existing?.id ?? null, saleId: existing?.sale_id ?? null },
  );
}
