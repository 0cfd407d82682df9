import helmet from 'helmet';
import type { RequestHandler } from 'express';

// Pages use only same-origin scripts and styles; nothing inline, nothing third-party.
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: null as unknown as string[], // forms may post to the Xero consent page (OAuth2 redirects)
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
  });
}
