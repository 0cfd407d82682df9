import axios from 'axios';
import type { KeyObject } from 'node:crypto';
import type { Authentication } from 'xero-node';
import { randomNonce, readPrivateKey, signPrivateAppRequest } from './signer';

// Plugs OAuth 1.0a RSA-SHA1 signing into xero-node: `api.setDefaultAuthentication(new OAuth1PrivateAppAuth(…))`.
// xero-node (v20) builds an axios config `{ method, url, params, headers, data, responseType }`, applies its
// OAuth2 authentication (a "Bearer …" header) and then the default one — this — so our header wins.
// The signature must cover the query exactly as it goes on the wire, so the final URL is built with axios's
// own serialiser (axios.getUri) and the request is then pinned to that URL: what is signed is what is sent.

type RequestOptions = Parameters<Authentication['applyToRequest']>[0];

export interface OAuth1PrivateAppAuthOptions {
  consumerKey: string;
  privateKeyPem: string;
  /** Epoch milliseconds; injectable for tests and for servers whose clock Xero disagrees with. */
  clock?: () => number;
  nonce?: () => string;
}

export class OAuth1PrivateAppAuth implements Authentication {
  readonly #consumerKey: string;
  readonly #privateKey: KeyObject;
  readonly #clock: () => number;
  readonly #nonce: () => string;

  constructor(opts: OAuth1PrivateAppAuthOptions) {
    if (opts.consumerKey.trim() === '') throw new Error('The consumer key is empty');
    this.#consumerKey = opts.consumerKey.trim();
    this.#privateKey = readPrivateKey(opts.privateKeyPem); // parsed once, and fails at construction, not per call
    this.#clock = opts.clock ?? Date.now;
    this.#nonce = opts.nonce ?? randomNonce;
  }

  applyToRequest(requestOptions: RequestOptions): void {
    const finalUrl = axios.getUri(requestOptions);
    const body = formBody(requestOptions);
    const signed = signPrivateAppRequest({
      method: (requestOptions.method ?? 'GET').toUpperCase(),
      url: finalUrl,
      body,
      consumerKey: this.#consumerKey,
      privateKeyPem: this.#privateKey,
      timestamp: Math.floor(this.#clock() / 1000),
      nonce: this.#nonce(),
    });
    requestOptions.url = finalUrl;
    requestOptions.params = undefined;
    if (body !== undefined) requestOptions.data = typeof body === 'string' ? body : body.toString();
    setHeader(requestOptions, 'Authorization', signed.authorization);
  }
}

/** The body, when it is form-encoded (§3.4.1.3.1); a JSON body (every Xero write) is not signed. */
function formBody(opts: RequestOptions): string | URLSearchParams | undefined {
  const contentType = String(getHeader(opts, 'content-type') ?? '');
  const isForm = contentType.toLowerCase().startsWith('application/x-www-form-urlencoded');
  const data: unknown = opts.data;
  if (data instanceof URLSearchParams) return data;
  if (!isForm || data === undefined || data === null) return undefined;
  if (typeof data === 'string') return data;
  if (typeof data === 'object' && !Buffer.isBuffer(data)) {
    // Encode it here (rather than leave it to axios) so the bytes sent are the parameters signed.
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
      if (value === undefined || value === null) continue;
      if (typeof value === 'object') throw new Error(`Cannot sign the nested form field "${name}"`);
      params.append(name, String(value));
    }
    return params;
  }
  return undefined;
}

type HeaderBag = Record<string, unknown> & { get?: (name: string) => unknown; set?: (name: string, value: string) => unknown };

function getHeader(opts: RequestOptions, name: string): unknown {
  const headers = opts.headers as HeaderBag | undefined;
  if (!headers) return undefined;
  if (typeof headers.get === 'function') return headers.get(name);
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

function setHeader(opts: RequestOptions, name: string, value: string): void {
  const headers = (opts.headers ?? {}) as HeaderBag;
  if (typeof headers.set === 'function') {
    headers.set(name, value); // AxiosHeaders: case-insensitive already
  } else {
    // Drop any other spelling (e.g. "authorization") so exactly one Authorization header is sent.
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
    headers[name] = value;
  }
  opts.headers = headers as RequestOptions['headers'];
}
