import { createHmac, createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { collectParameters, parseFormEncoded, percentEncode, signatureBaseString, type Param } from './baseString';

// OAuth 1.0a request signing (RFC 5849). Xero's legacy private apps are two-legged RSA-SHA1 with the
// consumer key doubling as oauth_token; HMAC-SHA1 is here because it is tiny and the RFC's vectors use it.

/** A form-encoded body (only these take part in the signature; a JSON body never does, §3.4.1.3.1). */
export type FormBody = string | URLSearchParams | readonly Param[];

export function formBodyParams(body: FormBody | undefined): Param[] {
  if (body === undefined) return [];
  if (typeof body === 'string') return parseFormEncoded(body);
  if (body instanceof URLSearchParams) return [...body.entries()];
  return [...body];
}

export interface SignedRequest {
  baseString: string;
  signature: string;
  /** The oauth_* protocol parameters, oauth_signature included. */
  oauthParams: Param[];
  /** The value of the Authorization header. */
  authorization: string;
}

/** Sign a request whose oauth_* parameters (all but oauth_signature) are given; the general form of the below. */
export function signWithParams(opts: {
  method: string;
  url: string | URL;
  body?: FormBody;
  oauthParams: readonly Param[];
  sign: (baseString: string) => string;
}): SignedRequest {
  const url = typeof opts.url === 'string' ? new URL(opts.url) : opts.url;
  const baseString = signatureBaseString(opts.method, url, collectParameters(url, opts.oauthParams, formBodyParams(opts.body)));
  const signature = opts.sign(baseString);
  const oauthParams: Param[] = [...opts.oauthParams, ['oauth_signature', signature]];
  return { baseString, signature, oauthParams, authorization: authorizationHeader(oauthParams) };
}

/** §3.5.1: `OAuth name="value", …` with names and values percent-encoded. */
export function authorizationHeader(oauthParams: readonly Param[]): string {
  return `OAuth ${oauthParams.map(([name, value]) => `${percentEncode(name)}="${percentEncode(value)}"`).join(', ')}`;
}

/** §3.4.3: RSASSA-PKCS1-v1_5 over SHA-1 of the base string, base64. */
export function rsaSha1Signature(baseString: string, privateKey: string | KeyObject): string {
  return sign('sha1', Buffer.from(baseString, 'utf8'), privateKey).toString('base64');
}

/** §3.4.2: HMAC-SHA1 keyed by `encode(consumer secret)&encode(token secret)`, base64. */
export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret = ''): string {
  return createHmac('sha1', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`).update(baseString, 'utf8').digest('base64');
}

/** A nonce unique per timestamp (§3.3): 128 random bits, hex (nothing to encode). */
export const randomNonce = (): string => randomBytes(16).toString('hex');

export interface OAuth1RequestInput {
  method: string;
  /** The final URL, query included. */
  url: string;
  /** Only a form-encoded body; leave JSON bodies out. */
  body?: FormBody;
  consumerKey: string;
  /** PEM (PKCS#8 or PKCS#1), or a KeyObject already parsed from it. */
  privateKeyPem: string | KeyObject;
  /** Seconds since the epoch; now by default. */
  timestamp?: number | string;
  nonce?: string;
}

/** The Authorization header value for a Xero private app request (two-legged RSA-SHA1). */
export function signOAuth1Request(input: OAuth1RequestInput): string {
  return signPrivateAppRequest(input).authorization;
}

/** As signOAuth1Request, with the base string and signature for diagnostics and tests. */
export function signPrivateAppRequest(input: OAuth1RequestInput): SignedRequest {
  const key = typeof input.privateKeyPem === 'string' ? readPrivateKey(input.privateKeyPem) : input.privateKeyPem;
  const timestamp = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const oauthParams: Param[] = [
    ['oauth_consumer_key', input.consumerKey],
    ['oauth_token', input.consumerKey], // private apps: the consumer key is also the access token
    ['oauth_signature_method', 'RSA-SHA1'],
    ['oauth_timestamp', timestamp],
    ['oauth_nonce', input.nonce ?? randomNonce()],
    ['oauth_version', '1.0'],
  ];
  return signWithParams({ method: input.method, url: input.url, body: input.body, oauthParams, sign: (base) => rsaSha1Signature(base, key) });
}

/** Parse a PEM private key, with an error that says what is wrong and never repeats the key. */
export function readPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('The private key is not a readable, unencrypted PEM key');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`The private key must be RSA (got ${key.asymmetricKeyType ?? 'unknown'})`);
  return key;
}
