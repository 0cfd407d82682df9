// The API's contract, checked on real traffic: every answer an e2e test gets from /api/v1 is validated
// against the OpenAPI document (server/api/openapi/document.ts) — its status must be documented for the
// route, its JSON body must match the documented schema, its documented headers their schemas — and every
// request the API accepted (2xx) must match the documented request body. So the document cannot drift from
// what the API does: a view field added without the document, or a status the document does not list,
// fails the test that provoked it (startTestApp's close(), or the test's own assertClean()).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenApiDocument } from '../../server/api/openapi/document';

const DOC_ID = 'https://ledgerbridge.local/api/v1/openapi.json';

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }>; headers?: Record<string, { schema: object }> }>;
}

interface Route {
  template: string;
  pattern: RegExp;
  operations: Record<string, Operation>;
}

export interface ApiContract {
  /** The handler with every /api/v1 exchange it serves recorded and checked. */
  wrap(handler: RequestListener): RequestListener;
  /** Check one exchange (what wrap does after each response). */
  check(exchange: { method: string; url: string; status: number; contentType: string | undefined; headers: Record<string, unknown>; body: string; requestBody: unknown }): void;
  /** How many API answers were checked. */
  readonly checked: number;
  readonly violations: readonly string[];
  /** Throws listing every violation seen so far. */
  assertClean(): void;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function routesOf(document: OpenApiDocument): Route[] {
  return Object.entries(document.paths)
    .map(([template, operations]) => ({
      template,
      pattern: new RegExp(`^${template.split(/\{[^}]+\}/).map(escapeRegExp).join('[^/]+')}$`),
      operations: operations as Record<string, Operation>,
    }))
    // Literal paths before templated ones, so `/sales/{id}` never shadows a fixed path.
    .sort((a, b) => Number(a.template.includes('{')) - Number(b.template.includes('{')));
}

export function createApiContract(document: OpenApiDocument, opts: { mount?: string } = {}): ApiContract {
  const mount = opts.mount ?? '/api/v1';
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // ajv-formats ships as CommonJS; its default export is the plugin function.
  const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
  addFormats(ajv);
  ajv.addSchema({ $id: DOC_ID, components: document.components });
  const compiled = new Map<object, ValidateFunction>();
  const validatorFor = (schema: object): ValidateFunction => {
    let fn = compiled.get(schema);
    if (!fn) {
      const ref = (schema as { $ref?: string }).$ref;
      fn = ajv.compile(ref?.startsWith('#/') ? { $ref: `${DOC_ID}${ref}` } : schema);
      compiled.set(schema, fn);
    }
    return fn;
  };
  const routes = routesOf(document);
  const violations: string[] = [];
  let checked = 0;

  const problems = (fn: ValidateFunction, value: unknown): string | null =>
    fn(value) ? null : ajv.errorsText(fn.errors, { separator: '; ', dataVar: 'body' });

  const contract: ApiContract = {
    get checked() { return checked; },
    get violations() { return violations; },

    check({ method, url, status, contentType, headers, body, requestBody }) {
      const path = url.split('?')[0]!;
      if (!path.startsWith(`${mount}/`)) return;
      checked++;
      const what = `${method} ${url} → ${status}`;
      const route = routes.find((r) => r.pattern.test(path.slice(mount.length)));
      const operation = route?.operations[method.toLowerCase()];
      if (!operation) {
        // An unknown route's 404 (or a method the route lacks) is the API saying "no"; anything else is undocumented.
        if (status !== 404) violations.push(`${what}: the document has no ${method} ${path.slice(mount.length)}`);
        return;
      }
      const response = operation.responses[String(status)];
      if (!response) {
        violations.push(`${what}: status ${status} is not documented for ${method} ${route!.template} (documented: ${Object.keys(operation.responses).join(', ')})`);
        return;
      }
      const documented = response.content?.['application/json'];
      if (documented) {
        if (!contentType?.startsWith('application/json')) {
          violations.push(`${what}: documented as application/json, answered ${contentType ?? 'no Content-Type'}`);
        } else {
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            violations.push(`${what}: the body is not JSON`);
            return;
          }
          const wrong = problems(validatorFor(documented.schema), parsed);
          if (wrong) violations.push(`${what}: the body does not match the document: ${wrong}`);
        }
      }
      for (const [name, header] of Object.entries(response.headers ?? {})) {
        const value = headers[name.toLowerCase()];
        if (value === undefined) continue;
        const wrong = problems(validatorFor(header.schema), value);
        if (wrong) violations.push(`${what}: header ${name} does not match the document: ${wrong}`);
      }
      const requestSchema = operation.requestBody?.content['application/json']?.schema;
      if (requestSchema && status >= 200 && status < 300) {
        const wrong = problems(validatorFor(requestSchema), requestBody);
        if (wrong) violations.push(`${what}: the API accepted a request body the document refuses: ${wrong}`);
      }
    },

    wrap(handler) {
      return (req: IncomingMessage, res: ServerResponse) => {
        // Only the API's answers are recorded; pages, assets and webhooks pass through untouched.
        if (!(req.url ?? '').startsWith(`${mount}/`)) return handler(req, res);
        const chunks: Buffer[] = [];
        const write = res.write.bind(res) as (...args: unknown[]) => boolean;
        const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
        const keep = (chunk: unknown, encoding: unknown) => {
          if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
          chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
        };
        res.write = ((chunk: unknown, ...rest: unknown[]) => {
          keep(chunk, rest[0]);
          return write(chunk, ...rest);
        }) as ServerResponse['write'];
        res.end = ((chunk?: unknown, ...rest: unknown[]) => {
          keep(chunk, rest[0]);
          return end(chunk, ...rest);
        }) as ServerResponse['end'];
        res.once('finish', () => {
          contract.check({
            method: req.method ?? 'GET',
            // Express rewrites req.url inside mounted routers and restores it; originalUrl is the request's own.
            url: (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/',
            status: res.statusCode,
            contentType: res.getHeader('content-type') as string | undefined,
            headers: res.getHeaders(),
            body: Buffer.concat(chunks).toString('utf8'),
            requestBody: (req as IncomingMessage & { body?: unknown }).body,
          });
        });
        handler(req, res);
      };
    },

    assertClean() {
      if (violations.length > 0) {
        throw new Error(`The API answered ${violations.length} time(s) outside its OpenAPI document (server/api/openapi):\n${violations.map((v) => `  - ${v}`).join('\n')}`);
      }
    },
  };
  return contract;
}
