// The app's real routes, read from Express's router stack at run time (Express 5 / router 2: a layer
// with `route` is an endpoint; a layer whose handle has a `stack` is a mounted router, `rawPath` its
// mount path). Anything else mounted at a path (not `/`) that is not a known body parser, static
// server or the login guard is reported as `USE <path>`, so a bare handler cannot hide from the table.
import type { Express } from 'express';

export interface AppRoute {
  /** e.g. "POST /plugins/xero/sync/:entityType/:entityId/send" — the key of the role table. */
  key: string;
  method: string;
  path: string;
}

interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: LayerLike[]; name?: string };
  rawPath?: string | string[];
  slash?: boolean;
  name: string;
}

/** Path-mounted middleware that is plumbing, not an endpoint of its own. */
const PLUMBING = new Set(['requireLogin', 'rawParser', 'jsonParser', 'urlencodedParser', 'textParser']);

function join(prefix: string, path: string): string {
  const joined = `${prefix}${path.startsWith('/') ? '' : '/'}${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

function walk(stack: LayerLike[], prefix: string, out: Map<string, AppRoute>): void {
  for (const layer of stack) {
    if (layer.route) {
      const paths = ([] as string[]).concat(layer.route.path);
      for (const p of paths) {
        for (const m of Object.keys(layer.route.methods)) {
          if (m === '_all') continue;
          const method = m.toUpperCase();
          const path = join(prefix, p);
          out.set(`${method} ${path}`, { key: `${method} ${path}`, method, path });
        }
      }
      continue;
    }
    const mount = layer.slash || layer.rawPath === undefined ? '' : String(layer.rawPath);
    if (layer.handle.stack) {
      walk(layer.handle.stack, mount ? join(prefix, mount) : prefix, out);
    } else if (mount && mount !== '/' && !PLUMBING.has(layer.name)) {
      const path = join(prefix, mount);
      out.set(`USE ${path}`, { key: `USE ${path}`, method: 'USE', path });
    }
  }
}

/** Every endpoint of the app, sorted by key. */
export function appRoutes(app: Express): AppRoute[] {
  const router = (app as unknown as { router?: { stack: LayerLike[] } }).router;
  if (!router) throw new Error('no router on the app: routes are enumerated from Express 5 app.router');
  const out = new Map<string, AppRoute>();
  walk(router.stack, '', out);
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
}
