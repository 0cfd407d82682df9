// Role guard for API routes. Authentication happened before the router (bearer token → req.principal);
// here only "may this role do this?" is decided.
import type { Request, RequestHandler } from 'express';
import { ForbiddenError, UnauthorizedError } from '../errors';
import type { Principal, Role } from '../auth/principal';
import '../http/request';

/** Writers at the desk and admins change data; accountants read. */
export const WRITE_ROLES: readonly Role[] = ['admin', 'staff'];
export const READ_ROLES: readonly Role[] = ['admin', 'staff', 'accountant'];

export function requireApiRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.principal) return next(new UnauthorizedError());
    if (!roles.includes(req.principal.role)) {
      return next(new ForbiddenError(`This needs one of the roles ${roles.join(', ')}; your token's role is ${req.principal.role}`));
    }
    next();
  };
}

/** The authenticated principal; routes behind requireApiRole always have one. */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw new UnauthorizedError();
  return req.principal;
}
