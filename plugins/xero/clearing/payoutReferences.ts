// The Reference a payout gives every record it posts ("LBP12-L3 po_123"): a retry looks its records up by
// it, and the sync reads it to tell a payment a payout posted at the provider's rate from one it sent itself
// (awaitingPayout.ts). One format, written and recognised here.
export const payoutStepReference = (payoutId: number, stepKey: string, providerPayoutId: string): string =>
  `LBP${payoutId}-${stepKey} ${providerPayoutId}`.slice(0, 255);

/** Whether a Xero Reference is one of a payout's steps, e.g. a converted charge's Payment. */
export const isPayoutReference = (reference: string | null | undefined): boolean => /^LBP\d+-/.test(reference ?? '');
