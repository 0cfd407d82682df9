// Watches the demo's sales reach Xero the way a booking system would: GET /api/v1/sales/:id with the
// till's token, reading each sale's downstream records, until nothing is on its way any more.
import { saleName } from '../../server/domain/saleName';

export interface SyncTally {
  /** Synced records by kind (invoice, credit_note, payment, …). */
  synced: Record<string, number>;
  pending: number;
  failed: string[];
}

export async function tallySync(appUrl: string, token: string, saleIds: number[]): Promise<SyncTally> {
  const tally: SyncTally = { synced: {}, pending: 0, failed: [] };
  for (const id of saleIds) {
    const res = await fetch(`${appUrl}/api/v1/sales/${id}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET /api/v1/sales/${id}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    const sale = (await res.json()) as { reference: string | null; sync: { recordType: string; status: string; error: string | null }[] };
    if (sale.sync.length === 0) tally.pending++; // its first item has not been picked up yet
    for (const r of sale.sync) {
      if (r.status === 'synced') tally.synced[r.recordType] = (tally.synced[r.recordType] ?? 0) + 1;
      else if (r.status === 'pending') tally.pending++;
      // The sale by its one name, as the app's pages say it: its till reference, else its number.
      else tally.failed.push(`${saleName({ id, reference: sale.reference })} ${r.recordType.replace('_', ' ')}: ${r.status}${r.error ? ` (${r.error})` : ''}`);
    }
  }
  return tally;
}

/** Polls until nothing is pending (or `timeoutMs` passes); `stopped()` ends the wait early (Ctrl-C). */
export async function waitForSync(
  appUrl: string,
  token: string,
  saleIds: number[],
  opts: { timeoutMs: number; stopped: () => boolean; pollMs?: number },
): Promise<SyncTally & { settled: boolean }> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const tally = await tallySync(appUrl, token, saleIds);
    if (tally.pending === 0) return { ...tally, settled: true };
    if (opts.stopped() || Date.now() > deadline) return { ...tally, settled: false };
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}

const LABELS: Record<string, [string, string]> = {
  invoice: ['invoice', 'invoices'],
  credit_note: ['credit note', 'credit notes'],
  payment: ['payment', 'payments'],
  allocation: ['allocation', 'allocations'],
};

export function describeTally(synced: Record<string, number>): string {
  const parts = Object.entries(synced).map(([kind, n]) => {
    const [one, many] = LABELS[kind] ?? [kind.replace(/_/g, ' '), `${kind.replace(/_/g, ' ')}s`];
    return `${n} ${n === 1 ? one : many}`;
  });
  return parts.length ? parts.join(', ') : 'nothing yet';
}
