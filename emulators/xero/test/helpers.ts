// Shared helpers for the identity/infrastructure tests: an emulator on a frozen clock, X509
// certificates with chosen validity, an independent OAuth 1.0a signer (the oauth-1.0a package, so the
// emulator's verifier is not checked against itself), and shortcuts through the OAuth2 flow.
import { createHash, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import forge from 'node-forge';
import OAuth from 'oauth-1.0a';
import request from 'supertest';
import { createXeroEmulator, type XeroEmulator, type XeroEmulatorOptions } from '../app';
import { checkedApp } from './answerSchemas';

export const API = '/api.xro/2.0';
export const REDIRECT_URI = 'https://app.example.test/xero/callback';

/**
 * A fresh emulator whose clock only moves when a test advances it. Its app reads every Accounting API
 * answer against Xero's OpenAPI schemas (answerSchemas.ts): one that does not conform becomes a 500.
 */
export function makeEmulator(opts: XeroEmulatorOptions = {}): XeroEmulator {
  const emulator = createXeroEmulator({ clockSpeed: 0, ...opts });
  return { ...emulator, app: checkedApp(emulator.app) };
}

export function tenants(emulator: XeroEmulator): string[] {
  return emulator.accounting.listTenants().map((t) => t.tenantId);
}

// ---- certificates -------------------------------------------------------------------------------

export interface KeyAndCertificate {
  privateKeyPem: string;
  certificatePem: string;
}

let sharedKey: { privateKeyPem: string; publicKeyPem: string } | undefined;

/** PEM straight from the generator: no KeyObject sharing a lock with the generation job (see identity/keys.ts). */
function pemKeyPair(modulusLength: number): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** RSA generation is the slow part, so tests share one key pair and mint certificates as needed. */
function keyPair(): { privateKeyPem: string; publicKeyPem: string } {
  if (!sharedKey) {
    sharedKey = pemKeyPair(2048);
  }
  return sharedKey;
}

export function makeCertificate(validity: { notBefore: number; notAfter: number }, freshKey = false): KeyAndCertificate {
  let keys = keyPair();
  if (freshKey) {
    keys = pemKeyPair(1024);
  }
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(validity.notBefore);
  cert.validity.notAfter = new Date(validity.notAfter);
  const subject = [{ name: 'commonName', value: 'Ledgerbridge test' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { privateKeyPem: keys.privateKeyPem, certificatePem: forge.pki.certificateToPem(cert) };
}

const YEAR_MS = 365 * 24 * 60 * 60_000;

export function currentCertificate(emulator: XeroEmulator): KeyAndCertificate {
  const now = emulator.clock.now();
  return makeCertificate({ notBefore: now - 60_000, notAfter: now + YEAR_MS });
}

// ---- OAuth 1.0a ---------------------------------------------------------------------------------

export interface PrivateAppCredentials extends KeyAndCertificate {
  consumerKey: string;
  consumerSecret: string;
  tenantId: string;
}

export async function registerPrivateApp(emulator: XeroEmulator, cert = currentCertificate(emulator), tenantId?: string): Promise<PrivateAppCredentials> {
  const res = await request(emulator.app)
    .post('/_emulator/apps')
    .send({ type: 'private', certificatePem: cert.certificatePem, ...(tenantId ? { tenantId } : {}) })
    .expect(201);
  return { ...cert, ...(res.body as { consumerKey: string; consumerSecret: string; tenantId: string }) };
}

export interface SignOptions {
  method: string;
  url: string;
  /** Form fields that are part of the signature (x-www-form-urlencoded bodies). */
  form?: Record<string, string>;
  timestampSeconds?: number;
  nonce?: string;
  /** Sign with this private key instead of the app's. */
  privateKeyPem?: string;
  token?: string | null;
  consumerKey?: string;
  signatureMethod?: string;
}

/** Authorization header for a private-app call, built by the oauth-1.0a package. */
export function oauth1Header(app: PrivateAppCredentials, emulator: XeroEmulator, opts: SignOptions): string {
  const privateKeyPem = opts.privateKeyPem ?? app.privateKeyPem;
  const signer = new OAuth({
    consumer: { key: opts.consumerKey ?? app.consumerKey, secret: app.consumerSecret },
    signature_method: opts.signatureMethod ?? 'RSA-SHA1',
    hash_function: (base) => createSign('RSA-SHA1').update(base).sign(privateKeyPem, 'base64'),
  });
  signer.getTimeStamp = () => opts.timestampSeconds ?? Math.floor(emulator.clock.now() / 1000);
  if (opts.nonce) signer.getNonce = () => opts.nonce as string;
  const token = opts.token === null ? undefined : { key: opts.token ?? app.consumerKey, secret: '' };
  const data = signer.authorize({ url: opts.url, method: opts.method, ...(opts.form ? { data: opts.form } : {}) }, token);
  return signer.toHeader(data).Authorization;
}

// ---- OAuth2 -------------------------------------------------------------------------------------

export interface OAuth2Client {
  clientId: string;
  clientSecret: string;
}

export async function registerOAuth2App(emulator: XeroEmulator, extra: Record<string, unknown> = {}): Promise<OAuth2Client> {
  const res = await request(emulator.app)
    .post('/_emulator/apps')
    .send({ type: 'oauth2', redirectUris: [REDIRECT_URI], name: 'Ledgerbridge', ...extra })
    .expect(201);
  return res.body as OAuth2Client;
}

export const FULL_SCOPE = 'openid profile email offline_access accounting.transactions accounting.contacts accounting.settings';

export async function consentCode(
  emulator: XeroEmulator,
  client: OAuth2Client,
  opts: { scope?: string; state?: string; tenantIds?: string[]; codeChallenge?: string; nonce?: string } = {},
): Promise<string> {
  const res = await request(emulator.app)
    .post('/_emulator/consent')
    .send({
      clientId: client.clientId,
      redirectUri: REDIRECT_URI,
      scope: opts.scope ?? FULL_SCOPE,
      state: opts.state ?? 'st',
      ...(opts.tenantIds ? { tenantIds: opts.tenantIds } : { tenantIds: [tenants(emulator)[0]] }),
      ...(opts.codeChallenge ? { codeChallenge: opts.codeChallenge } : {}),
      ...(opts.nonce ? { nonce: opts.nonce } : {}),
    })
    .expect(200);
  return (res.body as { code: string }).code;
}

export function basic(client: OAuth2Client): string {
  return `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
}

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  token_type: string;
  scope: string;
}

export async function exchangeCode(emulator: XeroEmulator, client: OAuth2Client, code: string, extra: Record<string, string> = {}): Promise<TokenSet> {
  const res = await request(emulator.app)
    .post('/connect/token')
    .set('Authorization', basic(client))
    .type('form')
    .send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...extra })
    .expect(200);
  return res.body as TokenSet;
}

/** Register an app, consent for the first organisation and exchange the code. */
export async function connectedClient(
  emulator: XeroEmulator,
  opts: { scope?: string; tenantIds?: string[] } = {},
): Promise<{ client: OAuth2Client; tokens: TokenSet; tenantId: string }> {
  const client = await registerOAuth2App(emulator);
  const code = await consentCode(emulator, client, opts);
  const tokens = await exchangeCode(emulator, client, code);
  return { client, tokens, tenantId: opts.tenantIds?.[0] ?? (tenants(emulator)[0] as string) };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function advance(emulator: XeroEmulator, ms: number): Promise<void> {
  await request(emulator.app).post('/_emulator/clock/advance').send({ ms }).expect(200);
}

// ---- listening server ---------------------------------------------------------------------------

export async function listen(emulator: XeroEmulator): Promise<{ baseUrl: string; server: Server; close: () => Promise<void> }> {
  const server = emulator.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await emulator.close();
    },
  };
}


/** A custom connection's bearer token for the first organisation (no tenant header needed). */
export async function customConnection(
  emulator: XeroEmulator,
  tenantId?: string,
): Promise<{ bearer: string; tenantId: string; clientId: string; renew: () => Promise<string> }> {
  const created = await request(emulator.app)
    .post('/_emulator/apps')
    .send({ type: 'custom', ...(tenantId ? { tenantId } : {}) })
    .expect(201);
  const client = created.body as OAuth2Client & { tenantId: string };
  const renew = async (): Promise<string> => {
    const res = await request(emulator.app).post('/connect/token').set('Authorization', basic(client)).type('form').send({ grant_type: 'client_credentials' }).expect(200);
    return `Bearer ${(res.body as TokenSet).access_token}`;
  };
  return { bearer: await renew(), tenantId: client.tenantId, clientId: client.clientId, renew };
}
