// Who is acting, and the roles a person can have. Host types: the plugin contract re-exports them so a
// plugin can guard its routes and read req.principal without importing the host's auth.

export type Role = 'admin' | 'staff' | 'accountant';
export const ROLES: readonly Role[] = ['admin', 'staff', 'accountant'];

/** Who is acting: set on req by the host's auth for both sessions and API tokens. */
export interface Principal {
  /** 'system': the host acting on a provider's report (e.g. ctx.payments.record), never a login. */
  kind: 'user' | 'token' | 'system';
  id: number;
  orgId: number;
  role: Role;
  name: string;
  email?: string;
}
