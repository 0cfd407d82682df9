// One organisation's Xero for the length of a batch: its live connection, a ready client (either signing
// mode), and the gateway (session.xero) whose every call goes through the shared rate budget. A connection
// that is missing or not connected throws AuthRevokedError, so the batch pauses until an admin re-authorises.
// A connection whose organisation's ShortCode was never read has it read once here (shortCode.ts).
import { AuthRevokedError, RetryableError } from '../../../server/errors';
import type { OutboxHandlerContext } from '../../../server/plugins/contract';
import { XeroHttpError, type CallOptions, type XeroClient, type XeroOperation } from '../gateway/client';
import { XeroGateway } from '../gateway/gateway';
import { clientForConnection } from '../connection/clientFactory';
import { getLiveConnection } from '../connection/store';
import type { ConnectionDeps } from '../connection/deps';
import { connectionHeadroom, tenantKeyOf, type RateBudget } from './rateBudget';
import { keepShortCode, lacksShortCode } from './shortCode';

export interface XeroSession {
  orgId: number;
  /** The tenant records are keyed by ('' never: a private app's own organisation is `org:<id>`). */
  tenantId: string;
  /** Count of calls made through this session (for tests and the audit's request summaries). */
  calls: number;
  /** The plugin's clock (epoch ms), for what this session's work records. */
  now(): number;
  /** Xero, through the rate budget: `beforeSend` (the send marks) runs once the budget granted the call. */
  xero: XeroGateway;
  /** How long this connection's client waits for one answer (XERO_HTTP_TIMEOUT_MS). */
  httpTimeoutMs: number;
  /** The outbox handler's lease keeper (sendMarks.ts holds it over each creating request); absent outside a worker. */
  holdLease?: OutboxHandlerContext['holdLease'];
}

export async function openSession(
  deps: ConnectionDeps, budget: RateBudget, orgId: number, signal?: AbortSignal, holdLease?: OutboxHandlerContext['holdLease'],
): Promise<XeroSession> {
  const connection = await getLiveConnection(deps.db, orgId);
  if (!connection) throw new AuthRevokedError('Xero is not connected for this organisation; an admin must connect it');
  const client: XeroClient = await clientForConnection(deps, connection);
  const tenantKey = tenantKeyOf(orgId, connection.tenant_id);
  const call = async <T>(operation: XeroOperation<T>, opts: CallOptions = {}): Promise<T> => {
    // The lease is about to run out (or the worker stops): start nothing new, so no other worker that
    // takes these items over can race a call of ours. What is done so far is recorded; the rest retries.
    if (signal?.aborted) throw new RetryableError('stopped before the next Xero call: the outbox lease is ending');
    const permit = await budget.acquire(tenantKey, { signal, headroom: () => connectionHeadroom(deps.db, orgId) });
    try {
      const window = (await opts.beforeSend?.()) ?? undefined;
      session.calls++;
      return await client.call(operation, window ? { window } : {});
    } catch (err) {
      // Xero said when to come back: every process holds off for this tenant, not just this batch.
      if (err instanceof XeroHttpError && err.status === 429) {
        await budget.block(tenantKey, err.problem === 'concurrent' ? 1_000 : err.retryAfterMs ?? 60_000);
      }
      throw err;
    } finally {
      await permit.release().catch((releaseErr) => deps.logger.warn({ err: releaseErr }, 'could not release a Xero rate lease'));
    }
  };
  const session: XeroSession = {
    orgId, tenantId: connection.tenant_id || `org:${orgId}`, calls: 0, now: deps.now, xero: new XeroGateway({ call }),
    httpTimeoutMs: deps.config.httpTimeoutMs, ...(holdLease ? { holdLease } : {}),
  };
  if (lacksShortCode(connection)) {
    await keepShortCode(session.xero, deps.db, connection.id, deps.now(), (err) => deps.logger.warn({ err, orgId }, 'could not read the organisation\'s ShortCode from Xero; asked again next time'));
  }
  return session;
}
