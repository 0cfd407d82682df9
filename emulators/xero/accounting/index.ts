// The accounting half of the Xero emulator: organisations' books and the Accounting API.
// See contracts.ts for the seam with the identity/infrastructure half.
import type { AccountingModule, AccountingModuleDeps } from '../contracts';
import { createApiRouter } from './api';
import { createControlRouter } from './control';
import { BookStore, tenantSummary } from './store';
import { resourceStampsOf } from './stamps';
import { viewBook, viewRecord } from './recordView';

export { UK_TENANT_ID, US_TENANT_ID } from './seed';

export function createAccountingModule(deps: AccountingModuleDeps): AccountingModule {
  const store = new BookStore(() => deps.clock.now());
  return {
    router: createApiRouter({ store, clock: deps.clock }),
    controlRouter: createControlRouter(store, deps.clock),
    listTenants: () => store.all().map(tenantSummary),
    getTenant: (tenantId) => {
      const book = store.get(tenantId);
      return book ? tenantSummary(book) : undefined;
    },
    viewRecord: (kind, id, shortCode) => viewRecord(store, kind, id, shortCode),
    viewBook: (tenantId) => viewBook(store, tenantId),
    reset: () => store.reset(),
    createOrganisation: (input) => tenantSummary(store.add(input)),
    snapshot: () => store.snapshot(),
    restore: (data) => store.restore(data),
    resourceStamps: () => store.all().flatMap(resourceStampsOf),
  };
}
