// Reading a Xero webhook body (contract: ../shared/spec/xero/xero-webhooks.yaml). Pure: the route verifies
// the signature over the raw bytes first and only then parses. Anything not in Xero's shape is refused as a
// whole (Xero sends nothing else); events of categories we do not act on are kept (recorded, not handled).
import { createHash } from 'node:crypto';

export type EventCategory = 'INVOICE' | 'CREDITNOTE' | 'CONTACT' | 'SUBSCRIPTION';
export type EventType = 'CREATE' | 'UPDATE';

export interface XeroWebhookEvent {
  resourceId: string;
  tenantId: string;
  category: EventCategory;
  type: EventType;
  /** Epoch ms of eventDateUtc (UTC, with or without Xero's missing "Z"). */
  at: number;
  /** A stable key for this event (recorded once per organisation). */
  key: string;
}

export interface XeroWebhookBody {
  events: XeroWebhookEvent[];
  firstEventSequence: number;
  lastEventSequence: number;
}

export class WebhookBodyError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CATEGORIES: readonly string[] = ['INVOICE', 'CREDITNOTE', 'CONTACT', 'SUBSCRIPTION'];
const TYPES: readonly string[] = ['CREATE', 'UPDATE'];
// Xero writes eventDateUtc as "2025-12-02T00:44:09.923" (UTC, no zone); an explicit Z or offset is accepted too.
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$/;

export function eventKey(parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join('|')).digest('hex');
}

function parseDate(value: unknown, where: string): number {
  if (typeof value !== 'string' || !DATE.test(value)) throw new WebhookBodyError(`${where}.eventDateUtc: must be an ISO date-time`);
  const withZone = /(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(withZone);
  if (!Number.isFinite(ms)) throw new WebhookBodyError(`${where}.eventDateUtc: not a date`);
  return ms;
}

const sequence = (value: unknown, name: string): number => {
  // 0 in the intent-to-receive payload (Xero's own, below the contract's minimum of 1).
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2_147_483_647) throw new WebhookBodyError(`${name}: must be a whole number`);
  return value;
};

export function parseWebhookBody(raw: Buffer | string): XeroWebhookBody {
  let body: unknown;
  try {
    body = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    throw new WebhookBodyError('The body is not JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new WebhookBodyError('The body must be an object');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.events)) throw new WebhookBodyError('events: must be a list');
  if (typeof b.entropy !== 'string') throw new WebhookBodyError('entropy: required');
  const firstEventSequence = sequence(b.firstEventSequence, 'firstEventSequence');
  const lastEventSequence = sequence(b.lastEventSequence, 'lastEventSequence');
  const events = b.events.map((e: unknown, i): XeroWebhookEvent => {
    const where = `events[${i}]`;
    if (!e || typeof e !== 'object') throw new WebhookBodyError(`${where}: must be an object`);
    const ev = e as Record<string, unknown>;
    for (const name of ['resourceId', 'tenantId'] as const) {
      if (typeof ev[name] !== 'string' || !UUID.test(ev[name])) throw new WebhookBodyError(`${where}.${name}: must be a UUID`);
    }
    if (typeof ev.eventCategory !== 'string' || !CATEGORIES.includes(ev.eventCategory)) throw new WebhookBodyError(`${where}.eventCategory: must be one of ${CATEGORIES.join(', ')}`);
    if (typeof ev.eventType !== 'string' || !TYPES.includes(ev.eventType)) throw new WebhookBodyError(`${where}.eventType: must be CREATE or UPDATE`);
    if (typeof ev.resourceUrl !== 'string') throw new WebhookBodyError(`${where}.resourceUrl: required`);
    const at = parseDate(ev.eventDateUtc, where);
    const tenantId = (ev.tenantId as string).toLowerCase();
    const resourceId = (ev.resourceId as string).toLowerCase();
    return {
      resourceId, tenantId, category: ev.eventCategory as EventCategory, type: ev.eventType as EventType, at,
      key: eventKey(['webhook', tenantId, ev.eventCategory, ev.eventType, resourceId, String(ev.eventDateUtc)]),
    };
  });
  return { events, firstEventSequence, lastEventSequence };
}
