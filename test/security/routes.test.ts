// The route walker must see every kind of endpoint, or the route × role table could be silently incomplete:
// routes on the app, in nested routers under a mount path, arrays of paths, and bare handlers mounted
// with app.use at a path (reported as USE).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import express, { Router } from 'express';
import { appRoutes } from './routes';

describe('security: route walker', () => {
  it('lists app routes, nested router routes with their mount paths, and bare path-mounted handlers', () => {
    const app = express();
    app.get('/top', (_req, res) => void res.end());
    const inner = Router();
    inner.post('/things/:id/zap', (_req, res) => void res.end());
    inner.route('/multi').get((_req, res) => void res.end()).delete((_req, res) => void res.end());
    const outer = Router();
    outer.use('/inner', inner);
    app.use('/plugins/demo', express.json(), outer);
    app.use('/webhooks/demo', express.raw(), function webhookHandler(_req, res) { res.end(); });
    app.use(express.urlencoded({ extended: false }));
    app.get(['/a', '/b'], (_req, res) => void res.end());
    assert.deepEqual(appRoutes(app).map((r) => r.key), [
      'DELETE /plugins/demo/inner/multi',
      'GET /a',
      'GET /b',
      'GET /plugins/demo/inner/multi',
      'GET /top',
      'POST /plugins/demo/inner/things/:id/zap',
      'USE /webhooks/demo',
    ]);
  });
});
