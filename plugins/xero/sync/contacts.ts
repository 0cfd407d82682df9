// Customers → Xero ContactIDs for a whole batch, in at most three calls: the cache (xero_records) first;
// for the rest ONE lookup (GET Contacts where ContactNumber/email/name is any of theirs), matching by our
// customer number, then email, then name; then ONE PUT of the still missing ones, and a second PUT only
// for names Xero says are taken (sent again under contactNameCollisionVariant). A contact created by an
// attempt that crashed before recording it is found by the lookup (its ContactNumber), never duplicated.
import { buildContact, contactNameCollisionVariant, type ContactSource } from '../payloads';
import type { ContactAnswer } from '../gateway/answers';
import type { XeroContact } from '../gateway/documents';
import { findRecords, saveRecords, type RecordKey, type RecordWrite } from '../engine/records';
import type { XeroSession } from '../engine/session';
import { idempotencyKey, stableJson } from '../engine/keys';
import { writeAudit, type AuditEntry } from '../engine/audit';

export type ContactResolution = { ok: true; contactId: string } | { ok: false; message: string; permanent: boolean };

const DUPLICATE_NAME = /already assigned to another contact/i;

export async function resolveContacts(
  session: XeroSession, db: Parameters<typeof findRecords>[0], customers: readonly ContactSource[], itemIds: readonly number[],
): Promise<Map<number, ContactResolution>> {
  const key: RecordKey = { orgId: session.orgId, tenantId: session.tenantId, entityType: 'customer', recordType: 'contact' };
  const unique = [...new Map(customers.map((c) => [c.id, c])).values()];
  const result = new Map<number, ContactResolution>();
  const cached = await findRecords(db, key, unique.map((c) => c.id));
  for (const [customerId, record] of cached) if (record.xeroId) result.set(customerId, { ok: true, contactId: record.xeroId });
  const missing = unique.filter((c) => !result.has(c.id));
  if (missing.length === 0) return result;

  const wanted = new Map(missing.map((c) => [c.id, buildContact(c, session.orgId)]));
  const audits: AuditEntry[] = [];
  // Contacts matched or created, recorded together once each answer is read (recordAdopted): one statement
  // for the batch. A crash before that loses nothing: the next lookup finds them by our customer number.
  let adopted: RecordWrite[] = [];
  const recordAdopted = async () => {
    await saveRecords(db, key, adopted, session.now());
    adopted = [];
  };
  // The audit names the contact as Xero shows it (the sync log shows no Xero ids: issue 14).
  const adopt = (customerId: number, contactId: string, how: string, name: string | null | undefined) => {
    result.set(customerId, { ok: true, contactId });
    adopted.push({ entityId: customerId, xeroId: contactId, status: 'ACTIVE', note: how });
    audits.push({ orgId: session.orgId, entityType: 'customer', entityId: customerId, recordType: 'contact', action: 'contact', outcome: 'ok', message: `${how}: ${name ? `"${name}"` : contactId}` });
  };

  // One lookup for every missing customer: by our number, by email, by name.
  const found = (await session.xero.findContacts({
    numbers: [...wanted.values()].map((c) => c.ContactNumber),
    emails: [...wanted.values()].filter((c) => c.EmailAddress).map((c) => c.EmailAddress!),
    names: [...wanted.values()].map((c) => c.Name),
  })).filter((c) => c.status !== 'ARCHIVED');
  const byNumber = new Map(found.map((c) => [c.contactNumber?.toLowerCase() ?? '', c]));
  for (const [customerId, contact] of wanted) {
    const number = byNumber.get(contact.ContactNumber.toLowerCase());
    if (number) {
      adopt(customerId, number.contactId, 'matched by our customer number', number.name);
      continue;
    }
    // Email or name only when that contact is not another customer's (no ContactNumber of ours, or none).
    const free = (c: ContactAnswer) => !c.contactNumber;
    const email = contact.EmailAddress?.toLowerCase();
    const byEmail = email ? found.find((c) => free(c) && c.email?.toLowerCase() === email) : undefined;
    if (byEmail) {
      adopt(customerId, byEmail.contactId, 'matched by email', byEmail.name);
      continue;
    }
    const byName = found.find((c) => free(c) && !c.email && c.name?.toLowerCase() === contact.Name.toLowerCase());
    if (byName) adopt(customerId, byName.contactId, 'matched by name', byName.name);
  }
  await recordAdopted();

  let toCreate: [number, XeroContact][] = [...wanted].filter(([id]) => !result.has(id));
  // Names Xero holds for another contact: the second round sends the collision variant.
  for (let round = 0; round < 2 && toCreate.length > 0; round++) {
    const payloads = toCreate.map(([, c]) => c);
    const elements = await session.xero.createContacts(payloads, { idempotencyKey: idempotencyKey('contacts', itemIds, stableJson(payloads)) });
    const taken: [number, XeroContact][] = [];
    for (const [index, [customerId, contact]] of toCreate.entries()) {
      const element = elements[index]!;
      if (element.ok) {
        adopt(customerId, element.value.contactId, 'created', contact.Name);
      } else if (round === 0 && element.messages.some((m) => DUPLICATE_NAME.test(m))) {
        taken.push([customerId, contact]);
      } else {
        result.set(customerId, { ok: false, message: `Xero refused the contact "${contact.Name}": ${element.messages.join('; ')}`, permanent: true });
      }
    }
    await recordAdopted();
    // A name can be taken by OUR contact for the same customer: created meanwhile by another worker's batch
    // for this organisation (both looked up before either created). Adopt it; only a different person's
    // contact makes us send the collision variant. One lookup, and only when a name was refused.
    const ours = taken.length === 0 ? new Map<string, ContactAnswer>() : new Map(
      (await session.xero.findContacts({ numbers: taken.map(([, c]) => c.ContactNumber) }))
        .filter((c) => c.status !== 'ARCHIVED')
        .map((c) => [c.contactNumber?.toLowerCase() ?? '', c]),
    );
    const again: [number, XeroContact][] = [];
    for (const [customerId, contact] of taken) {
      const existing = ours.get(contact.ContactNumber.toLowerCase());
      if (existing) adopt(customerId, existing.contactId, 'matched by our customer number after a name clash', existing.name);
      else again.push([customerId, { ...contact, Name: contactNameCollisionVariant(contact.Name, customerId) }]);
    }
    await recordAdopted();
    toCreate = again;
  }
  await writeAudit(db, audits, session.now());
  return result;
}

/** Forget a cached ContactID Xero no longer accepts (archived or deleted there): the next attempt resolves again. */
export async function forgetContact(session: XeroSession, db: Parameters<typeof findRecords>[0], customerId: number): Promise<void> {
  await db('xero_records').where({ org_id: session.orgId, tenant_id: session.tenantId, entity_type: 'customer', entity_id: customerId, record_type: 'contact' }).del();
}
