// The install's payout providers, from its payment-method catalogue (ctx.paymentMethods): the methods
// whose money reaches the bank in provider payouts (Stripe, GoCardless, or whatever plugin brings one).
// Nothing here names a provider: what the payout pages and the books show comes from the catalogue.
import type { PaymentMethodCatalogue } from '../../../server/plugins/contract';

type Catalogue = { paymentMethods: PaymentMethodCatalogue };

/** Methods settled by payouts, in catalogue order: id, the method's label and the provider's name. */
export function payoutProviders(ctx: Catalogue): { id: string; label: string; name: string }[] {
  return ctx.paymentMethods.list().filter((m) => m.settledByPayouts).map((m) => ({ id: m.id, label: m.label, name: m.providerName }));
}

/** Whether money taken this way arrives in provider payouts (and so waits in a clearing account). */
export function isSettledByPayouts(ctx: Catalogue, method: string | null): method is string {
  return method !== null && ctx.paymentMethods.get(method)?.settledByPayouts === true;
}

/** The provider's name for the books ("Stripe"); a provider this install no longer has keeps its id. */
export function providerNameOf(ctx: Catalogue, provider: string): string {
  return ctx.paymentMethods.get(provider)?.providerName ?? provider;
}

/** "Stripe and GoCardless": the install's payout providers for a sentence ("payment provider" when it has none). */
export function providerNamesText(ctx: Catalogue): string {
  const names = payoutProviders(ctx).map((p) => p.name);
  if (names.length === 0) return 'payment provider';
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
