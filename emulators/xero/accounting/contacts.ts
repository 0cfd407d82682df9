// Contacts: create or update one element of a {Contacts:[…]} batch.
import { recordHistory } from './history';
import { failed, type ElementOutcome } from './http';
import { newId } from './ids';
import type { Book, ContactRecord } from './model';
import { duplicateNameMessage, findActiveContactByName, findContactByNumber, writableFields } from './rules/contacts';
import { serializeContact } from './serialize';

const STATUSES = ['ACTIVE', 'ARCHIVED'] as const;

export function findContact(book: Book, idOrNumber: string): ContactRecord | undefined {
  return book.contacts.get(idOrNumber.toLowerCase()) ?? findContactByNumber(book, idOrNumber);
}

export function writeContact(raw: unknown, ctx: { book: Book; now: number; method: 'PUT' | 'POST'; pathId?: string }): ElementOutcome {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return failed(raw, ['Contact must be an object.']);
  const input = raw as Record<string, unknown>;
  const { book, now } = ctx;
  const sentId = ctx.pathId ?? (typeof input.ContactID === 'string' ? input.ContactID : undefined);
  let existing = sentId ? book.contacts.get(sentId.toLowerCase()) : undefined;
  if (sentId && !existing) return failed(raw, [`Contact with ContactID ${sentId} could not be found.`]);
  if (!existing && ctx.method === 'POST' && typeof input.ContactNumber === 'string') existing = findContactByNumber(book, input.ContactNumber);

  const errors: string[] = [];
  const name = typeof input.Name === 'string' ? input.Name.trim() : existing?.Name;
  if (!name) errors.push('The contact name must be specified.');
  else if (name.length > 255) errors.push('The contact name must be 255 characters or fewer.');
  const status = String(input.ContactStatus ?? existing?.ContactStatus ?? 'ACTIVE').toUpperCase() as ContactRecord['ContactStatus'];
  if (!(STATUSES as readonly string[]).includes(status)) errors.push(`Invalid contact status '${status}'.`);
  if (name && status === 'ACTIVE' && findActiveContactByName(book, name, existing?.ContactID)) errors.push(duplicateNameMessage(name));
  if (typeof input.EmailAddress === 'string' && input.EmailAddress !== '' && !/^[^@\s]+@[^@\s]+$/.test(input.EmailAddress)) {
    errors.push('Email address must be valid.');
  }
  if (errors.length > 0 || !name) return failed(raw, errors);

  const record: ContactRecord = {
    ContactID: existing?.ContactID ?? newId(),
    Name: name,
    ContactStatus: status,
    fields: { ...(existing?.fields ?? {}), ...writableFields(input) },
    IsCustomer: existing?.IsCustomer ?? false,
    IsSupplier: existing?.IsSupplier ?? false,
    UpdatedDateUTC: now,
  };
  book.contacts.set(record.ContactID, record);
  recordHistory(book, 'Contacts', record.ContactID, existing ? (existing.ContactStatus !== status && status === 'ARCHIVED' ? 'Archived' : 'Edited') : 'Created', `Contact ${name} ${existing ? 'updated' : 'created'}.`, now);
  return { ok: true, json: serializeContact(record) };
}
