/**
 * Who can see a OneDrive item, from its permissions (GET /drives/{d}/items/{i}/permissions).
 *
 * - A sharing link with `link.scope` "anonymous" → `anyone_with_link`. Graph has no
 *   "discoverable public" items (OneDrive files are never listed or searchable by
 *   outsiders), so `public` is never reported.
 * - `link.scope` "organization" → `domain` (anyone in the tenant with the link).
 * - `link.scope` "users" (specific people) and direct grants (`grantedToV2`,
 *   `grantedToIdentitiesV2`, legacy `grantedTo`/`grantedToIdentities`, `invitation`):
 *   a user whose email is outside the tenant's domains → `external`; otherwise `internal`.
 * - The widest level wins. Items without the `shared` facet are not asked about (saves a
 *   request per item) and are `private`.
 * Details name the grant, e.g. `link:anonymous:view`, `user:bob@other.org:write`.
 */
import type { Exposure, ExposureLevel } from '../contract.js';

const ORDER: ExposureLevel[] = ['public', 'anyone_with_link', 'domain', 'external', 'internal', 'private', 'unknown'];

export function widest(a: ExposureLevel, b: ExposureLevel): ExposureLevel {
  // `unknown` only wins over nothing.
  if (a === 'unknown') return b;
  if (b === 'unknown') return a;
  return ORDER.indexOf(a) <= ORDER.indexOf(b) ? a : b;
}

export interface Identity {
  id?: string;
  displayName?: string;
  email?: string;
  userPrincipalName?: string;
  loginName?: string;
}
export interface IdentitySet {
  user?: Identity;
  siteUser?: Identity;
  group?: Identity;
  siteGroup?: Identity;
  application?: Identity;
}
export interface GraphPermission {
  id?: string;
  roles?: string[];
  link?: { scope?: string; type?: string };
  grantedToV2?: IdentitySet;
  grantedTo?: IdentitySet;
  grantedToIdentitiesV2?: IdentitySet[];
  grantedToIdentities?: IdentitySet[];
  invitation?: { email?: string };
}

export function roleOf(p: GraphPermission): string {
  const roles = p.roles ?? [];
  if (roles.includes('owner')) return 'owner';
  if (roles.includes('write')) return 'write';
  if (roles.includes('read')) return 'read';
  return roles[0] ?? 'read';
}

export function emailOf(s: IdentitySet): string | undefined {
  const u = s.user ?? s.siteUser;
  const raw = u?.email ?? u?.userPrincipalName ?? (u?.loginName?.includes('|') ? u.loginName.split('|').pop() : u?.loginName);
  return raw && raw.includes('@') ? raw.toLowerCase() : undefined;
}

export function isInternalEmail(email: string, domains: readonly string[]): boolean {
  // Guest accounts look like bob_other.org#EXT#@contoso.onmicrosoft.com: outside by definition.
  if (/#ext#/i.test(email)) return false;
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  return domains.some((d) => domain === d || domain.endsWith(`.${d}`));
}

/** The exposure an item's permissions amount to. `domains`: the tenant's own domains (lower case). */
export function exposureFromPermissions(perms: readonly GraphPermission[], domains: readonly string[]): Exposure {
  let level: ExposureLevel = 'private';
  const details: string[] = [];
  const add = (lv: ExposureLevel, d: string) => {
    level = widest(level, lv);
    if (!details.includes(d)) details.push(d);
  };
  for (const p of perms) {
    const role = roleOf(p);
    if (p.link) {
      const scope = (p.link.scope ?? 'users').toLowerCase();
      const type = p.link.type ?? role;
      if (scope === 'anonymous') add('anyone_with_link', `link:anonymous:${type}`);
      else if (scope === 'organization') add('domain', `link:organization:${type}`);
      // a "specific people" link: its audience is in grantedToIdentitiesV2 below
    }
    const sets: IdentitySet[] = [];
    if (p.grantedToV2) sets.push(p.grantedToV2);
    else if (p.grantedTo) sets.push(p.grantedTo);
    if (p.grantedToIdentitiesV2?.length) sets.push(...p.grantedToIdentitiesV2);
    else if (p.grantedToIdentities?.length) sets.push(...p.grantedToIdentities);
    for (const s of sets) {
      if (role === 'owner') continue; // the drive's owner: does not widen anything
      const email = emailOf(s);
      if (email) add(isInternalEmail(email, domains) ? 'internal' : 'external', `user:${email}:${role}`);
      else if (s.group ?? s.siteGroup) add('internal', `group:${(s.group ?? s.siteGroup)!.displayName ?? (s.group ?? s.siteGroup)!.id ?? '?'}:${role}`);
      else if (s.user ?? s.siteUser) add('internal', `user:${(s.user ?? s.siteUser)!.id ?? '?'}:${role}`);
    }
    if (!sets.length && p.invitation?.email) {
      const email = p.invitation.email.toLowerCase();
      add(isInternalEmail(email, domains) ? 'internal' : 'external', `user:${email}:${role}`);
    }
  }
  // Shared (the item has the facet) but only with its owner or tenant members.
  return details.length ? { level, details } : { level };
}

/** `A/B` from a parentReference.path such as `/drive/root:/A/B` or `/drives/{id}/root:/A/B`. */
export function folderOf(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const i = path.indexOf('root:');
  if (i < 0) return undefined;
  let rest = path.slice(i + 'root:'.length);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    /* keep as is */
  }
  return rest.replace(/^\/+|\/+$/g, '');
}
