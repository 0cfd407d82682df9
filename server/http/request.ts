// Who is acting, on every request: set by bearerAuth (API tokens) or from the session (pages).
import type { Principal } from '../auth/principal';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares Request in this global namespace
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}
export {};
