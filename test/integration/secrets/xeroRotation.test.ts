// `secrets:rotate-org` re-seals the Xero plugin's secrets too (declared on its definition, not registered
// by importing a module): a connected private app's certificate key is re-sealed under the organisation's
// new data key, and the sync still signs its calls with it — a sale made after the rotation becomes its
// invoice in the Xero emulator. (A private app signs with the key alone; the OAuth2 tokens and the consumer
// secret are declared in the same list, checked below.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { dbKinds } from '../../support/db';
import { registerSecretCommands } from '../../../server/cli/secrets';
import { parseEnvelope } from '../../../server/secrets/envelope';
import { sealedColumnsOf } from '../../../server/plugins/registry';
import { HOST_SEALED_COLUMNS } from '../../../server/secrets/hostColumns';
import { startSyncFixture, type SyncFixture } from '../../e2e/xero/syncFixture';

for (const kind of dbKinds()) {
  describe(`secrets:rotate-org re-seals Xero's secrets; the sync still works (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false });
    });
    after(async () => f?.close());

    it('re-seals the private app\'s certificate key (and declares every Xero secret), then an invoice still reaches Xero', async () => {
      const db = f.x.host.deps.db;
      const orgId = f.org.orgId;
      const certificate = await db('xero_certificates').where({ org_id: orgId }).orderBy('id', 'desc').first();
      assert.ok(certificate?.private_key_sealed);

      const lines: string[] = [];
      const program = new Command().exitOverride();
      // The registry the CLI builds from the install (here the host and the Xero plugin): declared columns only.
      const sealedColumns = sealedColumnsOf(f.x.host.deps.plugins.plugins.map((p) => p.definition), HOST_SEALED_COLUMNS);
      const declared = sealedColumns.list().flatMap((spec) => spec.columns.map((c) => `${spec.table}.${c.name}`));
      for (const column of ['xero_connections.consumer_secret_sealed', 'xero_connections.access_token_sealed', 'xero_connections.refresh_token_sealed', 'xero_certificates.private_key_sealed', 'xero_oauth_states.code_verifier_sealed']) {
        assert.ok(declared.includes(column), `${column} is re-sealed by a rotation`);
      }
      registerSecretCommands(program, async () => ({ config: f.x.host.deps.config, db, sealedColumns }), { print: (l) => lines.push(l), readStdin: async () => '' });
      await program.parseAsync(['secrets:rotate-org', '--org', String(orgId)], { from: 'user' });
      const keyId = /now seals with data key (\S+);/.exec(lines.join('\n'))?.[1];
      assert.ok(keyId, lines.join('\n'));
      assert.match(lines.join('\n'), /xero_certificates\.private_key_sealed: [1-9]/);

      const cert = await db('xero_certificates').where({ id: certificate.id }).first();
      assert.notEqual(cert.private_key_sealed, certificate.private_key_sealed);
      assert.equal(parseEnvelope(cert.private_key_sealed).keyId, keyId);

      const sale = await f.sell({ currency: 'GBP', customer: { name: 'After Rotation' }, lines: [{ description: 'Session', quantity: 1, unitPrice: '12.00', taxCode: 'OUTPUT2' }] });
      f.startWorkers();
      await f.drained();
      const invoices = (await f.books<{ InvoiceNumber: string }>('invoices')).filter((i) => i.InvoiceNumber === `LB-${sale.id}`);
      assert.equal(invoices.length, 1, 'the sync opened the re-sealed secrets and signed its call');
    });
  });
}
