// Stripe's test payment methods and tokens (https://stripe.com/docs/testing): which card each stands
// for, and what happens when it is charged (success, a decline with its code, or a dispute right after).
export interface TestCard {
  brand: 'visa' | 'mastercard' | 'amex';
  last4: string;
  country: string;
  funding: 'credit' | 'debit';
  outcome: 'succeeded' | { decline: string; code: string; message: string } | { dispute: 'fraudulent' | 'product_not_received' };
}

const visa = (country: string, last4: string, outcome: TestCard['outcome'] = 'succeeded'): TestCard => ({ brand: 'visa', last4, country, funding: 'credit', outcome });
const declined = (decline: string, code: string, message: string): TestCard['outcome'] => ({ decline, code, message });

const CARDS: Record<string, TestCard> = {
  visa: visa('US', '4242'),
  visa_debit: { ...visa('US', '5556'), funding: 'debit' },
  mastercard: { brand: 'mastercard', last4: '4444', country: 'US', funding: 'credit', outcome: 'succeeded' },
  amex: { brand: 'amex', last4: '8431', country: 'US', funding: 'credit', outcome: 'succeeded' },
  us: visa('US', '0000'),
  gb: visa('GB', '0005'),
  gb_debit: { ...visa('GB', '0013'), funding: 'debit' },
  chargeDeclined: visa('US', '0002', declined('generic_decline', 'card_declined', 'Your card was declined.')),
  chargeDeclinedInsufficientFunds: visa('US', '9995', declined('insufficient_funds', 'card_declined', 'Your card has insufficient funds.')),
  chargeDeclinedExpiredCard: visa('US', '0069', declined('expired_card', 'expired_card', 'Your card has expired.')),
  createDispute: visa('US', '0259', { dispute: 'fraudulent' }),
  createDisputeProductNotReceived: visa('US', '2685', { dispute: 'product_not_received' }),
};

/** `pm_card_visa`, `pm_card_gb`, `tok_visa`, `tok_chargeDeclined`… → the card; undefined if unknown. */
export function testCard(ref: string): TestCard | undefined {
  const m = /^(?:pm_card_|tok_)(\w+)$/.exec(ref);
  if (!m) return undefined;
  const name = m[1]!;
  return CARDS[name] ?? CARDS[`visa_${name}`];
}

export const TEST_CARD_NAMES = Object.keys(CARDS);
