// Test helpers: the emulator on a real port (the client uses fetch; webhooks need a real receiver too).
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createGoCardlessEmulator, type GoCardlessEmulator, type GoCardlessEmulatorOptions } from '../app';

export interface Running {
  emulator: GoCardlessEmulator;
  url: string;
  close(): Promise<void>;
}

/** Monday 2 March 2026, 08:00 UTC: an hour before the daily payout run. */
export const MONDAY_8AM = Date.UTC(2026, 2, 2, 8, 0, 0);
export const DAY = 86_400_000;

export async function startEmulator(opts: GoCardlessEmulatorOptions = {}): Promise<Running> {
  const emulator = createGoCardlessEmulator({ clockSpeed: 0, clockStart: MONDAY_8AM, ...opts });
  const server = emulator.app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  return {
    emulator,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await emulator.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export async function control<T = unknown>(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}/_emulator${path}`, { method, headers: { 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface Received { body: string; headers: IncomingHttpHeaders }

/** A webhook receiver answering with `statuses` in turn (then 200). */
export async function startReceiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const queue = [...statuses];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.statusCode = queue.shift() ?? 200;
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    received,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
