/**
 * `onedrive://<tenant>` — every user's OneDrive in a tenant (app-only credentials), where
 *   <tenant> is a tenant domain (contoso.onmicrosoft.com, contoso.com) or tenant GUID;
 * `onedrive://<user@domain>` — one user's OneDrive (app-only or delegated credentials).
 */
import { UserError } from '../../src/util/errors.js';

export type OnedriveScope = { kind: 'tenant'; tenant: string; uri: string } | { kind: 'user'; user: string; uri: string };

export function isOnedriveUri(uri: string): boolean {
  return /^onedrive:\/\//i.test(uri);
}

export function parseOnedriveUri(uri: string): OnedriveScope {
  const m = /^onedrive:\/\/([^/?#]*)\/?$/i.exec(uri.trim());
  const target = m ? decodeURIComponent(m[1]!) : '';
  if (!m || !target) {
    throw new UserError(`Not a OneDrive source: "${uri.slice(0, 200)}". Write onedrive://<tenant domain or id> for a whole tenant or onedrive://<user@domain> for one user.`);
  }
  if (/[\s\u0000-\u001f]/.test(target)) throw new UserError(`Invalid OneDrive source "${uri.slice(0, 200)}": it contains spaces or control characters.`);
  if (target.includes('@')) {
    const user = target.toLowerCase();
    if (!/^[^@]+@[^@]+\.[^@]+$/.test(user)) throw new UserError(`Invalid OneDrive user "${target}" in "${uri}": write onedrive://user@domain.`);
    return { kind: 'user', user, uri: `onedrive://${user}` };
  }
  const tenant = target.toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(tenant)) throw new UserError(`Invalid OneDrive tenant "${target}" in "${uri}": write a tenant domain (contoso.onmicrosoft.com) or tenant id.`);
  return { kind: 'tenant', tenant, uri: `onedrive://${tenant}` };
}
