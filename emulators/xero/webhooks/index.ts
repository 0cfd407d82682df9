// The emulator's webhooks (README.md here): change detection over the books, subscriptions and deliveries,
// and the routes that configure them. emulator.ts wires `observe()` in front of every route that can
// change the books.
import type { NextFunction, Request, Response } from 'express';
import type { AccountingModule, Clock } from '../contracts';
import type { Identity } from '../identity/index';
import { ChangeTracker } from './changes';
import { WebhookDispatcher, type WebhookOptions } from './dispatcher';

export { WebhookDispatcher, type WebhookOptions, type WebhookView } from './dispatcher';
export { signWebhookBody } from './signature';
export { webhookControlRouter, webhookPortalRouter } from './routes';

export interface EmulatorWebhooks {
  dispatcher: WebhookDispatcher;
  tracker: ChangeTracker;
  /** Middleware: once a request that may change the books has been answered, publish what changed. */
  observe(apiBase: (req: Request) => string): (req: Request, res: Response, next: NextFunction) => void;
  /** After reset or restore: forget subscriptions (reset only) and take the books as they are. */
  reset(): void;
  rebaseline(): void;
  close(): void;
}

export function createWebhooks(deps: { accounting: AccountingModule; identity: Identity; clock: Clock }, options: Partial<WebhookOptions> = {}): EmulatorWebhooks {
  const tracker = new ChangeTracker(() => deps.accounting.resourceStamps());
  const dispatcher = new WebhookDispatcher({ identity: deps.identity, clock: deps.clock }, options);
  return {
    dispatcher,
    tracker,
    observe: (apiBase) => (req, res, next) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.on('finish', () => dispatcher.publish(tracker.collect(), apiBase(req)));
      }
      next();
    },
    reset: () => {
      dispatcher.clear();
      tracker.baseline();
    },
    rebaseline: () => tracker.baseline(),
    close: () => dispatcher.close(),
  };
}
