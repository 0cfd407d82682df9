// The install's payment methods: the host's own (cash, card terminal) and those the installed plugins bring
// (Stripe, GoCardless, …). The sale API, the forms and the plugins all read this one catalogue, so adding a
// provider plugin adds its method everywhere and the host names no plugin.
import type { PaymentMethodCatalogue, PaymentMethodDefinition, PaymentMethodInfo, PluginDefinition } from './contract';

const METHOD_ID = /^[a-z][a-z0-9_]{0,31}$/;

/** What our host takes at the desk itself. */
export const HOST_PAYMENT_METHODS: readonly PaymentMethodDefinition[] = [
  { id: 'cash', label: 'Cash' },
  { id: 'card_terminal', label: 'Card terminal' },
];

/** Builds the catalogue; a malformed or twice-declared id is a boot error naming who declared it. */
export function createPaymentMethodCatalogue(
  hostMethods: readonly PaymentMethodDefinition[],
  plugins: readonly Pick<PluginDefinition<unknown>, 'id' | 'title' | 'paymentMethods'>[],
): PaymentMethodCatalogue {
  const byId = new Map<string, PaymentMethodInfo>();
  const add = (method: PaymentMethodDefinition, source: string, providerName: string) => {
    if (!METHOD_ID.test(method.id)) throw new Error(`${source === 'host' ? 'the host' : `plugin ${source}`}: payment method id "${method.id}" must match ${METHOD_ID}`);
    const taken = byId.get(method.id);
    if (taken) throw new Error(`payment method "${method.id}" is declared by both ${taken.source} and ${source}`);
    byId.set(method.id, { ...method, settledByPayouts: method.settledByPayouts ?? false, source, providerName });
  };
  for (const m of hostMethods) add(m, 'host', m.label);
  for (const p of plugins) for (const m of p.paymentMethods ?? []) add(m, p.id, p.title);
  const all = Object.freeze([...byId.values()]);
  return { list: () => all, get: (id) => byId.get(id) };
}

/** The ids of methods whose money arrives in provider payouts. */
export function payoutProviders(catalogue: PaymentMethodCatalogue): string[] {
  return catalogue.list().filter((m) => m.settledByPayouts).map((m) => m.id);
}
