// The real app (bootHost + createApp) listening on a random loopback port, over a fresh test database
// of the given kind. For e2e tests that must go through every layer: config, auth, plugins, outbox.
// Every /api/v1 answer is checked against the API's OpenAPI document (apiContract.ts); close() fails the
// test file when one did not match.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { bootHost, type BootedHost } from '../../server/boot';
import { createApp } from '../../server/app';
import { createTestDatabase, type DbKind, type TestDatabase } from './db';
import type { PluginDefinition } from '../../server/plugins/contract';
import { buildOpenApiDocument } from '../../server/api/openapi/document';
import { methodIds } from '../../server/domain/sales';
import { createApiContract, type ApiContract } from './apiContract';

export interface TestApp {
  host: BootedHost;
  database: TestDatabase;
  server: Server;
  baseUrl: string;
  dataDir: string;
  /** The /api/v1 answers checked so far against the OpenAPI document, and any that did not match. */
  apiContract: ApiContract;
  close(): Promise<void>;
}

export async function startTestApp(opts: { kind: DbKind; plugins?: PluginDefinition<unknown>[]; env?: Record<string, string> }): Promise<TestApp> {
  const plugins = opts.plugins ?? [];
  const database = await createTestDatabase(opts.kind, plugins.filter((p) => p.migrations?.length).map((p) => ({ id: p.id, migrations: p.migrations ?? [] })));
  const dataDir = mkdtempSync(join(tmpdir(), 'lb-app-'));
  const host = await bootHost({
    plugins,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      MASTER_KEY: randomBytes(32).toString('base64'),
      OUTBOX_POLL_MS: '200',
      ...opts.env,
    },
  });
  const apiContract = createApiContract(buildOpenApiDocument({ paymentMethods: methodIds(host.deps) }));
  const server = createServer(apiContract.wrap(createApp(host.deps))).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host, database, server, baseUrl, dataDir, apiContract,
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.close();
      await database.destroy();
      rmSync(dataDir, { recursive: true, force: true });
      apiContract.assertClean();
    },
  };
}
