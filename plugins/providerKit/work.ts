// Provider work in the outbox: what an accepted event (or the sweep) asks for, enqueued once per provider
// object, and the handler wrapper that runs it. Every provider API call of the plugins happens inside one
// of these handlers, never in an HTTP request, and every way it can end is an outbox outcome a person can
// read: done; retried later (the provider is busy or down); paused (the key was refused: reconnect);
// failed for good with the real reason (the provider has no such object, the host refused the payment).
import { AppError, AuthRevokedError, PermanentError, RetryableError, ValidationError } from '../../server/errors';
import type { OutboxHandler, OutboxItem, OutboxOutcome, PluginContext, Queryable } from '../../server/plugins/contract';

/** One piece of work about one provider object (a payout, a charge, a payment). */
export interface Work {
  /** The full outbox type, `<pluginId>.<thing>.<verb>`. */
  type: string;
  /** The provider object's id: the same object is worked on once per organisation. */
  key: string;
  payload: unknown;
}

/** Queue the work in the caller's transaction; false when the same work was queued before. */
export async function enqueueWork(ctx: PluginContext<unknown>, trx: Queryable, orgId: number, work: Work): Promise<boolean> {
  const { created } = await ctx.outbox.enqueue(trx, {
    type: work.type, orgId, dedupeKey: `${work.type}:${orgId}:${work.key}`, payload: work.payload, subject: `${ctx.pluginId}:${orgId}:${work.key}`,
  });
  return created;
}

/** The reason an error gives a person: the host's field issues spelled out. */
export function reasonOf(err: Error): string {
  const issues = err instanceof ValidationError ? err.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : '';
  return issues ? `${err.message} (${issues})` : err.message;
}

/** What the outbox does with an item whose work threw `err`; anything unknown is thrown on (the outbox retries it). */
export function outcomeOfError(err: unknown, what: string): OutboxOutcome {
  if (err instanceof RetryableError) return { status: 'retry', error: `${what}: ${err.message}`, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) };
  if (err instanceof AuthRevokedError) return { status: 'paused', error: `${what}: ${err.message}` };
  // PermanentError: the provider refused for good. AppError: the host refused (unknown sale, wrong currency,
  // a conflicting payment). Neither gets better by retrying; a person reads why.
  if (err instanceof PermanentError || err instanceof AppError) return { status: 'failed', error: `${what}: ${reasonOf(err)}` };
  throw err;
}

export interface WorkHandlerSpec<P, Conn> {
  /** The organisation's connection (settings, API client), or null when it has none (disconnected). */
  connect(orgId: number): Promise<Conn | null>;
  /** The item in a few words, e.g. "Payout po_123": the start of every error a person reads. */
  describe(payload: P): string;
  run(conn: Conn, orgId: number, payload: P): Promise<void>;
}

/** An outbox handler running `spec.run` for each item of an organisation, one outcome per item. */
export function workHandler<P, Conn>(label: string, spec: WorkHandlerSpec<P, Conn>): OutboxHandler<P> {
  return {
    async handle(items: OutboxItem<P>[]) {
      const outcomes: OutboxOutcome[] = [];
      for (const item of items) {
        const what = spec.describe(item.payload);
        const conn = item.orgId === null ? null : await spec.connect(item.orgId);
        if (conn === null || item.orgId === null) {
          outcomes.push({ status: 'failed', error: `${what}: ${label} is not connected for this organisation (its settings were removed)` });
          continue;
        }
        try {
          await spec.run(conn, item.orgId, item.payload);
          outcomes.push({ status: 'done' });
        } catch (err) {
          outcomes.push(outcomeOfError(err, what));
        }
      }
      return outcomes;
    },
  };
}
