// The one name a sale goes by for people — on every page, CSV, CLI line and log message: "Sale TILL-016",
// its own reference (what the till printed on the receipt, what the customer quotes), or "Sale 16" when it
// was recorded without one. Never "#16" or "sale 16" beside "TILL-016" for the same sale. Documents made from
// it downstream keep their own numbers, named with their service: "Xero invoice LB-16".

export interface Nameable {
  id: number;
  reference: string | null;
}

export function saleName(sale: Nameable): string {
  const reference = sale.reference?.trim();
  return `Sale ${reference || sale.id}`;
}
