// Customer → Xero contact. Our customer id travels in ContactNumber (LB-C-<id>), the first thing the
// sync matches on; Xero also wants Name unique among active contacts, hence the collision variant.
import { contactNumberFor } from './numbers';
import type { XeroContact } from '../gateway/documents';
import type { ContactSource } from './types';
import { buildingPayload, clipText } from './guard';

/** Xero's limit on a contact name. */
const MAX_NAME = 255;

function cleanName(name: string, customerId: number): string {
  const trimmed = name.replace(/\s+/g, ' ').trim();
  return trimmed === '' ? `Customer ${contactNumberFor(customerId)}` : trimmed;
}

export function buildContact(customer: ContactSource, _orgId: number): XeroContact {
  return buildingPayload(`the contact of customer ${customer.id}`, () => {
    const email = customer.email?.trim();
    return {
      Name: clipText(cleanName(customer.name, customer.id), MAX_NAME),
      ContactNumber: contactNumberFor(customer.id),
      ...(email ? { EmailAddress: email } : {}),
    };
  });
}

/** "Jane Smith (LB-C-42)": a name no other customer of ours can have, for when "Jane Smith" is taken in Xero. */
export function contactNameCollisionVariant(name: string, customerId: number): string {
  const suffix = ` (${contactNumberFor(customerId)})`;
  return `${clipText(cleanName(name, customerId), MAX_NAME - suffix.length)}${suffix}`;
}
