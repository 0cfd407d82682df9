// A dedicated PostgreSQL connection that LISTENs on the outbox channel. It lives outside knex's pool:
// LISTEN belongs to one session, and a pooled connection would be handed to other queries.
// When the connection drops it reconnects with capped backoff, then reports `onReconnect` so the
// workers look for work (notifications sent while it was away are lost for good).
import pg from 'pg';
import type { Logger } from '../logger';

export interface PgListenerOptions {
  /** What knex was given as `connection`: a URL or a pg config object. */
  connection: unknown;
  channel: string;
  logger: Logger;
  onNotify(payload: string): void;
  onReconnect(): void;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export interface PgListener {
  /** Resolves once LISTEN is in effect (or the listener was closed first). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function startPgListener(opts: PgListenerOptions): PgListener {
  const minMs = opts.reconnectMinMs ?? 250;
  const maxMs = opts.reconnectMaxMs ?? 30_000;
  let client: pg.Client | null = null;
  let closed = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  let everConnected = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const clientConfig = (): pg.ClientConfig => {
    const base = typeof opts.connection === 'string' ? { connectionString: opts.connection } : (opts.connection as pg.ClientConfig);
    // Keepalive lets a silently dead connection (NAT, failover) surface as an error we can reconnect from.
    return { ...base, keepAlive: true };
  };

  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    const delay = Math.min(maxMs, minMs * 2 ** Math.min(failures, 16));
    failures++;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, delay);
    retryTimer.unref();
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const candidate = new pg.Client(clientConfig());
    let dropped = false;
    const onDrop = (err?: Error) => {
      if (dropped) return;
      dropped = true;
      if (client === candidate) client = null;
      candidate.removeAllListeners('notification');
      candidate.end().catch(() => undefined);
      if (!closed) {
        opts.logger.warn({ err, channel: opts.channel }, 'outbox LISTEN connection lost; reconnecting');
        scheduleReconnect();
      }
    };
    candidate.on('error', onDrop);
    candidate.on('end', () => onDrop());
    candidate.on('notification', (msg) => {
      if (msg.channel === opts.channel) opts.onNotify(msg.payload ?? '');
    });
    try {
      await candidate.connect();
      // The channel is sanitised to [a-z0-9_]; quoting keeps it an exact, case-sensitive identifier.
      await candidate.query(`LISTEN "${opts.channel}"`);
    } catch (err) {
      onDrop(err as Error);
      return;
    }
    if (closed) {
      await candidate.end().catch(() => undefined);
      return;
    }
    client = candidate;
    failures = 0;
    if (everConnected) opts.onReconnect();
    everConnected = true;
    markReady();
  };

  void connect();

  return {
    ready,
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      markReady();
      const current = client;
      client = null;
      if (current) await current.end().catch(() => undefined);
    },
  };
}
