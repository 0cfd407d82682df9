// Links into Xero's web app for one organisation: through Xero's organisation login with the connected
// organisation's ShortCode (kept on the connection), so the link opens that organisation even when the person
// last used another; bare paths when the ShortCode is not known yet (a connection made before it was kept).
import type { Queryable } from '../../../server/plugins/contract';
import { xeroLink, xeroRecordLink, type XeroLinkKind } from '../links';
import { getLiveConnection } from './store';

export interface OrganisationLinks {
  /** The page of a Xero record of this kind. */
  of(kind: XeroLinkKind, xeroId: string): string;
  /** The page of one of our sync records (null for a type Xero has no page for). */
  record(recordType: string, xeroId: string | null | undefined): string | null;
}

export async function organisationLinks(db: Queryable, appUrl: string, orgId: number): Promise<OrganisationLinks> {
  const shortCode = (await getLiveConnection(db, orgId))?.short_code ?? null;
  return {
    of: (kind, xeroId) => xeroLink(appUrl, kind, xeroId, shortCode),
    record: (recordType, xeroId) => xeroRecordLink(appUrl, recordType, xeroId, shortCode),
  };
}
