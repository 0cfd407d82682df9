// The Stripe API version the emulator answers in, and the gate that holds requests to it. Stripe shapes
// its answers by the request's Stripe-Version header (or the account's default version when there is
// none); this emulator implements one version only, so a request for any other is refused with a 400
// naming both, instead of being answered in shapes the caller did not ask for. A mismatch between the
// product's pinned version (plugins/stripe/client.ts) and the emulator then fails loudly in every test.
import type { RequestHandler } from 'express';
import { invalidRequest, sendStripeError, type StripeApiError } from './errors';

/** The version every answer, event and webhook of the emulator is shaped in; the accounts' default too. */
export const IMPLEMENTED_STRIPE_VERSION = '2023-08-16';

// Stripe's version names: a date, since 2024-09-30 with a release name (2024-09-30.acacia).
const VERSION_NAME = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

/** Why `version` cannot be answered, or null when it is the implemented one. */
export function versionProblem(version: string, param?: string): StripeApiError | null {
  if (version === IMPLEMENTED_STRIPE_VERSION) return null;
  // Stripe's own answer to a version that does not exist.
  if (!VERSION_NAME.test(version)) return invalidRequest(`Invalid Stripe API version: ${version}`, param);
  return invalidRequest(
    `This emulator answers in Stripe API version ${IMPLEMENTED_STRIPE_VERSION} only; the request asked for ${version}. ` +
      `Pin apiVersion '${IMPLEMENTED_STRIPE_VERSION}' in the client, or implement ${version}'s shapes in emulators/stripe first.`,
    param,
  );
}

/** Refuses a request whose Stripe-Version header is not the implemented version (no header = the account default). */
export function versionGate(): RequestHandler {
  return (req, res, next) => {
    const asked = req.get('stripe-version');
    const problem = asked === undefined ? null : versionProblem(asked.trim());
    if (problem) return sendStripeError(res, problem);
    next();
  };
}
