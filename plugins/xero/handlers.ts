// Every outbox handler of the plugin over one set of services (one rate budget per process): the sync's
// pushes and History notes (sync/handlers.ts) and payout posting (payouts/handlers.ts).
import type { OutboxHandler, PluginContext } from '../../server/plugins/contract';
import type { XeroConfig } from './config';
import { createXeroServices, type XeroServiceOptions } from './engine/services';
import { payoutHandlers } from './payouts/handlers';
import { syncHandlers } from './sync/handlers';
import { incomingHandlers } from './incoming/handle';
import { voucherJournalHandlers } from './sync/voucherJournals';

export function xeroHandlers(ctx: PluginContext<XeroConfig>, opts: XeroServiceOptions = {}): Record<string, OutboxHandler> {
  const svc = createXeroServices(ctx, opts);
  return { ...syncHandlers(svc), ...payoutHandlers(svc), ...incomingHandlers(svc), ...voucherJournalHandlers(svc) };
}
