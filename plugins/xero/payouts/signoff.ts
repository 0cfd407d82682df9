// A person's decision on a queued charge: confirm the best candidate, pick another, or post it to the
// suspense account. The decision, who made it and the candidates they saw go to the audit trail, and the
// payout is enqueued again (in the same transaction) to post what is now decided.
import { ConflictError, NotFoundError, ValidationError } from '../../../server/errors';
import type { PluginContext, Principal } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { writeAudit } from '../engine/audit';
import { actorLabel } from '../engine/logView';
import { enqueuePayoutPost } from './enqueue';
import type { ScoredCandidate } from './scoring';
import type { MatchRow } from './store';

export type SignOff = { action: 'confirm' } | { action: 'pick'; invoiceId: string } | { action: 'suspense' };

export async function signOffMatch(ctx: Pick<PluginContext<XeroConfig>, 'db' | 'outbox' | 'clock'>, principal: Principal, lineId: number, decision: SignOff): Promise<{ payoutId: number }> {
  return ctx.db.transaction(async (trx) => {
    const row = (await trx('xero_payout_matches').where({ org_id: principal.orgId, line_id: lineId }).first()) as MatchRow | undefined;
    if (!row) throw new NotFoundError(`Queued charge ${lineId}`);
    if (row.status !== 'queued') throw new ConflictError(`Charge ${lineId} was already decided (${row.status})`, 'PAYOUT_MATCH_DECIDED');
    const candidates = JSON.parse(row.candidates) as ScoredCandidate[];
    let chosen: ScoredCandidate | undefined;
    if (decision.action === 'confirm') {
      chosen = candidates[0];
      if (!chosen) throw new ValidationError([{ path: 'action', message: 'there is no candidate to confirm: pick an invoice or post to suspense' }]);
    } else if (decision.action === 'pick') {
      chosen = candidates.find((c) => c.invoiceId === decision.invoiceId);
      if (!chosen) throw new ValidationError([{ path: 'invoiceId', message: 'must be one of the ranked candidates' }]);
    }
    const by = `${principal.kind}:${principal.id}`;
    const now = ctx.clock.now();
    await trx('xero_payout_matches').where({ org_id: principal.orgId, line_id: lineId }).update({
      status: chosen ? 'confirmed' : 'suspense', invoice_id: chosen?.invoiceId ?? null, invoice_number: chosen?.invoiceNumber ?? null,
      score: chosen?.score ?? null, decided_by: by, decided_at: now, updated_at: now,
    });
    const payoutId = Number(row.payout_id);
    await writeAudit(trx, {
      orgId: principal.orgId, entityType: 'payout', entityId: payoutId, recordType: 'payout_match', action: 'signed_off', outcome: 'ok', triggeredBy: `user:${principal.id}`, actor: actorLabel(principal),
      request: { line: lineId, decision: decision.action, ...(chosen ? { invoice: chosen.invoiceNumber, score: chosen.score } : {}) },
      response: { candidates: candidates.map((c) => ({ invoice: c.invoiceNumber, score: c.score })) },
      message: chosen ? `matched charge line ${lineId} to ${chosen.invoiceNumber} (${chosen.score} %)` : `posted charge line ${lineId} to the suspense account`,
    }, now);
    await enqueuePayoutPost(ctx, trx, principal.orgId, payoutId, { again: { triggeredBy: `user:${principal.id}`, why: 'signoff' } });
    return { payoutId };
  });
}
