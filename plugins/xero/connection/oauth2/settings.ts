// Small derivations from the plugin config shared by the flow, the token manager and the routes.
import type { XeroConfig } from '../../config';
import { XeroIdentityClient } from './xeroIdentity';

/** Where Xero sends the admin back: XERO_REDIRECT_URI, else this install's own callback route. */
export function redirectUriFor(config: XeroConfig, publicUrl: string, mountPath = '/plugins/xero'): string {
  return config.redirectUri ?? `${publicUrl.replace(/\/+$/, '')}${mountPath}/oauth2/callback`;
}

/**
 * The scopes asked for at consent: the configured API scopes plus `openid`, which makes Xero return an
 * id_token so the nonce can be checked. `openid` grants no API access.
 */
export function consentScopes(config: XeroConfig): string[] {
  return config.scopes.includes('openid') ? [...config.scopes] : ['openid', ...config.scopes];
}

/** The app's own OAuth2 client (XERO_CLIENT_ID/SECRET), or undefined when they are not configured. */
export function appIdentity(config: XeroConfig, redirectUri?: string): XeroIdentityClient | undefined {
  if (!config.oauth2) return undefined;
  return new XeroIdentityClient({
    identityUrl: config.identityUrl,
    apiUrl: config.apiUrl,
    clientId: config.oauth2.clientId,
    clientSecret: config.oauth2.clientSecret,
    ...(redirectUri ? { redirectUri, scopes: consentScopes(config) } : {}),
    httpTimeoutMs: config.httpTimeoutMs,
  });
}

/** A custom connection's client (its own id and secret, pasted by the admin). */
export function customIdentity(config: XeroConfig, credentials: { clientId: string; clientSecret: string }): XeroIdentityClient {
  return new XeroIdentityClient({
    identityUrl: config.identityUrl,
    apiUrl: config.apiUrl,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    httpTimeoutMs: config.httpTimeoutMs,
  });
}
