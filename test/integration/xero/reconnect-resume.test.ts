// Sync paused by a connection that stopped working (a regenerated certificate, a dead OAuth2 grant)
// must resume when the admin connects again — whichever way they connect — and only for their organisation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { registerPrivateAppAt, standaloneConnectionDeps, startXeroEmulator, type RunningEmulator } from '../../support/xero';
import { createOrganisation } from '../../../server/domain/organisations';
import { XeroConfigSchema } from '../../../plugins/xero/config';
import { xeroPlugin } from '../../../plugins/xero';
import { ensureCertificate, regenerateCertificate, saveLegacyConnection } from '../../../plugins/xero/connection/legacy';
import { getLiveConnection } from '../../../plugins/xero/connection/store';
import type { ConnectionDeps } from '../../../plugins/xero/connection/deps';

for (const kind of dbKinds()) {
  describe(`reconnecting resumes paused sync (${kind})`, () => {
    let t: TestDatabase;
    let xero: RunningEmulator;
    let deps: ConnectionDeps;

    before(async () => {
      t = await createTestDatabase(kind, [{ id: 'xero', migrations: xeroPlugin.migrations ?? [] }]);
      xero = await startXeroEmulator();
      deps = standaloneConnectionDeps(t.db, XeroConfigSchema.parse({ XERO_API_URL: xero.url, XERO_HTTP_TIMEOUT_MS: '3000' }));
    });
    after(async () => {
      await xero?.close();
      await t?.destroy();
    });

    async function pausedItem(orgId: number, key: string): Promise<number> {
      // What a worker leaves behind when a handler throws AuthRevokedError: paused, attempts not spent.
      const now = Date.now();
      const [row] = await t.db('outbox')
        .insert({ org_id: orgId, plugin_id: 'xero', type: 'xero.invoice.push', dedupe_key: key, payload: '{}', status: 'paused', attempts: 0, max_attempts: 5, available_at: now, last_error: 'needs re-authorisation', created_at: now, updated_at: now })
        .returning('id');
      return Number((row as { id: number }).id ?? row);
    }

    test('a private app saved again after a certificate regeneration resumes its organisation\'s items', async () => {
      const orgId = (await createOrganisation(t.db, { name: 'Riverside Climbing' })).id;
      const otherOrg = (await createOrganisation(t.db, { name: 'Harbour Gym' })).id;
      const first = await ensureCertificate(deps, orgId, 'user:1');
      const app1 = await registerPrivateAppAt(xero.url, first.certificate.certificatePem);
      await saveLegacyConnection(deps, { orgId, consumerKey: app1.consumerKey, consumerSecret: app1.consumerSecret, actor: 'user:1' });

      const fresh = await regenerateCertificate(deps, orgId, 'user:1');
      assert.equal((await getLiveConnection(t.db, orgId))!.status, 'needs_reauth');
      const ours = await pausedItem(orgId, 'xero:invoice:test-ours');
      const theirs = await pausedItem(otherOrg, 'xero:invoice:test-theirs');

      const app2 = await registerPrivateAppAt(xero.url, fresh.certificatePem);
      await saveLegacyConnection(deps, { orgId, consumerKey: app2.consumerKey, consumerSecret: app2.consumerSecret, actor: 'user:1' });

      assert.equal((await getLiveConnection(t.db, orgId))!.status, 'connected');
      assert.equal((await t.db('outbox').where({ id: ours }).first()).status, 'pending', 'our paused item runs again');
      assert.equal((await t.db('outbox').where({ id: theirs }).first()).status, 'paused', 'another organisation is untouched');
    });
  });
}
