// The transport edge of the payloads: Xero JSON (what the builders return and the audit stores) →
// xero-node's model objects (what AccountingApi.createInvoices & co. take). xero-node's own
// ObjectSerializer does it, so the request body it writes is the very JSON we built.
import { ObjectSerializer, type Allocation, type Contact, type CreditNote, type Invoice, type Payment } from 'xero-node';
import type { XeroAllocation, XeroContact, XeroCreditNote, XeroInvoice, XeroPayment } from './types';

export const toXeroNodeInvoice = (p: XeroInvoice): Invoice => ObjectSerializer.deserialize(p, 'Invoice') as Invoice;
export const toXeroNodeCreditNote = (p: XeroCreditNote): CreditNote => ObjectSerializer.deserialize(p, 'CreditNote') as CreditNote;
export const toXeroNodePayment = (p: XeroPayment): Payment => ObjectSerializer.deserialize(p, 'Payment') as Payment;
export const toXeroNodeAllocation = (p: XeroAllocation): Allocation => ObjectSerializer.deserialize(p, 'Allocation') as Allocation;
export const toXeroNodeContact = (p: XeroContact): Contact => ObjectSerializer.deserialize(p, 'Contact') as Contact;
