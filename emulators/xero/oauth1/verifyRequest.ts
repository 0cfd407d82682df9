// Two-legged OAuth 1.0a for Xero private apps: the consumer key doubles as oauth_token, requests are
// signed RSA-SHA1 with the key whose certificate was uploaded. Checks run in the order that gives the
// most useful problem first; the nonce is recorded only once the signature is proven, so a forger
// cannot burn a legitimate client's nonces.
import type { PrivateApp } from '../identity/state';
import { collectParameters, parseAuthorizationHeader, signatureBaseString, type Param } from './baseString';
import { parseCertificate, type ParsedCertificate } from './certificate';
import type { NonceStore } from './nonces';
import { verifyRsaSha1 } from './signatures';

export type OAuthProblem =
  | 'signature_invalid'
  | 'consumer_key_unknown'
  | 'token_rejected'
  | 'timestamp_refused'
  | 'nonce_used'
  | 'signature_method_rejected'
  | 'parameter_absent'
  | 'parameter_rejected'
  | 'version_rejected';

export type OAuth1Result =
  | { ok: true; app: PrivateApp }
  | { ok: false; problem: OAuthProblem; advice: string; extra?: Record<string, string> };

export interface OAuth1Request {
  method: string;
  /** The URL as the client addressed it (scheme, Host header, path and query). */
  url: URL;
  authorization: string | undefined;
  contentType: string | undefined;
  rawBody: Buffer | undefined;
}

export interface OAuth1Deps {
  findApp(consumerKey: string): PrivateApp | undefined;
  nonces: NonceStore;
  now: number;
  maxSkewMs: number;
}

const REQUIRED = ['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_signature', 'oauth_timestamp', 'oauth_nonce'];

/** True when the request carries OAuth 1.0a credentials at all (header, query or form body). */
export function looksLikeOAuth1(authorization: string | undefined, url: URL): boolean {
  return /^OAuth\s/i.test(authorization ?? '') || url.searchParams.has('oauth_consumer_key');
}

const certificates = new WeakMap<PrivateApp, ParsedCertificate>();

function certificateOf(app: PrivateApp): ParsedCertificate {
  let parsed = certificates.get(app);
  if (!parsed) {
    parsed = parseCertificate(app.certificatePem);
    certificates.set(app, parsed);
  }
  return parsed;
}

export function verifyOAuth1Request(req: OAuth1Request, deps: OAuth1Deps): OAuth1Result {
  let params: Param[];
  try {
    const headerParams = parseAuthorizationHeader(req.authorization) ?? [];
    const isForm = (req.contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
    const formBody = isForm && req.rawBody ? req.rawBody.toString('utf8') : undefined;
    params = collectParameters({ url: req.url, headerParams, ...(formBody !== undefined ? { formBody } : {}) });
  } catch {
    return { ok: false, problem: 'parameter_rejected', advice: 'A parameter is not correctly percent-encoded' };
  }
  const oauth = new Map<string, string>();
  for (const [name, value] of params) {
    if (!name.startsWith('oauth_')) continue;
    if (oauth.has(name)) return { ok: false, problem: 'parameter_rejected', advice: `${name} was sent more than once`, extra: { oauth_parameters_rejected: name } };
    oauth.set(name, value);
  }
  const absent = REQUIRED.filter((name) => !oauth.get(name));
  if (absent.length) {
    return { ok: false, problem: 'parameter_absent', advice: `Missing ${absent.join(', ')}`, extra: { oauth_parameters_absent: absent.join('&') } };
  }
  const get = (name: string): string => oauth.get(name) ?? '';
  const version = oauth.get('oauth_version');
  if (version !== undefined && version !== '1.0') {
    return { ok: false, problem: 'version_rejected', advice: 'Only OAuth 1.0 is supported', extra: { oauth_acceptable_versions: '1.0-1.0' } };
  }
  if (get('oauth_signature_method') !== 'RSA-SHA1') {
    return { ok: false, problem: 'signature_method_rejected', advice: 'Private applications must sign with RSA-SHA1' };
  }
  const consumerKey = get('oauth_consumer_key');
  const app = deps.findApp(consumerKey);
  if (!app) return { ok: false, problem: 'consumer_key_unknown', advice: 'Consumer key was not recognised' };
  if (get('oauth_token') !== app.id) {
    return { ok: false, problem: 'token_rejected', advice: `Token ${get('oauth_token')} does not match an expected ACCESS token` };
  }
  const timestamp = get('oauth_timestamp');
  const nowSeconds = Math.floor(deps.now / 1000);
  const skewSeconds = Math.floor(deps.maxSkewMs / 1000);
  if (!/^\d+$/.test(timestamp) || Math.abs(Number(timestamp) - nowSeconds) > skewSeconds) {
    return {
      ok: false,
      problem: 'timestamp_refused',
      advice: 'The oauth_timestamp is too far from the server time',
      extra: { oauth_acceptable_timestamps: `${nowSeconds - skewSeconds}-${nowSeconds + skewSeconds}` },
    };
  }
  const certificate = certificateOf(app);
  if (deps.now > certificate.notAfter || deps.now < certificate.notBefore) {
    // The key is no longer trusted: the app needs a new certificate, so the token is refused.
    return {
      ok: false,
      problem: 'token_rejected',
      advice: `The certificate for this application is not valid now (valid ${new Date(certificate.notBefore).toISOString()} to ${new Date(certificate.notAfter).toISOString()}); upload a new certificate`,
    };
  }
  const baseString = signatureBaseString(req.method, req.url, params);
  if (!verifyRsaSha1(baseString, get('oauth_signature'), certificate.publicKey)) {
    return { ok: false, problem: 'signature_invalid', advice: 'Failed to validate signature' };
  }
  if (!deps.nonces.use(consumerKey, get('oauth_nonce'), timestamp, deps.now)) {
    return { ok: false, problem: 'nonce_used', advice: 'The nonce value has already been used' };
  }
  return { ok: true, app };
}

/** The body Xero sent with an OAuth 1.0a 401: form-encoded, oauth_problem first. */
export function problemBody(result: { problem: OAuthProblem; advice: string; extra?: Record<string, string> }): string {
  const body = new URLSearchParams({ oauth_problem: result.problem, oauth_problem_advice: result.advice, ...(result.extra ?? {}) });
  // URLSearchParams writes spaces as '+'; Xero's bodies used %20.
  return body.toString().replace(/\+/g, '%20');
}
