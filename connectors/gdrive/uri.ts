/**
 * `gdrive://<domain>` (tenant-wide: every user of the domain plus every shared drive) and
 * `gdrive://<user@domain>` (one user's My Drive plus the shared drives that user is a member of).
 */
import { UserError } from '../../src/util/errors.js';

export interface GdriveLocation {
  /** Canonical URI, lower-cased: `gdrive://example.com` or `gdrive://alice@example.com`. */
  uri: string;
  domain: string;
  /** Set for a single-user URI. */
  user?: string;
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
  const m = /^gdrive:\/\/([^/?#]*)\/?$/i.exec(uri.trim());
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
  return { uri: `gdrive://${domain}`, domain };
}
