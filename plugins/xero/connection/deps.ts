import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';

/** What the connection code needs from the plugin context (a subset, so tests can build it directly). */
export interface ConnectionDeps extends Pick<PluginContext<XeroConfig>, 'db' | 'secrets' | 'config' | 'logger' | 'organisations'> {
  /** A connection that starts connected sends the organisation's paused items again. */
  outbox: Pick<PluginContext<XeroConfig>['outbox'], 'resumePaused'>;
  /** Epoch ms; tests move it (token expiry, certificate warnings). */
  now: () => number;
}

/** The connection code's deps from the plugin context, on its clock. */
export function connectionDeps(ctx: PluginContext<XeroConfig>): ConnectionDeps {
  return {
    db: ctx.db, secrets: ctx.secrets, config: ctx.config, logger: ctx.logger, organisations: ctx.organisations, outbox: ctx.outbox,
    now: () => ctx.clock.now(),
  };
}
