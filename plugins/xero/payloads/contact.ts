// Customer → Xero contact. Our customer id travels in ContactNumber (LB-C-<id>), the first thing the
// sync matches on; Xero also wants Name unique among active contacts, hence the collision variant.
import { contactNumberFor } from './numbers';
import type { ContactSource, XeroContact } from './types';

/** Xero's limit on a contact name. */
const MAX_NAME = 255;

function cleanName(name: string, customerId: number): string {
  const trimmed = name.replace(/\s+/g, ' ').trim();
  return trimmed === '' ? `Customer ${contactNumberFor(customerId)}` : trimmed;
}

export function buildContact(customer: ContactSource, _orgId: number): XeroContact {
  const email = customer.email?.trim();
  return {
    Name: cleanName(customer.name, customer.id).slice(0, MAX_NAME),
    ContactNumber: contactNumberFor(customer.id),
    ...(email ? { EmailAddress: email } : {}),
  };
}

/** "Jane Smith (LB-C-42)": a name no other customer of ours can have, for when "Jane Smith" is taken in Xero. */
export function contactNameCollisionVariant(name: string, customerId: number): string {
  const suffix = ` (${contactNumberFor(customerId)})`;
  return `${cleanName(name, customerId).slice(0, MAX_NAME - suffix.length)}${suffix}`;
}
