// The payment methods tests sell with: the host's own and those the installed plugins declare, built the
// way boot builds them (tests that run the host without its plugins still take card and Direct Debit), with
// each organisation's own methods read from the host's table as boot reads them.
import { createPaymentMethodCatalogue, HOST_PAYMENT_METHODS } from '../../server/plugins/paymentMethods';
import { installedPlugins } from '../../server/plugins/installed';
import { listOrganisationMethods } from '../../server/domain/organisationMethods';

export const testPaymentMethods = createPaymentMethodCatalogue(HOST_PAYMENT_METHODS, installedPlugins, listOrganisationMethods);
