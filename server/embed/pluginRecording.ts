// Which payments an embedding host emits on a plugin's behalf. A method only its plugin records (Xero's
// "Paid in Xero", recordedBy 'plugin') is refused when the host's own code emits it, as the API refuses it;
// it is accepted only while a plugin's `ctx.payments.record` runs (the host emits the payment it was asked
// to record). The host's code between the two is its own, so the mark travels with the async call, not as
// an argument the host would have to pass on.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { HostServices } from '../plugins/contract';

const recording = new AsyncLocalStorage<true>();

/** Whether the current call descends from a plugin's `ctx.payments.record`. */
export function recordingForPlugin(): boolean {
  return recording.getStore() === true;
}

/** The host's services with `payments.record` marked as the plugins' recording path. */
export function markPluginRecording(host: HostServices): HostServices {
  const { payments } = host;
  return { ...host, payments: { ...payments, record: (orgId, saleId, input) => recording.run(true, () => payments.record(orgId, saleId, input)) } };
}
