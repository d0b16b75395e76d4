/**
 * Drive permissions → Exposure. Widest grant wins:
 *  - `anyone` with allowFileDiscovery → public (findable in search);
 *  - `anyone` without discovery → anyone_with_link;
 *  - `domain` → domain for one of the tenant's domains, else external;
 *  - `user`/`group` with an address outside the tenant's domains → external;
 *  - otherwise internal (owner and tenant users/groups only).
 * details lists the grants (`anyone:reader`, `domain:example.com:reader`,
 * `user:bob@other.org:writer`); permissions carry no secrets (no tokens, no links).
 */
import type { Exposure, ExposureLevel } from '../contract.js';

export interface DrivePermission {
  id?: string | null;
  type?: string | null;
  role?: string | null;
  emailAddress?: string | null;
  domain?: string | null;
  allowFileDiscovery?: boolean | null;
  deleted?: boolean | null;
}

const RANK: Record<ExposureLevel, number> = { public: 6, anyone_with_link: 5, domain: 4, external: 3, internal: 2, private: 1, unknown: 0 };

export function widest(a: ExposureLevel, b: ExposureLevel): ExposureLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

function domainOf(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? '' : email.slice(at + 1).toLowerCase();
}

export function isInternalDomain(domain: string | null | undefined, tenantDomains: readonly string[]): boolean {
  if (!domain) return false;
  const d = domain.toLowerCase();
  return tenantDomains.some((t) => t.toLowerCase() === d);
}

/** The level one permission grants. */
export function permissionLevel(p: DrivePermission, tenantDomains: readonly string[]): ExposureLevel {
  switch (p.type) {
    case 'anyone':
      return p.allowFileDiscovery ? 'public' : 'anyone_with_link';
    case 'domain':
      return isInternalDomain(p.domain, tenantDomains) ? 'domain' : 'external';
    case 'user':
    case 'group': {
      const email = p.emailAddress ?? '';
      if (!email) return 'internal'; // Drive hides addresses of deleted accounts
      return isInternalDomain(domainOf(email), tenantDomains) ? 'internal' : 'external';
    }
    default:
      return 'unknown';
  }
}

/** `who` of one permission, as exposure details and remediation grants spell it: `anyone:reader`, `domain:example.com:reader`, `user:bob@other.org:writer`. */
export function whoOf(p: DrivePermission): string {
  const role = p.role ?? '?';
  switch (p.type) {
    case 'anyone':
      return `anyone${p.allowFileDiscovery ? '(discoverable)' : ''}:${role}`;
    case 'domain':
      return `domain:${p.domain ?? '?'}:${role}`;
    default:
      return `${p.type ?? '?'}:${p.emailAddress ?? p.id ?? '?'}:${role}`;
  }
}

/** Reduces a file's permissions to an Exposure; `undefined` permissions → unknown. */
export function exposureOf(perms: readonly DrivePermission[] | null | undefined, tenantDomains: readonly string[]): Exposure {
  if (!perms) return { level: 'unknown' };
  let level: ExposureLevel = 'internal';
  const details: string[] = [];
  for (const p of perms) {
    if (p.deleted) continue;
    level = widest(level, permissionLevel(p, tenantDomains));
    details.push(whoOf(p));
  }
  if (perms.length === 0) level = 'private';
  return details.length ? { level, details } : { level };
}
