// Requests the security suite makes on behalf of a role, and what counts as "refused". Shared by the
// route × role test and the CSRF and cross-organisation tests.
import request, { type Response as SuperResponse } from 'supertest';
import type { Express } from 'express';
import type { RequestListener } from 'node:http';
import type { Role } from '../../server/plugins/contract';
import type { AppRoute } from './routes';
import type { Access } from './routeRoles';
import type { OrgRecords, Session } from './world';

/** An id no organisation has: lets an allowed role pass the role check without touching real data. */
export const MISSING_ID = 987_654_321;

export const isApi = (path: string): boolean => path.startsWith('/api/');

/** The record kind an `:id` names, by the path segment before it. */
const ID_KIND_BY_SEGMENT: Record<string, keyof OrgRecords> = {
  sales: 'sale', refunds: 'refund', payments: 'payment', users: 'user', tokens: 'token', history: 'backfill',
};

/** The route's path with placeholders: the row's sample, or `{kind}` for each id whose kind can be inferred. */
export function templateOf(route: AppRoute, access?: Access): string {
  if (access?.sample) return access.sample;
  const segments = route.path.split('/');
  return segments.map((seg, i) => {
    if (!seg.startsWith(':')) return seg;
    const name = seg.slice(1);
    if (name === 'entityType') return 'sale';
    if (name === 'entityId') return '{sale}';
    const kind = name === 'id' ? ID_KIND_BY_SEGMENT[segments[i - 1] ?? ''] : undefined;
    if (!kind) throw new Error(`${route.key}: cannot tell what ${seg} names; give its row a sample path, e.g. roles(ADMIN, { sample: '${route.path.replace(seg, '{payout}')}' }) and teach test/security/world.ts to make a {payout}`);
    return `{${kind}}`;
  }).join('/');
}

/** Fill `{kind}` placeholders with an organisation's ids, or with MISSING_ID. */
export function fill(template: string, records: OrgRecords | 'missing'): string {
  return template.replace(/\{(\w+)\}/g, (_m, kind: string) => {
    if (records === 'missing') return String(MISSING_ID);
    const id = (records as unknown as Record<string, unknown>)[kind];
    if (typeof id !== 'number') throw new Error(`sample placeholder {${kind}} is unknown: add it to OrgRecords in test/security/world.ts`);
    return String(id);
  });
}

export type Caller =
  | { kind: 'session'; role: Role | 'anonymous'; session: Session }
  | { kind: 'token'; role: Role | 'anonymous'; token: string | null };

/** One request as `caller`: forms carry the session's CSRF token (unless told otherwise), the API gets JSON. */
/** `app` may be the Express app or a wrapper of it (the API contract recorder, test/support/apiContract.ts). */
export function send(app: Express | RequestListener, method: string, path: string, caller: Caller, opts: { csrf?: string | null; body?: Record<string, unknown> } = {}): Promise<SuperResponse> {
  const m = method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
  if (caller.kind === 'token') {
    let req = request(app)[m](path).set('Accept', 'application/json');
    if (caller.token) req = req.set('Authorization', `Bearer ${caller.token}`);
    return m === 'get' ? req : req.send(opts.body ?? {});
  }
  let req = caller.session.agent[m](path).set('Accept', 'text/html');
  if (m === 'get') return req;
  const csrf = opts.csrf === undefined ? caller.session.csrf : opts.csrf;
  req = req.type('form');
  return req.send({ ...(csrf === null ? {} : { _csrf: csrf }), ...stringFields(opts.body ?? {}) });
}

function stringFields(body: Record<string, unknown>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]));
}

const toLogin = (res: SuperResponse): boolean => res.status >= 300 && res.status < 400 && String(res.headers.location ?? '').startsWith('/login');

/** Did the app refuse this caller as it should (403 for a role; 401 / login redirect for nobody)? */
export function refusedAsExpected(res: SuperResponse, caller: Caller, method: string): boolean {
  if (caller.role !== 'anonymous') return res.status === 403;
  if (caller.kind === 'token') return res.status === 401;
  return method === 'GET' ? toLogin(res) : res.status === 401;
}

/** Did this caller get past authentication and the role check (whatever the route then answered)? */
export function gotPast(res: SuperResponse): boolean {
  return res.status !== 401 && res.status !== 403 && !toLogin(res);
}

export const describeResponse = (res: SuperResponse): string =>
  `${res.status}${res.headers.location ? ` → ${String(res.headers.location)}` : ''} ${String(res.text ?? '').replace(/\s+/g, ' ').slice(0, 160)}`;
