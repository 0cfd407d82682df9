// The install's payment methods: the host's own (cash, card terminal) and those the installed plugins bring
// (Stripe, GoCardless, …). The sale API, the forms and the plugins all read this one catalogue, so adding a
// provider plugin adds its method everywhere and the host names no plugin.
// Each organisation may add methods of its own ("Cheque", "ClassPass"); `ofOrganisation` lists them after
// the install's, read from the host (HostServices.organisationPaymentMethods).
import type {
  CustomPaymentMethod, OrganisationPaymentMethod, PaymentMethodCatalogue, PaymentMethodDefinition, PaymentMethodInfo, PluginDefinition, Queryable,
} from './contract';

export const METHOD_ID = /^[a-z][a-z0-9_]{0,31}$/;

/** What our host takes itself: at the desk, into its bank account, or from a gift voucher it sold. */
export const HOST_PAYMENT_METHODS: readonly PaymentMethodDefinition[] = [
  { id: 'cash', label: 'Cash' },
  { id: 'card_terminal', label: 'Card terminal' },
  { id: 'bank_transfer', label: 'Bank transfer' },
  { id: 'gift_voucher', label: 'Gift voucher' },
];

type OrganisationMethods = (db: Queryable, orgId: number) => Promise<CustomPaymentMethod[]>;

/** Builds the catalogue; a malformed or twice-declared id is a boot error naming who declared it. */
export function createPaymentMethodCatalogue(
  hostMethods: readonly PaymentMethodDefinition[],
  plugins: readonly Pick<PluginDefinition<unknown>, 'id' | 'title' | 'paymentMethods'>[],
  organisationMethods?: OrganisationMethods,
): PaymentMethodCatalogue {
  const byId = new Map<string, PaymentMethodInfo>();
  const add = (method: PaymentMethodDefinition, source: string, providerName: string) => {
    if (!METHOD_ID.test(method.id)) throw new Error(`${source === 'host' ? 'the host' : `plugin ${source}`}: payment method id "${method.id}" must match ${METHOD_ID}`);
    const taken = byId.get(method.id);
    if (taken) throw new Error(`payment method "${method.id}" is declared by both ${taken.source} and ${source}`);
    byId.set(method.id, { ...method, settledByPayouts: method.settledByPayouts ?? false, source, providerName });
  };
  for (const m of hostMethods) {
    // Only a plugin has its own recording path (ctx.payments): a host method nobody may record is a mistake.
    if (m.recordedBy === 'plugin') throw new Error(`the host: payment method "${m.id}" cannot be recordedBy 'plugin'`);
    add(m, 'host', m.label);
  }
  for (const p of plugins) for (const m of p.paymentMethods ?? []) add(m, p.id, p.title);
  const all = Object.freeze([...byId.values()]);
  const installed: OrganisationPaymentMethod[] = all.map((m) => ({ ...m, custom: false, enabled: true }));
  return {
    list: () => all,
    get: (id) => byId.get(id),
    async ofOrganisation(db, orgId) {
      const own = organisationMethods ? await organisationMethods(db, orgId) : [];
      // An install's method wins over an organisation's of the same id (a plugin installed later brings it).
      const custom = own.filter((m) => !byId.has(m.id)).map((m): OrganisationPaymentMethod => ({
        id: m.id, label: m.label, settledByPayouts: false, source: 'host', providerName: m.label, custom: true, enabled: m.enabled,
      }));
      return [...installed, ...custom];
    },
  };
}

/** Whether people (the desk, the API) may record payments this way: not a method only its plugin records. */
export function recordableByPeople(method: Pick<PaymentMethodDefinition, 'recordedBy'>): boolean {
  return method.recordedBy !== 'plugin';
}

/** Why a person may not record this plugin-only method, and what to do instead (the 422's message). */
export function pluginOnlyRefusal(method: PaymentMethodInfo): string {
  const why = method.recordedByReason ?? `${method.label} payments are recorded only by ${method.providerName}`;
  return `${why}; record a payment taken here with the method it was paid by`;
}

/** The ids of methods whose money arrives in provider payouts. */
export function payoutProviders(catalogue: PaymentMethodCatalogue): string[] {
  return catalogue.list().filter((m) => m.settledByPayouts).map((m) => m.id);
}
