import type { Role } from '../auth/principal';

export interface NavItem {
  label: string;
  href: string;
  roles: Role[];
}

/** The host's own pages; plugins add theirs (res.locals.nav). The layout shows an item only to its roles. */
export const HOST_NAV: readonly NavItem[] = Object.freeze([
  { label: 'Dashboard', href: '/', roles: ['admin', 'staff', 'accountant'] },
  { label: 'Sales', href: '/sales', roles: ['admin', 'staff', 'accountant'] },
  { label: 'New sale', href: '/sales/new', roles: ['admin', 'staff'] },
  { label: 'Users & tokens', href: '/users', roles: ['admin'] },
]);

/** Host entries first, then plugin entries, each href once, filtered by the viewer's role. */
export function navFor(role: Role | undefined, ...lists: readonly (readonly NavItem[] | undefined)[]): NavItem[] {
  if (!role) return [];
  const seen = new Set<string>();
  const out: NavItem[] = [];
  for (const item of lists.flatMap((l) => l ?? [])) {
    if (seen.has(item.href) || !item.roles.includes(role)) continue;
    seen.add(item.href);
    out.push(item);
  }
  return out;
}
