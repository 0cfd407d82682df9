// The provider kit's work handler: what each way a provider call or host call can end does to the outbox
// item. A provider that is busy retries, a refused key pauses, a provider or host refusal fails for good with
// its reason, a disconnected organisation fails, anything unknown is thrown on for the outbox's own retry.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthRevokedError, ConflictError, PermanentError, RetryableError, ValidationError } from '../../../server/errors';
import type { OutboxItem } from '../../../server/plugins/contract';
import { workHandler } from '../../../plugins/providerKit';

const item = (orgId: number | null, payoutId: string): OutboxItem<{ payoutId: string }> => ({
  id: 1, orgId, pluginId: 'test', type: 'test.payout.ingest', subject: null, dedupeKey: 'k', payload: { payoutId }, attempts: 1, maxAttempts: 5, createdAt: 0,
});

function handlerThrowing(err: unknown) {
  return workHandler<{ payoutId: string }, string>('Test Pay', {
    connect: async (orgId) => (orgId === 2 ? null : 'conn'),
    describe: (p) => `Payout ${p.payoutId}`,
    run: async () => {
      if (err) throw err;
    },
  });
}

const signal = new AbortController().signal;

describe('provider kit: workHandler outcomes', () => {
  it('done when the work succeeds', async () => {
    assert.deepEqual(await handlerThrowing(null).handle([item(1, 'po_1')], { workerId: 'w', signal }), [{ status: 'done' }]);
  });

  it('retry (with the provider\'s wait) when it is busy; paused when the key is refused', async () => {
    assert.deepEqual(await handlerThrowing(new RetryableError('HTTP 503', { retryAfterMs: 30_000 })).handle([item(1, 'po_1')], { workerId: 'w', signal }), [{ status: 'retry', error: 'Payout po_1: HTTP 503', retryAfterMs: 30_000 }]);
    assert.deepEqual(await handlerThrowing(new AuthRevokedError('key revoked')).handle([item(1, 'po_1')], { workerId: 'w', signal }), [{ status: 'paused', error: 'Payout po_1: key revoked' }]);
  });

  it('failed for good, with the reason, when the provider or the host refuses', async () => {
    assert.deepEqual(await handlerThrowing(new PermanentError('No such payout (resource_missing)')).handle([item(1, 'po_1')], { workerId: 'w', signal }), [{ status: 'failed', error: 'Payout po_1: No such payout (resource_missing)' }]);
    assert.deepEqual(await handlerThrowing(new ConflictError('already recorded as payment 7')).handle([item(1, 'po_1')], { workerId: 'w', signal }), [{ status: 'failed', error: 'Payout po_1: already recorded as payment 7' }]);
    const invalid = new ValidationError([{ path: 'currency', message: 'must be GBP, the sale\'s currency' }]);
    assert.deepEqual(await handlerThrowing(invalid).handle([item(1, 'po_1')], { workerId: 'w', signal }), [{ status: 'failed', error: 'Payout po_1: The request has invalid fields (currency: must be GBP, the sale\'s currency)' }]);
  });

  it('failed when the organisation is no longer connected; an unknown error is thrown on', async () => {
    assert.deepEqual(await handlerThrowing(null).handle([item(2, 'po_2')], { workerId: 'w', signal }), [{ status: 'failed', error: 'Payout po_2: Test Pay is not connected for this organisation (its settings were removed)' }]);
    await assert.rejects(handlerThrowing(new TypeError('boom')).handle([item(1, 'po_1')], { workerId: 'w', signal }), /boom/);
  });
});
