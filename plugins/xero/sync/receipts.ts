// A sale's receipt on its Xero invoice (Xero settings → Receipts): the host makes the PDF (ctx.receipts);
// once the invoice is in Xero, an item of its own attaches it (PUT /Invoices/{id}/Attachments/{FileName},
// IncludeOnline) through the rate budget, one call per receipt. Exactly once:
//   - xero_receipt_attachments marks the invoice as carrying the receipt as soon as Xero answered: an item
//     for a marked invoice (a resend, a second item) is done without a call;
//   - an item that may have uploaded before (a later attempt: a crash between the upload and the mark, a
//     timeout) or a resend lists the invoice's attachments first and adopts the file found under the
//     receipt's name instead of uploading it again.
// Xero refusing the file (its type, size or the invoice's 10 attachments) fails that item alone, for a person;
// an invoice gone from Xero leaves nothing to attach to.
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import type { AuditEntry } from '../engine/audit';
import { idempotencyKey } from '../engine/keys';
import { afterCallFailure, done, failed, finishBatch, type ItemResult } from '../engine/outcomes';
import { openSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import { XeroHttpError } from '../gateway/client';
import { RECEIPT_ATTACH, type ReceiptAttachPayload } from './types';

type Item = OutboxItem<ReceiptAttachPayload>;

export const RECEIPT_BATCH = 10;

/**
 * Queue the receipt's attachment to an invoice now in Xero. One item per sale (`xero:receipt:<sale>`); a
 * resend may add one of its own (`again`), which the mark or the attachment list keeps from uploading twice.
 */
export async function enqueueReceiptAttach(
  ctx: Pick<PluginContext<XeroConfig>, 'outbox' | 'db'>, orgId: number, payload: ReceiptAttachPayload, opts: { again?: string; trx?: Queryable } = {},
): Promise<void> {
  await enqueueReceiptAttaches(ctx, orgId, [{ payload, ...(opts.again ? { again: opts.again } : {}) }], opts.trx);
}

/** enqueueReceiptAttach for each of a batch's invoices, in one statement. */
export async function enqueueReceiptAttaches(
  ctx: Pick<PluginContext<XeroConfig>, 'outbox' | 'db'>, orgId: number, receipts: readonly { payload: ReceiptAttachPayload; again?: string }[], trx?: Queryable,
): Promise<void> {
  if (receipts.length === 0) return;
  await ctx.outbox.enqueueMany(trx ?? ctx.db, receipts.map(({ payload, again }) => ({
    type: RECEIPT_ATTACH, orgId, payload,
    dedupeKey: `xero:receipt:${payload.saleId}${again ? `:${again}` : ''}`,
  })));
}

async function markedInvoices(db: Queryable, orgId: number, invoiceIds: readonly string[]): Promise<Map<string, { attachmentId: string; fileName: string }>> {
  const rows = (await db('xero_receipt_attachments').where({ org_id: orgId }).whereIn('invoice_id', [...new Set(invoiceIds)])) as Record<string, unknown>[];
  return new Map(rows.map((r) => [String(r.invoice_id), { attachmentId: String(r.attachment_id), fileName: String(r.file_name) }]));
}

async function mark(db: Queryable, orgId: number, payload: ReceiptAttachPayload, attached: { attachmentId: string; fileName: string }, now: number): Promise<void> {
  await db('xero_receipt_attachments')
    .insert({ org_id: orgId, invoice_id: payload.invoiceId, sale_id: payload.saleId, attachment_id: attached.attachmentId, file_name: attached.fileName.slice(0, 120), attached_at: now })
    .onConflict(['org_id', 'invoice_id']).ignore();
}

export async function attachReceipts(svc: XeroServices, items: Item[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const results: (ItemResult | undefined)[] = items.map(() => undefined);
  const audit = (item: Item, entry: Pick<AuditEntry, 'action' | 'outcome' | 'message'> & Partial<AuditEntry>): AuditEntry => ({
    orgId, entityType: 'sale', entityId: item.payload.saleId, recordType: 'receipt', triggeredBy: item.payload.triggeredBy ?? 'system', ...entry,
  });
  const sync = (item: Item, attached: { attachmentId: string; fileName: string }) => ({
    orgId, entityType: 'sale' as const, entityId: item.payload.saleId, recordType: 'receipt', status: 'synced' as const,
    externalId: attached.attachmentId, externalRef: attached.fileName, error: null,
  });
  const failure = (item: Item, message: string): ItemResult =>
    failed(message, { orgId, entityType: 'sale', entityId: item.payload.saleId, recordType: 'receipt', status: 'failed' }, [audit(item, { action: 'failed', outcome: 'failed', message })]);

  const marked = await markedInvoices(ctx.db, orgId, items.map((i) => i.payload.invoiceId));
  for (const [index, item] of items.entries()) {
    const already = marked.get(item.payload.invoiceId);
    if (already) {
      results[index] = done(sync(item, already), [audit(item, { action: 'already_synced', outcome: 'ok', message: `the receipt ${already.fileName} is already on invoice ${item.payload.invoiceId}` })]);
    } else if (!ctx.receipts) {
      results[index] = failure(item, 'This booking system makes no receipts to attach');
    }
  }
  if (results.every((r) => r !== undefined)) return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);

  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
  try {
    for (const [index, item] of items.entries()) {
      if (results[index]) continue;
      const { saleId, invoiceId } = item.payload;
      const receipt = await ctx.receipts!.pdf(ctx.db, orgId, saleId);
      if (!receipt) {
        results[index] = failure(item, `Sale ${saleId} no longer exists in this organisation`);
        continue;
      }
      try {
        // A first attempt never uploaded anything; a later one (or a second item) may have, unanswered.
        if (item.attempts > 1 || item.dedupeKey !== `xero:receipt:${saleId}`) {
          const found = (await session.xero.invoiceAttachments(invoiceId)).find((a) => a.fileName.toLowerCase() === receipt.fileName.toLowerCase());
          if (found) {
            await mark(ctx.db, orgId, item.payload, found, ctx.clock.now());
            results[index] = done(sync(item, found), [audit(item, { action: 'adopted', outcome: 'ok', message: `the receipt ${found.fileName} was already on invoice ${invoiceId}; not attached again` })]);
            continue;
          }
        }
        const attached = await session.xero.attachToInvoice(invoiceId, receipt, {
          includeOnline: true, idempotencyKey: idempotencyKey('receipt', [item.id], `${invoiceId}|${receipt.fileName}`),
        });
        await mark(ctx.db, orgId, item.payload, attached, ctx.clock.now());
        results[index] = done(sync(item, attached), [audit(item, {
          action: 'attached', outcome: 'ok', request: { fileName: receipt.fileName, bytes: receipt.content.length, includeOnline: true },
          response: { AttachmentID: attached.attachmentId, ContentLength: attached.contentLength }, message: `receipt ${attached.fileName} attached to invoice ${invoiceId}`,
        })]);
      } catch (err) {
        if (!(err instanceof XeroHttpError) || ![400, 404, 413].includes(err.status)) throw err;
        // This file or this invoice, not the connection: the item fails alone, with what Xero said.
        const said = err.validationMessages.join('; ') || err.message;
        results[index] = err.status === 404
          ? done(undefined, [audit(item, { action: 'skipped', outcome: 'skipped', message: `invoice ${invoiceId} is no longer in Xero: nothing to attach the receipt to` })])
          : failure(item, `Xero refused the receipt ${receipt.fileName} (${receipt.content.length} bytes): ${said}`);
      }
    }
  } catch (err) {
    return afterCallFailure(ctx, items, results, err, hctx.workerId);
  }
  return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);
}
