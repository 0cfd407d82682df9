/* eslint-disable @typescript-eslint/no-explicit-any -- Stripe JSON answers are read loosely in tests; their shape is checked against the spec */
// A Stripe emulator listening on a loopback port with a frozen clock, a fresh account, every answer checked
// for conformance to Stripe's spec (close() throws listing any that did not conform), and a tiny webhook
// receiver that records what it was sent (and answers with the status a test asks for).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { createStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from '../app';
import type { Account } from '../accounts';
import { IMPLEMENTED_STRIPE_VERSION } from '../version';
import { StripeConformance } from './conformance';

export interface Running {
  emulator: StripeEmulator;
  conformance: StripeConformance;
  url: string;
  port: number;
  account: Account;
  stripe: Stripe;
  control(path: string, body?: unknown, method?: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startEmulator(opts: StripeEmulatorOptions & { account?: Record<string, unknown> } = {}): Promise<Running> {
  // Every answer and event is checked against Stripe's spec as it is sent; close() throws with what did not conform.
  const conformance = new StripeConformance();
  const emulator = createStripeEmulator({ clockSpeed: 0, pollMs: 0, seed: false, ...opts, onAnswer: conformance.answer, onEvent: conformance.event });
  const account = emulator.book.createAccount(opts.account ?? { country: 'GB' });
  const server = emulator.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    emulator, conformance, url, port, account,
    // The official client, pinned to the version the emulator implements (stripe@23 would ask for its own).
    stripe: new Stripe(account.secretKey, { apiVersion: IMPLEMENTED_STRIPE_VERSION as Stripe.LatestApiVersion, host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 }),
    async control(path, body, method = 'POST') {
      const res = await fetch(`${url}/_emulator${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await emulator.close();
      conformance.assertConforms();
    },
  };
}

export interface Received {
  body: string;
  signature: string;
}

export async function startReceiver(): Promise<{ url: string; received: Received[]; answer: { status: number }; close(): Promise<void> }> {
  const received: Received[] = [];
  const answer = { status: 200 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['stripe-signature'] ?? '') });
      res.statusCode = answer.status;
      res.end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, answer,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const DAY_MS = 86_400_000;

import { assertMatchesSpec } from './spec';

/** Checks any Stripe answer against the spec: errors, lists (each item) and objects by their `object`. */
export function checkShape(body: any): void {
  if (body && typeof body === 'object' && 'error' in body) return assertMatchesSpec('error', body);
  if (body?.object === 'list') {
    for (const item of body.data) checkShape(item);
    return;
  }
  const component = body?.deleted === true ? `deleted_${body.object}` : body?.object;
  if (typeof component !== 'string') throw new Error(`not a Stripe object: ${JSON.stringify(body).slice(0, 200)}`);
  assertMatchesSpec(component, body);
}

/** A raw /v1 call (form-encoded like Stripe's clients), its answer checked against the spec. */
export async function api(run: Running, method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${run.url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${run.account.secretKey}`, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  const body = await res.json();
  checkShape(body);
  return { status: res.status, body, headers: res.headers };
}
