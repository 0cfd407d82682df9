// "Cancel booking, keep deposit": the customer cancelled and the business keeps what was paid (a deposit is
// usually non-refundable). The sale is marked cancelled with the money kept — what was paid, less what was
// already given back — and owes nothing more (balance.ts); `sale.cancelled` is emitted in the same
// transaction so plugins post the kept money as the business's (Xero: an invoice to the cancellation-income
// account, paid by the deposits' prepayments). A sale is cancelled once; a second request is refused.
import { ConflictError } from '../errors';
import { nowMs } from '../db/knex';
import type { Principal } from '../auth/principal';
import { formatMinor } from './money';
import { saleName } from './saleName';
import { actorOf, findSaleRow, loadSaleSnapshot, withTransaction, type WriteOptions } from './saleRecords';
import type { SaleDeps } from './sales';
import { getSale, type SaleView } from './saleView';

export interface CancellationResult {
  sale: SaleView;
  /** Decimal text in the sale's currency. */
  kept: string;
}

export async function cancelKeepingDeposit(deps: SaleDeps, principal: Principal, saleId: number, opts: WriteOptions = {}): Promise<CancellationResult> {
  const now = opts.now ?? nowMs();
  return withTransaction(deps.db, opts.trx, async (trx) => {
    const sale = await findSaleRow(trx, principal.orgId, saleId, { lock: true });
    if (sale.cancelled_at !== null && sale.cancelled_at !== undefined) throw new ConflictError(`${saleName(sale)} was already cancelled`);
    const givenBack = (await trx('refunds').where({ sale_id: sale.id }).whereNotNull('method').sum({ given: 'amount_minor' }).first()) as { given: number | string | null } | undefined;
    const keptMinor = Math.max(0, Number(sale.paid_minor) - Number(givenBack?.given ?? 0));
    await trx('sales').where({ id: sale.id }).update({ cancelled_at: now, cancelled_by: actorOf(principal), kept_minor: keptMinor });
    const cancelled = { ...sale, cancelled_at: now, kept_minor: keptMinor };
    await deps.events.emit(
      trx,
      { type: 'sale.cancelled', orgId: sale.org_id, occurredAt: now, data: { sale: await loadSaleSnapshot(trx, cancelled), keptMinor } },
      { type: 'sale', id: sale.id },
    );
    return { sale: await getSale(trx, sale.org_id, sale.id), kept: formatMinor(keptMinor, sale.currency) };
  });
}
