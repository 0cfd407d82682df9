// A sync call whose access token Xero refuses with 401 before its expiry (revoked early, clock drift) must
// refresh once and retry, not pause the organisation's items while the connection still says "connected".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dbKinds } from '../../support/db';
import { clientForConnection } from '../../../plugins/xero/connection/clientFactory';
import { getConnection, sealConnectionSecret } from '../../../plugins/xero/connection/store';
import { callsSince, connectOneTenant, grantsIn, lastCallSeq, oauth2World } from './oauth2Flow';

for (const kind of dbKinds()) {
  describe(`Xero client after a 401 (${kind})`, () => {
    it('refreshes the token once and retries the call', async () => {
      const world = await oauth2World(kind);
      try {
        const { connection } = await connectOneTenant(world);
        const db = world.x.host.deps.db;
        // The stored access token still looks valid for 30 minutes, but Xero no longer accepts it.
        const refused = await sealConnectionSecret(world.deps.secrets, db, connection, 'access_token_sealed', 'not-a-token-xero-accepts');
        await db('xero_connections').where({ id: connection.id }).update({ access_token_sealed: refused });
        const row = (await getConnection(db, connection.org_id, connection.id))!;

        const since = await lastCallSeq(world);
        const client = await clientForConnection(world.deps, row);
        const body = await client.call((api, tenant) => api.getOrganisations(tenant));
        assert.equal(body.organisations?.[0]?.name, row.tenant_name);

        assert.equal(grantsIn(await callsSince(world, since), 'refresh_token').length, 1, 'exactly one refresh');
        const after = (await getConnection(db, connection.org_id, connection.id))!;
        assert.equal(after.status, 'connected');
        assert.equal(after.token_version, row.token_version + 1);
      } finally {
        await world.close();
      }
    });
  });
}
