// An expired gift voucher written off by an admin or the organisation's schedule (host event voucher.expired): what was left on it moves from
// the voucher liability to the expired-vouchers revenue account of the Xero settings, by one POSTED manual
// journal per voucher (debit the liability, credit revenue, both outside the scope of VAT), dated the day of
// the write-off. Exactly once: the journal's id is kept in xero_records (a retry finds it and sends nothing),
// and the create call carries an idempotency key. Xero's manual journals are in the base currency only, so a
// voucher in another currency fails naming why, for the accountant to post by hand.
import type { EventSubscriber, OutboxHandler, OutboxHandlerContext, OutboxItem, OutboxOutcome, VoucherSnapshot } from '../../../server/plugins/contract';
import { money } from '../../../server/plugins/contract';
import { PermanentError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { getLiveConnection } from '../connection/store';
import { writeAudit } from '../engine/audit';
import { saleNameOf } from '../engine/names';
import { idempotencyKey, stableJson } from '../engine/keys';
import { findRecord, saveRecord, type RecordKey } from '../engine/records';
import { withRetryPolicy } from '../engine/retryPolicy';
import { openSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import { saleSubject } from '../engine/types';
import type { XeroManualJournal } from '../gateway/documents';
import { loadResolvedMappings } from '../mappings/load';
import { MappingToFixError, requireVoucherAccount } from '../mappings/resolve';
import { xeroDate } from '../payloads/dates';
import { VOUCHER_JOURNAL } from './types';

export { VOUCHER_JOURNAL };
export const VOUCHER_JOURNAL_RECORD = 'voucher_journal' as const;

export interface VoucherJournalPayload {
  voucher: VoucherSnapshot;
  /** The voucher's sale (the failures page names the record by it). */
  saleId: number;
}

/** In the host's transaction: queue the journal behind the voucher's sale (its invoice credited the liability). */
export const onVoucherExpired: EventSubscriber<XeroConfig, 'voucher.expired'> = async (event, trx, ctx) => {
  if (!(await getLiveConnection(trx, event.orgId))) return;
  const { voucher } = event.data;
  await ctx.outbox.enqueue(trx, {
    type: VOUCHER_JOURNAL, orgId: event.orgId, payload: { voucher, saleId: voucher.saleId } satisfies VoucherJournalPayload,
    dedupeKey: `xero:voucher-journal:${voucher.id}`, subject: saleSubject(voucher.saleId),
  });
  await ctx.sync.upsert(trx, { orgId: event.orgId, entityType: 'sale', entityId: voucher.saleId, recordType: VOUCHER_JOURNAL_RECORD, status: 'pending', error: null });
};

/** The journal for one voucher (pure): debits positive, credits negative, balancing to zero; `saleName` as people call the voucher's sale. */
export function voucherJournal(v: VoucherSnapshot, saleName: string, accounts: { liability: string; revenue: string }, day: string): XeroManualJournal {
  const amount = Number(money.formatMinor(v.writtenOffMinor, v.currency));
  const description = `Gift voucher ${v.code} expired on ${v.expiresOn}: ${money.formatMinor(v.writtenOffMinor, v.currency)} ${v.currency} unused`;
  return {
    // The audit trail (Xero's and ours, which keeps the request) says when no person pressed the button.
    Narration: `Expired gift voucher ${v.code} (${saleName}) written off${v.automatic ? ' automatically' : ''}`,
    Date: day,
    Status: 'POSTED',
    LineAmountTypes: 'NoTax',
    JournalLines: [
      { AccountCode: accounts.liability, LineAmount: amount, Description: description, TaxType: 'NONE' },
      { AccountCode: accounts.revenue, LineAmount: -amount, Description: description, TaxType: 'NONE' },
    ],
  };
}

async function postJournals(svc: XeroServices, items: OutboxItem<VoucherJournalPayload>[], h: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const session = await openSession(svc.connection, svc.budget, orgId, h.signal);
  const mappings = await loadResolvedMappings(ctx.db, orgId);
  const { timeZone, baseCurrency } = await ctx.organisations.get(ctx.db, orgId);
  const key: RecordKey = { orgId, tenantId: session.tenantId, entityType: 'voucher', recordType: VOUCHER_JOURNAL_RECORD };
  const outcomes: OutboxOutcome[] = [];
  for (const item of items) {
    const v = item.payload.voucher;
    const now = () => ctx.clock.now();
    const sync = (status: 'synced' | 'failed', fields: { externalId?: string | null; externalRef?: string | null; error?: string | null; note?: string | null }) =>
      ctx.sync.upsert(ctx.db, { orgId, entityType: 'sale', entityId: v.saleId, recordType: VOUCHER_JOURNAL_RECORD, status, ...fields });
    const audit = { orgId, entityType: 'voucher' as const, entityId: v.id, recordType: VOUCHER_JOURNAL_RECORD, outboxItemId: item.id };
    const done = await findRecord(ctx.db, key, v.id);
    if (done?.xeroId) {
      await sync('synced', { externalId: done.xeroId, externalRef: `Journal for ${v.code}`, error: null });
      outcomes.push({ status: 'done' });
      continue;
    }
    let journal: XeroManualJournal;
    try {
      if (v.currency !== baseCurrency) {
        throw new PermanentError(`Gift voucher ${v.code} is in ${v.currency}; Xero's manual journals are in the base currency (${baseCurrency}) only: post its write-off by hand`);
      }
      const revenue = mappings.voucherExpiryAccountCode;
      if (!revenue) {
        throw new MappingToFixError('Expired gift vouchers need the revenue account their balance moves to, and none is set',
          'Mapping to fix: expired vouchers revenue account (none) (Xero settings, Gift vouchers)');
      }
      journal = voucherJournal(v, await saleNameOf(ctx.records, ctx.db, orgId, v.saleId), { liability: requireVoucherAccount(mappings), revenue }, xeroDate(v.writtenOffAt, timeZone));
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      await sync('failed', { error: err.message, note: err instanceof MappingToFixError ? err.note : null });
      await writeAudit(ctx.db, { ...audit, action: 'failed', outcome: 'failed', message: err.message }, now());
      outcomes.push({ status: 'failed', error: err.message });
      continue;
    }
    const element = await session.xero.createManualJournal(journal, { idempotencyKey: idempotencyKey('voucher-journal', [v.id], stableJson(journal)) });
    if (!element.ok || !element.value.manualJournalId) {
      const message = `Xero refused the journal: ${element.ok ? 'no id came back' : element.messages.join('; ')}`;
      await sync('failed', { error: message });
      await writeAudit(ctx.db, { ...audit, action: 'failed', outcome: 'failed', request: journal, response: element.summary, message }, now());
      outcomes.push({ status: 'failed', error: message });
      continue;
    }
    const journalId = element.value.manualJournalId;
    await saveRecord(ctx.db, key, { entityId: v.id, xeroId: journalId, status: 'POSTED', amountCents: Math.round(Math.abs(journal.JournalLines[0]!.LineAmount) * 100) }, now());
    await writeAudit(ctx.db, { ...audit, action: 'created', outcome: 'ok', request: journal, response: element.summary, message: journal.Narration }, now());
    await sync('synced', { externalId: journalId, externalRef: `Journal for ${v.code}`, error: null, note: null });
    outcomes.push({ status: 'done' });
  }
  return outcomes;
}

export function voucherJournalHandlers(svc: XeroServices): Record<string, OutboxHandler> {
  const handler: OutboxHandler<VoucherJournalPayload> = { batchSize: 10, maxAttempts: 50, handle: withRetryPolicy((items, h) => postJournals(svc, items, h)) };
  return { [VOUCHER_JOURNAL]: handler as OutboxHandler };
}
