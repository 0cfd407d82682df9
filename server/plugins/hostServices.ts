// Our host's side of the plugin contract (HostServices): its records, organisations, provider payments,
// payment methods, pages and authentication, lent to every plugin. A booking system that embeds
// Ledgerbridge writes its own version of this file over its own tables.
import type { Db } from '../db/knex';
import type { EventBus } from '../domain/eventBus';
import { hostRecords } from '../domain/hostRecords';
import { getOrganisation, resolveOrganisation, type Organisation } from '../domain/organisations';
import { formatMinor } from '../domain/money';
import { createProviderPayments } from '../payouts/payments';
import { requireLogin, requireRole } from '../auth/middleware';
import { renderPage } from '../web/render';
import { setFlash, takeFlash } from '../web/flash';
import { formatLocal } from '../web/time';
import { createReceipts } from '../receipts';
import type { HostServices, OrganisationFacts, PaymentMethodCatalogue } from './contract';
import type { TaxCodeCatalogue } from './taxCodes';
import { HOST_PAYMENT_METHODS } from './paymentMethods';
import { listOrganisationMethods } from '../domain/organisationMethods';

const facts = (org: Organisation): OrganisationFacts => ({ id: org.id, name: org.name, baseCurrency: org.baseCurrency, timeZone: org.timezone });

export function createHostServices(deps: { db: Db; events: EventBus; paymentMethods: PaymentMethodCatalogue; taxCodes: TaxCodeCatalogue }): HostServices {
  return {
    records: hostRecords,
    organisations: {
      get: async (db, orgId) => facts(await getOrganisation(db, orgId)),
      resolve: async (db, orgId) => facts(await resolveOrganisation(db, orgId)),
    },
    payments: createProviderPayments(deps),
    paymentMethods: HOST_PAYMENT_METHODS,
    organisationPaymentMethods: listOrganisationMethods,
    receipts: createReceipts({ records: hostRecords, paymentMethods: deps.paymentMethods, taxCodes: deps.taxCodes }),
    pages: {
      // An absolute path: the plugin's template is found in its own folder, never among the host's views.
      renderFile: (res, file, locals, status) => renderPage(res, file, locals, status),
      setFlash,
      takeFlash,
      formatDateTime: formatLocal,
      formatMoney: formatMinor,
    },
    auth: { authenticate: requireLogin, requireRole },
  };
}
