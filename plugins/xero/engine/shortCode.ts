// Connections made before the organisation's ShortCode was kept (xero 0017) have none, so their links into
// Xero were bare paths (opening whichever organisation the person last used) until an admin reconnected.
// The first session of such a connection reads it once (GET /Organisation, through the rate budget) and
// keeps it: links become deep links into the right organisation without reconnecting. When Xero gives none,
// '' is kept, so it is not asked again; a failed read is asked again by the next session, never failing the
// work the session was opened for.
import type { Queryable } from '../../../server/plugins/contract';
import type { ConnectionRow } from '../connection/store';
import type { XeroGateway } from '../gateway/gateway';

/** Whether this connection's ShortCode was never read (null; '' means Xero gave none). */
export const lacksShortCode = (connection: Pick<ConnectionRow, 'status' | 'short_code'>): boolean =>
  connection.status === 'connected' && connection.short_code === null;

export async function keepShortCode(
  xero: Pick<XeroGateway, 'getOrganisation'>, db: Queryable, connectionId: number, now: number,
  warn: (err: unknown) => void,
): Promise<void> {
  try {
    const organisation = await xero.getOrganisation();
    // Only where still unknown: another process may have kept it meanwhile.
    await db('xero_connections').where({ id: connectionId }).whereNull('short_code').update({ short_code: organisation?.shortCode ?? '', updated_at: now });
  } catch (err) {
    warn(err);
  }
}
