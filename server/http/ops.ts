import { Router, type Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { HostDeps } from '../hostDeps';
import { createMetricsRegistry } from '../outbox/metrics';

// Health for load balancers; Prometheus metrics for operators. Metrics are open to loopback callers,
// and to anyone presenting METRICS_TOKEN as a bearer token when it is set.
export function createOpsRouter(deps: HostDeps): Router {
  const router = Router();
  const registry = createMetricsRegistry(deps.db);

  router.get('/healthz', async (_req, res) => {
    try {
      await deps.db.raw('select 1');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });

  router.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req, deps.config.metricsToken)) {
      res.status(401).type('text').send('metrics need a bearer token (METRICS_TOKEN)\n');
      return;
    }
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

function metricsAllowed(req: Request, token: string | undefined): boolean {
  const header = req.get('authorization') ?? '';
  if (token && header.startsWith('Bearer ')) {
    const given = Buffer.from(header.slice(7));
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  const ip = req.socket.remoteAddress ?? '';
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}
