// The Xero records a message names by their ids (Xero's ValidationError text quotes InvoiceIDs, ContactIDs,
// BankTransactionIDs): each one we know as a person knows it — an invoice or credit note by its number, a
// contact by its name, a prepayment, overpayment or payout document by its reference — with its page in Xero
// (issue 14: messages name records, not Xero ids). Ids we do not know are left out: the page shows them as
// they are.
import type { Queryable } from '../../../server/plugins/contract';
import type { OrganisationLinks } from '../connection/links';
import type { XeroLinkKind } from '../links';
import type { KnownXeroRecord } from './logView';
import { ownersOfXeroIds, type XeroIdOwner } from './records';

/** How each record type reads and which page of Xero's shows it. */
const KINDS: Record<string, { what: string; link: XeroLinkKind | null }> = {
  invoice: { what: 'Xero invoice', link: 'invoice' },
  credit_note: { what: 'Xero credit note', link: 'credit_note' },
  payment: { what: 'Xero payment', link: 'payment' },
  refund_payment: { what: 'Xero refund payment', link: 'payment' },
  prepayment_refund: { what: 'Xero refund payment', link: 'payment' },
  // A prepayment or overpayment is made as a bank transaction and keeps its id (Xero serves an
  // overpayment's attachments under /banktransaction/<OverpaymentID>): its page is the transaction's.
  prepayment: { what: 'Xero prepayment', link: 'bank_transaction' },
  overpayment: { what: 'Xero overpayment', link: 'bank_transaction' },
  contact: { what: 'Xero contact', link: 'contact' },
  bank_transaction: { what: 'Xero bank transaction', link: 'bank_transaction' },
  bank_transfer: { what: 'Xero bank transfer', link: 'bank_transfer' },
};

/** A contact's name as the sync last saw it in Xero (the contact step's audit row says `created: "Ada Lovelace"`). */
export async function contactNames(db: Queryable, orgId: number, customerIds: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  if (customerIds.length === 0) return names;
  const rows = (await db('xero_audit').where({ org_id: orgId, entity_type: 'customer', record_type: 'contact' }).whereIn('entity_id', [...new Set(customerIds)])
    .orderBy('id', 'asc').select('entity_id', 'message')) as { entity_id: number | string; message: string | null }[];
  for (const r of rows) {
    const name = /: "(.+)"$/.exec(r.message ?? '')?.[1];
    if (name) names.set(Number(r.entity_id), name);
  }
  return names;
}

/** One known record as a page shows it. */
export function knownRecordOf(owner: XeroIdOwner, xeroId: string, links: Pick<OrganisationLinks, 'of'>, contactName?: string): KnownXeroRecord {
  const kind = KINDS[owner.recordType] ?? { what: 'Xero record', link: null };
  const own = owner.recordType === 'contact' ? contactName : owner.number;
  // Without a number or name it is still ours: said by what it is, and linked.
  const name = own ?? (owner.recordType === 'contact' ? `Xero contact of customer ${owner.entityId}` : kind.what);
  return { name, what: own ? `${kind.what} ${own}` : name, href: kind.link ? links.of(kind.link, xeroId) : null };
}

/** Every Xero id in these messages that we know, by lower-case id. */
export async function knownXeroRecords(db: Queryable, orgId: number, xeroIds: readonly string[], links: Pick<OrganisationLinks, 'of'>): Promise<Map<string, KnownXeroRecord>> {
  const known = new Map<string, KnownXeroRecord>();
  if (xeroIds.length === 0) return known;
  const owners = await ownersOfXeroIds(db, orgId, xeroIds);
  const names = await contactNames(db, orgId, [...owners.values()].flatMap((o) => (o.recordType === 'contact' ? [o.entityId] : [])));
  for (const [id, owner] of owners) known.set(id, knownRecordOf(owner, id, links, owner.recordType === 'contact' ? names.get(owner.entityId) : undefined));
  return known;
}
