// "There may be work": the wake-up signal between whoever enqueues and the workers.
// In-process it is a plain callback list (the writer calls notifyLocal after COMMIT). On PostgreSQL
// the writer also sends NOTIFY in its transaction, and the first subscriber opens a LISTEN connection,
// so workers in other processes wake as well. A lost signal only costs latency: workers still poll.
import type { Db } from '../db/knex';
import { isPostgres } from '../db/knex';
import type { Logger } from '../logger';
import { outboxChannelName, sanitize } from './channel';
import { startPgListener, type PgListener } from './pgListener';

export type WakeListener = (type: string | null) => void;

export interface OutboxNotifier {
  /** PostgreSQL NOTIFY channel, or null when the database has none (SQLite). */
  readonly channel: string | null;
  /** Wake this process's subscribers (the writer calls it after COMMIT). */
  notifyLocal(type: string | null): void;
  /** Called on every wake, local or from another process. Returns an unsubscribe function. */
  subscribe(listener: WakeListener): () => void;
  /** Resolves once cross-process wake-ups are being received (at once on SQLite, or before any subscriber). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function createOutboxNotifier(opts: { db: Db; logger: Logger; channel?: string }): OutboxNotifier {
  const postgres = isPostgres(opts.db);
  const channel = postgres ? (opts.channel ? sanitize(opts.channel) : outboxChannelName(opts.db)) : null;
  const listeners = new Set<WakeListener>();
  let listener: PgListener | null = null;

  const emit = (type: string | null) => {
    for (const l of [...listeners]) {
      try {
        l(type);
      } catch (err) {
        opts.logger.error({ err }, 'outbox wake listener threw');
      }
    }
  };

  return {
    channel,
    notifyLocal: emit,
    subscribe(l) {
      listeners.add(l);
      if (postgres && channel && !listener) {
        listener = startPgListener({
          connection: opts.db.client.config.connection,
          channel,
          logger: opts.logger,
          onNotify: (payload) => emit(payload || null),
          onReconnect: () => emit(null),
        });
      }
      return () => listeners.delete(l);
    },
    ready: () => listener?.ready ?? Promise.resolve(),
    async close() {
      listeners.clear();
      const current = listener;
      listener = null;
      await current?.close();
    },
  };
}
