// What a customer still owes on a sale. A refund reduces what the sale is worth; a refund WITH a method also
// says money went back to the customer (cash from the till, a card or Stripe refund), so it takes nothing
// off what they owe on balance: they were charged, paid, and got that much back. A refund without a method
// moved no money: it is a credit against what is owed.
//   due = total − refunded − paid + refunded with a method
// So a card refund recorded before its charge's payment (a provider webhook that arrives late) leaves the
// whole charge payable, and the Xero side agrees: a refund with a method is paid out of the method's account
// in full, never allocated against the invoice (plugins/xero/README.md, "Refunds").

export interface SaleBalance {
  totalMinor: number;
  paidMinor: number;
  refunds: readonly { amountMinor: number; method: string | null }[];
  /** A booking cancelled with its deposit kept owes nothing more. */
  cancelled?: boolean;
}

/** May be negative: the customer is owed (a credit on their account), or overpaid. */
export function balanceDueMinor(sale: SaleBalance): number {
  if (sale.cancelled) return 0;
  let due = sale.totalMinor - sale.paidMinor;
  for (const refund of sale.refunds) if (refund.method === null) due -= refund.amountMinor;
  return due;
}
