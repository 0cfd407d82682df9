// The world most browser tests share: a synced Xero fixture on SQLite (workers off unless asked), the
// app listening on a real port, and headless Chromium. Registers its own before/after hooks.
import { after, before } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser';
import { listenApp } from './xero';
import { startSyncFixture, type SyncFixture } from '../e2e/xero/syncFixture';

export interface BrowserWorld {
  f: SyncFixture;
  site: { url: string; close(): Promise<void> };
  browser: Browser;
}

export function useBrowserWorld(opts: { workers?: boolean; seed?: (f: SyncFixture) => Promise<void> } = {}): BrowserWorld {
  const world = {} as BrowserWorld;
  before(async () => {
    world.f = await startSyncFixture('sqlite', { workers: opts.workers ?? false });
    await opts.seed?.(world.f);
    world.site = await listenApp(world.f.x.app);
    world.browser = await launchBrowser();
  });
  after(async () => {
    await world.browser?.close();
    await world.site?.close();
    await world.f?.close();
  });
  return world;
}
