// Idempotency-Key for POST and PUT: the first response for a key (per app and tenant) is recorded and
// replayed, status, headers and body, for repeats within the window. The key is bound to the method and
// path it was first used on: the same key on another endpoint is refused (400), never answered with the
// first endpoint's stored body. A repeat that arrives while the
// first is still running waits for it. 5xx answers are not recorded, so a retry after a server fault
// really retries.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock, XeroRequestAuth } from '../contracts';
import { sendXeroProblem } from '../identity/problems';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

interface StoredResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  storedAt: number;
}

interface Entry {
  /** "PUT /api.xro/2.0/Invoices": what the key was first used for. */
  endpoint: string;
  response?: StoredResponse;
  settled: Promise<void>;
}

/** Headers that describe the connection or the live limits, not the recorded answer. */
const NOT_REPLAYED = new Set(['content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'x-minlimit-remaining', 'x-daylimit-remaining', 'x-appminlimit-remaining']);

export class IdempotencyStore {
  #entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: () => number,
  ) {}

  clear(): void {
    this.#entries.clear();
  }

  middleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      if (req.method !== 'POST' && req.method !== 'PUT') return next();
      const key = req.get('idempotency-key');
      if (key === undefined) return next();
      if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
        return sendXeroProblem(res, 400, `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
      }
      const auth = res.locals.xero as XeroRequestAuth;
      const storeKey = `${auth.appId}\u0000${auth.tenantId}\u0000${key}`;
      void this.#handle(storeKey, req, res, next);
    };
  }

  async #handle(storeKey: string, req: Request, res: Response, next: NextFunction): Promise<void> {
    this.#prune();
    const endpoint = `${req.method} ${req.baseUrl}${req.path}`.toLowerCase();
    let entry = this.#entries.get(storeKey);
    if (entry && entry.endpoint !== endpoint) return refuseReuse(res);
    while (entry && !entry.response) {
      await entry.settled;
      entry = this.#entries.get(storeKey);
    }
    if (entry && entry.endpoint !== endpoint) return refuseReuse(res);
    if (entry?.response) return replay(res, entry.response);

    let settle!: () => void;
    const fresh: Entry = { endpoint, settled: new Promise<void>((resolve) => (settle = resolve)) };
    this.#entries.set(storeKey, fresh);
    // Recorded when the answer is produced, not when it reaches the client: Xero remembers the
    // outcome even if the connection drops on the way back (see the "landed" timeout fault).
    captureAnswer(res, (body) => {
      if (res.statusCode < 500) {
        fresh.response = { status: res.statusCode, headers: replayableHeaders(res), body, storedAt: this.clock.now() };
      } else {
        this.#forget(storeKey, fresh);
      }
      settle();
    });
    res.on('close', () => {
      if (!fresh.response) this.#forget(storeKey, fresh);
      settle();
    });
    next();
  }

  /** Drop an entry that recorded nothing, unless a later request has already taken the key over. */
  #forget(storeKey: string, entry: Entry): void {
    if (this.#entries.get(storeKey) === entry) this.#entries.delete(storeKey);
  }

  #prune(): void {
    const oldest = this.clock.now() - this.windowMs();
    for (const [key, entry] of this.#entries) {
      if (entry.response && entry.response.storedAt < oldest) this.#entries.delete(key);
    }
  }
}

function captureAnswer(res: Response, onEnd: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  const keep = (chunk: unknown, encoding: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
  };
  res.write = ((...args: unknown[]) => {
    keep(args[0], args[1]);
    return write(...args);
  }) as Response['write'];
  res.end = ((...args: unknown[]) => {
    keep(args[0], args[1]);
    onEnd(Buffer.concat(chunks));
    return end(...args);
  }) as Response['end'];
}

function replayableHeaders(res: Response): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (value === undefined || NOT_REPLAYED.has(name.toLowerCase())) continue;
    out[name] = Array.isArray(value) ? value : String(value);
  }
  return out;
}

function refuseReuse(res: Response): void {
  sendXeroProblem(res, 400, 'This Idempotency-Key has already been used for a request to a different endpoint');
}

function replay(res: Response, stored: StoredResponse): void {
  for (const [name, value] of Object.entries(stored.headers)) res.setHeader(name, value);
  res.setHeader('X-Emulator-Idempotent-Replay', 'true');
  res.status(stored.status).end(stored.body);
}
