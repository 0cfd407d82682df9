// Contacts: names are unique among active contacts, and a document's contact is found by ContactID,
// ContactNumber or Name — a Name that matches nobody creates a new contact, as Xero does.
import { newId } from '../ids';
import type { Book, ContactRecord } from '../model';
import { CONTACT_WRITABLE_FIELDS } from '../serialize';

export function duplicateNameMessage(name: string): string {
  return `The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`;
}

export function findActiveContactByName(book: Book, name: string, exceptId?: string): ContactRecord | undefined {
  const wanted = name.trim().toLowerCase();
  for (const contact of book.contacts.values()) {
    if (contact.ContactID !== exceptId && contact.ContactStatus === 'ACTIVE' && contact.Name.trim().toLowerCase() === wanted) return contact;
  }
  return undefined;
}

export function findContactByNumber(book: Book, number: string): ContactRecord | undefined {
  for (const contact of book.contacts.values()) if (contact.fields.ContactNumber === number) return contact;
  return undefined;
}

/** Copy the writable fields of a request contact into a record's passthrough fields. */
export function writableFields(raw: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const field of CONTACT_WRITABLE_FIELDS) if (raw[field] !== undefined) fields[field] = raw[field];
  return fields;
}

export type ContactResolution = { ok: true; contact: ContactRecord; created: boolean } | { ok: false; error: string };

/** Resolve the Contact of a document. New contacts are returned unsaved; the caller saves on success. */
export function resolveDocumentContact(book: Book, raw: unknown, now: number): ContactResolution {
  if (!raw || typeof raw !== 'object') return { ok: false, error: 'A Contact must be specified for this type of transaction' };
  const ref = raw as Record<string, unknown>;
  if (typeof ref.ContactID === 'string' && ref.ContactID.trim()) {
    const contact = book.contacts.get(ref.ContactID.trim().toLowerCase());
    if (!contact) return { ok: false, error: `Contact with ContactID ${ref.ContactID} could not be found.` };
    if (contact.ContactStatus !== 'ACTIVE') return { ok: false, error: `The contact ${contact.Name} is archived and cannot be used.` };
    return { ok: true, contact, created: false };
  }
  if (typeof ref.ContactNumber === 'string' && ref.ContactNumber.trim()) {
    const contact = findContactByNumber(book, ref.ContactNumber.trim());
    if (contact && contact.ContactStatus === 'ACTIVE') return { ok: true, contact, created: false };
  }
  if (typeof ref.Name === 'string' && ref.Name.trim()) {
    const existing = findActiveContactByName(book, ref.Name);
    if (existing) return { ok: true, contact: existing, created: false };
    const contact: ContactRecord = {
      ContactID: newId(),
      Name: ref.Name.trim(),
      ContactStatus: 'ACTIVE',
      fields: writableFields(ref),
      IsCustomer: false,
      IsSupplier: false,
      UpdatedDateUTC: now,
    };
    return { ok: true, contact, created: true };
  }
  return { ok: false, error: 'A Contact must be specified for this type of transaction' };
}
