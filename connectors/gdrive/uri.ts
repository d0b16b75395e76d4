/**
 * `gdrive://<domain>` (tenant-wide: every user of the domain plus every shared drive) and
 * `gdrive://<user@domain>` (one user's My Drive plus the shared drives that user is a member of).
 * `gdrive://<domain>?users=a@domain,b@domain`: a tenant scan of those users only (and their
 * shared drives) instead of the whole directory. The list is part of the source's identity: a
 * scan of some users must never mark the other users' files gone.
 */
import { UserError } from '../../src/util/errors.js';

export interface GdriveLocation {
  /** Canonical URI, lower-cased: `gdrive://example.com` or `gdrive://alice@example.com`. */
  uri: string;
  domain: string;
  /** Set for a single-user URI. */
  user?: string;
  /** Tenant scan of these users only (sorted, lower-cased). */
  users?: string[];
}

const EMAIL_RE = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@([a-z0-9-]+\.)+[a-z0-9-]+$/;

/** The tenant URI restricted to `users` (canonical: sorted, lower-cased, de-duplicated). */
export function withUsers(loc: GdriveLocation, users: readonly string[]): GdriveLocation {
  const list = [...new Set(users.map((u) => u.trim().toLowerCase()).filter(Boolean))].sort();
  if (loc.user || list.length === 0) return loc;
  const bad = list.find((u) => !EMAIL_RE.test(u));
  if (bad) throw new UserError(`Invalid user address "${shown(bad)}" in the users of ${loc.uri}: write user@${loc.domain}.`);
  return { uri: `gdrive://${loc.domain}?users=${list.join(',')}`, domain: loc.domain, users: list };
}

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const LOCAL_RE = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;

function shown(s: string): string {
  const flat = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

export function isGdriveUri(uri: string): boolean {
  return /^gdrive:\/\//i.test(uri);
}

export function parseGdriveUri(uri: string): GdriveLocation {
  const m = /^gdrive:\/\/([^/?#]*)\/?(?:\?users=([^#]*))?$/i.exec(uri.trim());
  const how = 'Write it as gdrive://example.com (whole tenant) or gdrive://user@example.com (one user).';
  if (!m) throw new UserError(`Not a Google Drive URI: "${shown(uri)}". ${how}`);
  const who = decodeURIComponent(m[1] ?? '').toLowerCase();
  if (!who) throw new UserError(`Google Drive URI "${shown(uri)}" names no domain or user. ${how}`);
  const at = who.lastIndexOf('@');
  const domain = at >= 0 ? who.slice(at + 1) : who;
  if (!DOMAIN_RE.test(domain)) throw new UserError(`Invalid domain "${shown(domain)}" in "${shown(uri)}". ${how}`);
  if (at >= 0) {
    const local = who.slice(0, at);
    if (!LOCAL_RE.test(local)) throw new UserError(`Invalid user address "${shown(who)}" in "${shown(uri)}". ${how}`);
    return { uri: `gdrive://${who}`, domain, user: who };
  }
  const base: GdriveLocation = { uri: `gdrive://${domain}`, domain };
  if (m[2] !== undefined) {
    const users = decodeURIComponent(m[2]).split(',');
    if (!users.some((u) => u.trim())) throw new UserError(`Google Drive URI "${shown(uri)}" has an empty users list. ${how}`);
    return withUsers(base, users);
  }
  return base;
}
