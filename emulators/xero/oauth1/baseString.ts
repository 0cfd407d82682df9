// RFC 5849 §3.4.1: the signature base string. Pure functions, checked against the published vectors
// in /work/shared/vectors/oauth1.json.

/** RFC 3986 percent-encoding of everything but the unreserved set (RFC 5849 §3.6). */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export type Param = [name: string, value: string];

/**
 * application/x-www-form-urlencoded decoding (RFC 5849 §3.4.1.3.1 for the query and a form body):
 * '+' is a space; a pair without '=' has an empty value. Throws URIError on malformed escapes.
 */
export function parseFormEncoded(text: string): Param[] {
  const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
  return text
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
    });
}

/** §3.4.1.2: scheme and host lower-cased, default port dropped, path kept, query and fragment dropped. */
export function baseStringUri(url: URL): string {
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const host = url.hostname.toLowerCase();
  const isDefault = url.port === '' || (scheme === 'http' && url.port === '80') || (scheme === 'https' && url.port === '443');
  return `${scheme}://${host}${isDefault ? '' : `:${url.port}`}${url.pathname || '/'}`;
}

/** §3.4.1.3.2: encode, sort by name then value (byte order), join. oauth_signature is excluded. */
export function normaliseParameters(params: Param[]): string {
  return params
    .filter(([name]) => name !== 'oauth_signature')
    .map(([name, value]): Param => [percentEncode(name), percentEncode(value)])
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

export function signatureBaseString(method: string, url: URL, params: Param[]): string {
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normaliseParameters(params))].join('&');
}

/**
 * All parameters that are signed (§3.4.1.3.1): the query, the Authorization header's oauth_* values
 * (realm excluded), and a form-encoded single-part body.
 */
export function collectParameters(input: { url: URL; headerParams: Param[]; formBody?: string }): Param[] {
  const query = input.url.search.startsWith('?') ? input.url.search.slice(1) : input.url.search;
  return [
    ...parseFormEncoded(query),
    ...input.headerParams.filter(([name]) => name !== 'realm'),
    ...(input.formBody !== undefined ? parseFormEncoded(input.formBody) : []),
  ];
}

/** `Authorization: OAuth realm="x", oauth_consumer_key="…", …` → decoded pairs (§3.5.1). */
export function parseAuthorizationHeader(header: string | undefined): Param[] | undefined {
  if (!header || !/^OAuth\s/i.test(header)) return undefined;
  const params: Param[] = [];
  const pattern = /([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"/g;
  for (const match of header.slice(6).matchAll(pattern)) {
    params.push([decodeURIComponent(match[1] ?? ''), decodeURIComponent(match[2] ?? '')]);
  }
  return params;
}
