// Pure payload builders: sale → invoice, refund → credit note (+ allocation, refund payment), payment →
// payment, customer → contact. No I/O; the sync engine sends what they return (see types.ts).
export * from './types';
export { buildInvoice, saleReference } from './invoice';
export { buildCreditNote } from './creditNote';
export { buildPayment, buildCreditNoteRefundPayment, buildAllocation } from './payment';
export { buildPrepaymentReceipt, buildPrepaymentRefund, prepaymentReferenceFor } from './prepayment';
export { buildContact, contactNameCollisionVariant } from './contact';
export { buildOverpayment, buildCreditAllocation, overpaymentReferenceFor, xeroCentsOf } from './overpayment';
export { invoiceNumberFor, creditNoteNumberFor, paymentKeyFor, contactNumberFor } from './numbers';
export { xeroDate, dueDate, describeDueDateRule } from './dates';
