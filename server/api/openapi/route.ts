// GET /api/v1/openapi.json: public (it describes the API and holds no data), mounted before bearer auth.
// The document depends only on the install's payment methods, so it is built once per set of methods
// rather than on every request: an unauthenticated route must not cost much.
import type { RequestHandler } from 'express';
import type { HostDeps } from '../../hostDeps';
import { methodIds } from '../../domain/sales';
import { buildOpenApiDocument } from './document';

export function openApiHandler(deps: Pick<HostDeps, 'paymentMethods'>): RequestHandler {
  let built: { methods: string; json: string } | null = null;
  return (_req, res) => {
    const methods = methodIds(deps);
    const key = methods.join('\u0000');
    if (built?.methods !== key) built = { methods: key, json: JSON.stringify(buildOpenApiDocument({ paymentMethods: methods })) };
    res.type('application/json').send(built.json);
  };
}
