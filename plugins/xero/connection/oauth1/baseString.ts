// RFC 5849 §3.4.1: the signature base string, written out in full because every byte counts. Pure
// functions; checked against the published vectors (test/unit/xero/oauth1BaseString.test.ts).

export type Param = readonly [name: string, value: string];

/** §3.6: percent-encode everything outside the RFC 3986 unreserved set (ALPHA DIGIT - . _ ~), upper-case hex. */
export function percentEncode(value: string): string {
  // encodeURIComponent already works on UTF-8 bytes with upper-case hex, but leaves ! ' ( ) * alone.
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * application/x-www-form-urlencoded decoding, as §3.4.1.3.1 asks for the query and a form body:
 * '+' is a space and a name without '=' has an empty value. Empty pairs (`a=1&&b=2`) are skipped.
 */
export function parseFormEncoded(text: string): Param[] {
  const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
  const params: Param[] = [];
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    params.push(eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))]);
  }
  return params;
}

/** §3.4.1.2: scheme and host lower-case, the default port dropped, the path as is; no query, no fragment. */
export function baseStringUri(url: URL): string {
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const host = url.hostname.toLowerCase();
  // WHATWG URL already drops :80 for http and :443 for https; anything left in `port` is significant.
  const port = url.port === '' ? '' : `:${url.port}`;
  return `${scheme}://${host}${port}${url.pathname === '' ? '/' : url.pathname}`;
}

/** §3.4.1.3.2: encode names and values, sort by name then value (byte order), join with '=' and '&'. */
export function normaliseParameters(params: readonly Param[]): string {
  return params
    // oauth_signature is excluded wherever it appears; `realm` only from the Authorization header, which
    // this signer never puts it in, so a query parameter called realm is signed like any other.
    .filter(([name]) => name !== 'oauth_signature')
    .map(([name, value]): Param => [percentEncode(name), percentEncode(value)])
    // Encoded strings are pure ASCII, so comparing UTF-16 code units is comparing bytes.
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** §3.4.1.3.1: the query of the request URL, the protocol parameters and a form-encoded body, together. */
export function collectParameters(url: URL, oauthParams: readonly Param[], formBody: readonly Param[] = []): Param[] {
  const query = url.search.length > 1 ? parseFormEncoded(url.search.slice(1)) : [];
  return [...query, ...oauthParams, ...formBody];
}

/** §3.4.1.1: METHOD & encoded base string URI & encoded normalised parameters. */
export function signatureBaseString(method: string, url: URL, params: readonly Param[]): string {
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normaliseParameters(params))].join('&');
}
