// Natural keys of what we create in Xero: deterministic, so a retry after a crash can look the record up
// by them before re-sending (reconcile-before-retry), and unique per organisation because the host's ids
// are. Xero enforces ACCREC invoice and credit note numbers unique; the prefix keeps ours apart from
// numbers the accountant types by hand (INV-0001).
import type { ResolvedMappings } from '../mappings/types';

type Numbering = Pick<ResolvedMappings, 'invoiceNumberPrefix'>;

export const invoiceNumberFor = (saleId: number, m: Numbering): string => `${m.invoiceNumberPrefix}${saleId}`;
export const creditNoteNumberFor = (refundId: number, m: Numbering): string => `${m.invoiceNumberPrefix}R-${refundId}`;
/** Payments have no number in Xero; their Reference starts with this key (then the provider's reference). */
export const paymentKeyFor = (paymentId: number, m: Numbering): string => `${m.invoiceNumberPrefix}P-${paymentId}`;
export const contactNumberFor = (customerId: number): string => `LB-C-${customerId}`;
