// A creating request holds its items' outbox lease, then is marked, then goes out within its window or not
// at all (plugins/xero/engine/sendMarks.ts, gateway/client.ts). The e2e proof with two workers and a stalled
// Xero is test/e2e/xero/lease-in-flight.test.ts; here the order and the window themselves, without a network.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountingApi } from 'xero-node';
import type { Queryable } from '../../../server/plugins/contract';
import { RetryableError } from '../../../server/errors';
import { BearerAuthentication, XeroClient, type XeroOperation } from '../../../plugins/xero/gateway/client';
import { leaseHeldForMs, SEND_WINDOW_MS, sendMarked } from '../../../plugins/xero/engine/sendMarks';
import type { XeroSession } from '../../../plugins/xero/engine/session';

const client = () => new XeroClient({ config: { apiUrl: 'http://127.0.0.1:9/api.xro/2.0', httpTimeoutMs: 1_000 }, authentication: new BearerAuthentication('t'), tenantId: 'tenant' });

/** An operation that records whether it ran (it would sign and write the request). */
function operation(): { run: XeroOperation<string>; ran: () => boolean } {
  let ran = false;
  return {
    run: async (_api: AccountingApi) => {
      ran = true;
      return { response: { status: 200 }, body: 'ok' };
    },
    ran: () => ran,
  };
}

/** A database that accepts the one statement markSending makes, and says so. */
function markDb(events: string[]): Queryable {
  return ((table: string) => ({
    insert: (rows: { outbox_item_id: number }[]) => ({
      onConflict: () => ({ ignore: async () => void events.push(`mark ${table} ${rows.map((r) => r.outbox_item_id).join(',')}`) }),
    }),
  })) as unknown as Queryable;
}

function session(events: string[], holdLease?: XeroSession['holdLease']): XeroSession {
  return { orgId: 1, tenantId: 'tenant', calls: 0, now: () => 0, httpTimeoutMs: 1_000, xero: undefined as never, ...(holdLease ? { holdLease } : {}) };
}

describe('the send window of a creating request', () => {
  it('the client sends while the window is open, and refuses (retryable, nothing sent) once it has passed', async () => {
    const open = operation();
    assert.equal(await client().call(open.run, { beforeSend: async () => ({ sendBy: performance.now() + 1_000 }) }), 'ok');
    assert.equal(open.ran(), true);

    // A process frozen between the hold and the send, resumed after the window: the request must not go out.
    const late = operation();
    await assert.rejects(client().call(late.run, { beforeSend: async () => ({ sendBy: performance.now() - 1 }) }),
      (err: Error) => err instanceof RetryableError && /window/.test(err.message));
    assert.equal(late.ran(), false);
  });

  it('sendMarked holds the lease for the send window and twice the HTTP timeout, then marks, then sends within the window', async () => {
    const events: string[] = [];
    const s = session(events, async (ids, forMs) => void events.push(`hold ${ids.join(',')} ${forMs}`));
    const before = performance.now();
    const window = await sendMarked(s, markDb(events), [7, 8], 'payment', async (beforeSend) => {
      const w = await beforeSend();
      events.push('send');
      return w;
    });
    assert.deepEqual(events, [`hold 7,8 ${SEND_WINDOW_MS + 2_000}`, 'mark xero_send_marks 7,8', 'send']);
    assert.equal(leaseHeldForMs(1_000), SEND_WINDOW_MS + 2_000);
    assert.ok(window.sendBy >= before + SEND_WINDOW_MS && window.sendBy <= performance.now() + SEND_WINDOW_MS);
  });

  it('sendMarked sends nothing and marks nothing when the lease cannot be held (another worker owns an item now)', async () => {
    const events: string[] = [];
    const s = session(events, async () => {
      throw Object.assign(new Error('outbox lease lost by A:0 for item(s) 8'), { name: 'LeaseLostError' });
    });
    await assert.rejects(sendMarked(s, markDb(events), [7, 8], 'payment', async (beforeSend) => {
      await beforeSend();
      events.push('send');
    }), (err: Error) => err instanceof RetryableError && /^not sent to Xero: outbox lease lost/.test(err.message));
    assert.deepEqual(events, []);
  });
});
