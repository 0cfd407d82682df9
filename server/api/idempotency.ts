// Idempotency-Key on POSTs: a client that retries after a timeout gets the first answer again instead of
// a second sale. The key is claimed, the work done and the answer stored in ONE transaction, so a crash
// can never keep the answer without the sale or the sale without the answer.
//
//   request ─► BEGIN ─► key stored? ── yes ─► same body? ── yes ─► replay (Idempotent-Replayed: true)
//                          │ no                      └─ no ─► 422 IDEMPOTENCY_KEY_REUSED
//                          ▼
//                claim key (INSERT … ON CONFLICT DO NOTHING) ─ lost to a concurrent twin ─► re-read ─► as above
//                          ▼
//                work(trx) ─► store status + body ─► COMMIT ─► respond
//
// A request that fails (validation, conflict) rolls back its claim too: nothing is stored, and a retry
// of the same body fails the same way, while a corrected body may reuse the key.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { AppError, ValidationError } from '../errors';
import { nowMs, type Db, type Queryable, type Trx } from '../db/knex';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
const MAX_KEY_LENGTH = 255;

export interface ApiResult {
  status: number;
  body: unknown;
}

interface IdempotencyRow {
  id: number;
  org_id: number;
  key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The same key means the same request only for the same method, path and body. */
export function requestHash(req: Request): string {
  return createHash('sha256').update(`${req.method} ${req.baseUrl}${req.path}\n${canonicalJson(req.body)}`).digest('hex');
}

function readKey(req: Request): string | null {
  const key = req.get(IDEMPOTENCY_HEADER);
  if (key === undefined) return null;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ValidationError(
      [{ path: `headers.${IDEMPOTENCY_HEADER}`, message: `must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters (a UUID is ideal)` }],
      'The Idempotency-Key header is invalid',
    );
  }
  return key;
}

function findKey(db: Queryable, orgId: number, key: string): Promise<IdempotencyRow | undefined> {
  return db<IdempotencyRow>('api_idempotency').where({ org_id: orgId, key }).first() as Promise<IdempotencyRow | undefined>;
}

function replay(row: IdempotencyRow, hash: string): ApiResult & { replayed: true } {
  if (row.request_hash !== hash) {
    throw new AppError({
      statusCode: 422,
      code: 'IDEMPOTENCY_KEY_REUSED',
      message: 'This Idempotency-Key was already used for a different request',
      help: 'Use a new key for each distinct request; reuse a key only to retry exactly the same request.',
    });
  }
  return { status: row.status_code, body: JSON.parse(row.response_body) as unknown, replayed: true };
}

/**
 * Run `work` and send its result, honouring an Idempotency-Key header when present. `work` receives the
 * transaction to do its writes in (undefined without a key: the service then opens its own).
 */
export async function respondIdempotently(db: Db, orgId: number, req: Request, res: Response, work: (trx?: Trx) => Promise<ApiResult>): Promise<void> {
  const key = readKey(req);
  if (key === null) {
    const result = await work();
    res.status(result.status).json(result.body);
    return;
  }
  const hash = requestHash(req);
  const result = await db.transaction(async (trx): Promise<ApiResult & { replayed: boolean }> => {
    const stored = await findKey(trx, orgId, key);
    if (stored) return replay(stored, hash);
    // The claim: on PostgreSQL a concurrent twin blocks here until this transaction ends, then finds our row.
    const [claim] = (await trx('api_idempotency')
      .insert({ org_id: orgId, key, request_hash: hash, status_code: 0, response_body: '', created_at: nowMs() })
      .onConflict(['org_id', 'key'])
      .ignore()
      .returning('id')) as { id: number }[];
    if (!claim) return replay((await findKey(trx, orgId, key))!, hash);
    const fresh = await work(trx);
    await trx('api_idempotency').where({ id: claim.id }).update({ status_code: fresh.status, response_body: JSON.stringify(fresh.body) });
    return { ...fresh, replayed: false };
  });
  if (result.replayed) res.set(REPLAYED_HEADER, 'true');
  res.status(result.status).json(result.body);
}
