// The real app (bootHost + createApp) listening on a random loopback port, over a fresh test database
// of the given kind. For e2e tests that must go through every layer: config, auth, plugins, outbox.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { bootHost, type BootedHost } from '../../server/boot';
import { createApp } from '../../server/app';
import { createTestDatabase, type DbKind, type TestDatabase } from './db';
import type { PluginDefinition } from '../../server/plugins/contract';

export interface TestApp {
  host: BootedHost;
  database: TestDatabase;
  server: Server;
  baseUrl: string;
  dataDir: string;
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
  const server = createApp(host.deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host, database, server, baseUrl, dataDir,
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.close();
      await database.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
