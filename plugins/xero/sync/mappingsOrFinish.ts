// The first step of a push batch: the organisation's mappings and time zone (the calendar its documents
// are dated in), or — when a mapping is missing — every item failed with the reason (the admin fixes the
// setting, then retries) and the batch finished.
import type { OutboxItem, OutboxOutcome } from '../../../server/plugins/contract';
import { PermanentError } from '../../../server/errors';
import type { BatchRecorder } from '../engine/batchRecorder';
import { finishBatch, type ItemResult } from '../engine/outcomes';
import { permanentMessage, type XeroServices } from '../engine/services';
import { loadResolvedMappings } from '../mappings/load';
import type { ResolvedMappings } from '../mappings/types';

export async function mappingsOrFinish<P>(
  svc: XeroServices, orgId: number, items: OutboxItem<P>[], batch: BatchRecorder<P>, workerId: string,
): Promise<{ mappings: ResolvedMappings; timeZone: string } | { finished: OutboxOutcome[] }> {
  try {
    const mappings = await loadResolvedMappings(svc.ctx.db, orgId);
    return { mappings, timeZone: (await svc.ctx.organisations.get(svc.ctx.db, orgId)).timeZone };
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    items.forEach((item, index) => batch.fail(item, index, permanentMessage(err)));
    return { finished: await finishBatch(svc.ctx, items, batch.results as ItemResult[], workerId) };
  }
}
