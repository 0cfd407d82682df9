// Test helpers: the emulator on a real port (the client uses fetch; webhooks need a real receiver too).
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import express from 'express';
import { createGoCardlessEmulator, type GoCardlessEmulator, type GoCardlessEmulatorOptions } from '../app';
import { answerProblems } from './clientTypes';
import { recordTypeProblems } from './conformance';

export interface Running {
  emulator: GoCardlessEmulator;
  url: string;
  /** Where the API's answers so far disagree with gocardless-nodejs's types (close() fails on any). */
  typeProblems: string[];
  close(): Promise<void>;
}

/** Fails (the test that closes it) when an answer disagreed with the client's types. */
function assertNoTypeProblems(problems: string[], what: string): void {
  if (problems.length > 0) throw new Error(`${what} disagreed with gocardless-nodejs's Types.d.ts:\n  ${[...new Set(problems)].slice(0, 20).join('\n  ')}`);
}

/** Monday 2 March 2026, 08:00 UTC: an hour before the daily payout run. */
export const MONDAY_8AM = Date.UTC(2026, 2, 2, 8, 0, 0);
export const DAY = 86_400_000;

export async function startEmulator(opts: GoCardlessEmulatorOptions = {}): Promise<Running> {
  const emulator = createGoCardlessEmulator({ clockSpeed: 0, clockStart: MONDAY_8AM, ...opts });
  // Every answer of every test is read against the client's types on its way out.
  const typeProblems: string[] = [];
  const checked = express();
  checked.use(recordTypeProblems(typeProblems), emulator.app);
  const server = checked.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  return {
    emulator,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    typeProblems,
    async close() {
      await emulator.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      assertNoTypeProblems(typeProblems, 'The emulator\'s API answers');
    },
  };
}

export async function control<T = unknown>(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}/_emulator${path}`, { method, headers: { 'Content-Type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface Received { body: string; headers: IncomingHttpHeaders }

/** A webhook receiver answering with `statuses` in turn (then 200); each body's events are read against the client's types. */
export async function startReceiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const typeProblems: string[] = [];
  const queue = [...statuses];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ body, headers: req.headers });
      try {
        // A webhook is {events, meta: {webhook_id}}: the events are the client's Event type.
        typeProblems.push(...answerProblems({ events: (JSON.parse(body) as { events: unknown }).events }, 'webhook'));
      } catch (error) {
        typeProblems.push(`webhook: ${(error as Error).message}`);
      }
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
      assertNoTypeProblems(typeProblems, 'The webhooks sent');
    },
  };
}
