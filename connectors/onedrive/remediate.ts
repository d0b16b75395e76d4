/**
 * OneDrive remediation capabilities (connector contract: inspect, removeGrants, addGrants,
 * quarantine, release, tag) on Microsoft Graph v1.0, through the connector's Graph client and
 * its retry/throttle path (every request goes through OnedriveConnector.call: the drive's pause
 * gate, withRetry fed by classifyGraphError, 429/503 Retry-After honoured and counted).
 * The remediation runner decides what to do; this file only does the platform operations.
 *
 *   inspect       GET /drives/{d}/items/{i} (parentReference, eTag/cTag, description) and
 *                 GET …/permissions: one Grant per permission. Level by exposure.ts. The drive
 *                 owner's permission and inherited ones (`inheritedFrom`: Graph can delete only
 *                 permissions set on the item itself) are revocable: false with a note.
 *   removeGrants  DELETE …/permissions/{id}; 404 = already gone = done.
 *   addGrants     from Grant.spec: sharing links through POST …/createLink {type, scope} (Graph
 *                 mints a NEW URL: the old one stays dead, see spec.note), people on a
 *                 specific-people link through POST /shares/{u!…}/permission/grant, direct grants
 *                 through POST …/invite {recipients, roles, requireSignIn: true,
 *                 sendInvitation: false}. A grant that is there again is skipped.
 *   quarantine    moves the item (PATCH parentReference.id; on 409 nameAlreadyExists again with
 *                 a name carrying the item id and conflictBehavior rename) into a folder of the
 *                 same drive (default `casb-quarantine` at the root; QuarantineTarget.to is a
 *                 folder path below the root), found by path or created (POST …/children, folder
 *                 facet, conflictBehavior fail, then read again on 409), once per connector. The
 *                 folder must be shared with nobody (what is in a folder inherits its sharing), or
 *                 quarantine refuses. Then the item's own links and grants are deleted. Graph keeps
 *                 the item id across a move, so the returned ref has the same externalId.
 *   release       PATCH back to before.place {parentId, name}; conflictBehavior fail (a 409 is a
 *                 clear error, never an overwrite). Grants come back through addGrants.
 *   tag           casb's tags live in the item's `description`, one line `casb: k=v; k2=v2`
 *                 (`%`, `;`, `=` and line breaks percent-encoded); other lines are kept. Graph
 *                 has no free-form properties on driveItems (Drive's appProperties, S3 tags), and
 *                 listItem columns would need a column on every user's library. Graph documents
 *                 description as read-write on OneDrive Personal; a library that does not keep it
 *                 makes tag() fail with a clear line (it reads the value back).
 *
 * Never in a Grant, a LiveState, a message or a log: a link's webUrl or share token (anyone
 * holding one can open the file). A restore of a specific-people link uses the new link's URL
 * in memory only, for the /shares grant call.
 */
import type { Grant, LiveState, ObjectRef, QuarantineTarget } from '../contract.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { TokenError } from './auth.js';
import { describeGraphError, graphErrorFacts, graphErrorReason } from './errors.js';
import { exposureFromPermissions } from './exposure.js';
import type { GraphPermission, IdentitySet } from './exposure.js';
import { emailOf, folderOf, roleOf } from './exposure.js';

export const DEFAULT_QUARANTINE_FOLDER = 'casb-quarantine';
const ITEM_SELECT = 'id,name,eTag,cTag,parentReference,description,file,folder,root';

/** What the remediation needs from the connector (its private plumbing, bound). */
export interface GraphAccess {
  readonly uri: string;
  readonly maxAttempts: number;
  /** One request for `drive` through the connector's gate and withRetry. */
  request<T>(drive: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** An @odata.nextLink as a path relative to the API root (refuses other hosts). */
  relative(link: string): string;
  /** The tenant's own domains (lower case), for exposure levels. */
  domains(): Promise<string[]>;
  debug(msg: string, err?: unknown): void;
}

/** A permission as Graph answers it (more than exposure.ts needs). */
interface Permission extends Omit<GraphPermission, 'link'> {
  id?: string;
  link?: { scope?: string; type?: string; webUrl?: string };
  inheritedFrom?: { id?: string; driveId?: string; path?: string };
  hasPassword?: boolean;
  expirationDateTime?: string;
}

interface DriveItem {
  id: string;
  name?: string;
  eTag?: string;
  cTag?: string;
  description?: string;
  root?: unknown;
  folder?: unknown;
  file?: unknown;
  parentReference?: { id?: string; driveId?: string; path?: string };
}

// ---------------------------------------------------------------- tags in the description

const TAG_LINE = /^casb:[ \t]*(.*)$/m;
const enc = (s: string) => s.replace(/[%;=\r\n]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
const dec = (s: string) => s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/** casb's tags from a description (the `casb:` line), {} when there is none. */
export function parseDescriptionTags(description: string | undefined | null): Record<string, string> {
  const m = description ? TAG_LINE.exec(description) : null;
  const out: Record<string, string> = {};
  if (!m) return out;
  for (const part of m[1]!.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = dec(part.slice(0, i).trim());
    if (k) out[k] = dec(part.slice(i + 1).trim());
  }
  return out;
}

/** The description with `tags` merged into its `casb:` line (an empty value removes a key); other lines are kept. */
export function mergeDescriptionTags(description: string | undefined | null, tags: Record<string, string>): string {
  const merged = { ...parseDescriptionTags(description) };
  for (const [k, v] of Object.entries(tags)) {
    if (v === '') delete merged[k];
    else merged[k] = v;
  }
  const keys = Object.keys(merged).sort();
  const line = keys.length ? `casb: ${keys.map((k) => `${enc(k)}=${enc(merged[k]!)}`).join('; ')}` : '';
  const others = (description ?? '').split(/\r?\n/).filter((l) => l.trim() !== '' && !/^casb:/.test(l));
  return [...others, ...(line ? [line] : [])].join('\n');
}

// ---------------------------------------------------------------- grants

function identitySets(p: Permission): IdentitySet[] {
  const sets: IdentitySet[] = [];
  if (p.grantedToV2) sets.push(p.grantedToV2 as IdentitySet);
  else if (p.grantedTo) sets.push(p.grantedTo as IdentitySet);
  if (p.grantedToIdentitiesV2?.length) sets.push(...(p.grantedToIdentitiesV2 as IdentitySet[]));
  else if (p.grantedToIdentities?.length) sets.push(...(p.grantedToIdentities as IdentitySet[]));
  return sets;
}

/** `user:bob@x.org`, `group:Finance`, `user:<id>`: how people are named in grants (as in exposure details, without the role). */
function whoOf(s: IdentitySet): string | undefined {
  const email = emailOf(s);
  if (email) return `user:${email}`;
  const g = s.group ?? s.siteGroup;
  if (g) return `group:${g.displayName ?? g.id ?? '?'}`;
  const u = s.user ?? s.siteUser;
  if (u) return `user:${u.id ?? u.displayName ?? '?'}`;
  if (s.application) return `app:${s.application.displayName ?? s.application.id ?? '?'}`;
  return undefined;
}

/** What addGrants sends for a person: an email, or the directory object id. */
function recipientOf(s: IdentitySet): Record<string, string> | undefined {
  const email = emailOf(s);
  if (email) return { email };
  const id = (s.user ?? s.group)?.id;
  return id ? { objectId: id } : undefined;
}

const LINK_NOTE =
  'restoring runs createLink, which makes a new link with a new URL: the old URL stays dead, so send the new link to the people who need it';

/** One Grant for one Graph permission. Never carries the link URL. */
export function grantOf(p: Permission, domains: readonly string[]): Grant {
  const role = roleOf(p);
  // The single-permission exposure is the mapping the scan uses (exposure.ts).
  const level = role === 'owner' ? 'private' : exposureFromPermissions([p as GraphPermission], domains).level;
  const sets = identitySets(p);
  const people = sets.map(whoOf).filter((w): w is string => !!w);
  let who: string;
  let spec: Record<string, unknown> | undefined;
  if (p.link) {
    const scope = (p.link.scope ?? 'users').toLowerCase();
    const type = p.link.type ?? (role === 'write' ? 'edit' : 'view');
    who = `link:${scope}:${type}`;
    spec = { kind: 'link', type, scope };
    if (scope === 'users') spec.recipients = sets.map(recipientOf).filter((r): r is Record<string, string> => !!r);
    if (p.expirationDateTime) spec.expirationDateTime = p.expirationDateTime;
    spec.note = p.hasPassword ? `${LINK_NOTE}; the old link had a password, the new one has none` : LINK_NOTE;
  } else {
    const email = p.invitation?.email?.toLowerCase();
    who = people.length ? people.join(',') : email ? `user:${email}` : `permission:${p.id ?? '?'}`;
    const recipients = sets.map(recipientOf).filter((r): r is Record<string, string> => !!r);
    if (!recipients.length && email) recipients.push({ email });
    if (recipients.length && role !== 'owner') spec = { kind: 'invite', recipients, roles: [role], requireSignIn: true, sendInvitation: false };
  }
  const g: Grant = { id: p.id ?? '', level, who, role, revocable: true };
  if (role === 'owner') {
    g.revocable = false;
    g.note = `${who} owns this OneDrive and always has access; it is not a sharing grant (to take it away, move the file out of this user's OneDrive)`;
    spec = undefined;
  } else if (p.inheritedFrom) {
    g.revocable = false;
    const from = folderOf(p.inheritedFrom.path) ?? p.inheritedFrom.id ?? 'a parent folder';
    g.note = `inherited from folder ${from || '(the drive root)'}: Graph removes it only there (which unshares everything in that folder), or quarantine the file to move it out of that folder`;
    spec = undefined;
  }
  if (spec) g.spec = spec;
  return g;
}

const BAD_NAME = /["*:<>?\\|]/;

// ---------------------------------------------------------------- the capabilities

export class OnedriveRemediation {
  /** `<driveId>/<folder path>` → the quarantine folder's id (found or created once). */
  private readonly quarantineFolders = new Map<string, Promise<string>>();

  constructor(private readonly g: GraphAccess) {}

  private static ids(ref: ObjectRef): { drive: string; item: string } {
    let drive = typeof ref.extra?.driveId === 'string' ? ref.extra.driveId : undefined;
    let item = typeof ref.extra?.itemId === 'string' ? ref.extra.itemId : undefined;
    if (!drive || !item) {
      // Drive ids (b!…) hold a '!', item ids of OneDrive for Business do not.
      const i = ref.externalId.lastIndexOf('!');
      if (i <= 0) throw new ItemError('bad_request', `${ref.path} is not a OneDrive item (${ref.externalId})`);
      drive = ref.externalId.slice(0, i);
      item = ref.externalId.slice(i + 1);
    }
    return { drive, item };
  }

  /** The display prefix of paths (the user, as the listing wrote it). */
  private static owner(ref: ObjectRef, drive: string): string {
    const first = ref.path.split('/')[0] ?? '';
    return first.includes('@') ? first : drive;
  }

  private static pathOf(ref: ObjectRef, drive: string, it: DriveItem): string {
    const folder = folderOf(it.parentReference?.path) ?? '';
    return [OnedriveRemediation.owner(ref, drive), folder, it.name ?? it.id].filter(Boolean).join('/');
  }

  private static isNotFound(err: unknown): boolean {
    return graphErrorReason(err) === 'not_found';
  }

  private static isConflict(err: unknown): boolean {
    const f = graphErrorFacts(err);
    return f.status === 409 || f.code === 'nameAlreadyExists';
  }

  /** One line for people: what failed, on which item, what to do. No secrets. */
  private fail(err: unknown, what: string): ItemError {
    if (err instanceof ItemError || err instanceof UserError) return err as ItemError;
    const reason = graphErrorReason(err);
    const detail = describeGraphError(err);
    let hint: string;
    if (err instanceof TokenError) hint = 'OneDrive sign-in failed: check the credentials file';
    else if (reason === 'access_denied') hint = 'the app needs Files.ReadWrite.All (application, with admin consent) to change sharing or move files; the scan alone needs only Files.Read.All';
    else if (reason === 'not_found') hint = 'it was moved or deleted since it was read: inspect or scan it again';
    else if (reason === 'throttled' || reason === 'server_error') hint = `Microsoft Graph kept failing after ${this.g.maxAttempts} attempts: try again later`;
    else if (reason === 'network') hint = 'check the network and --api-url';
    else hint = '';
    return new ItemError(reason, `${what}: ${detail}${hint ? `; ${hint}` : ''}.`.replace(/\s*[\r\n]+\s*/g, ' '), { cause: err });
  }

  private itemPath(drive: string, item: string): string {
    return `/drives/${encodeURIComponent(drive)}/items/${encodeURIComponent(item)}`;
  }

  /** The item, or undefined when Graph says 404. */
  private async getItem(drive: string, item: string): Promise<DriveItem | undefined> {
    try {
      return await this.g.request<DriveItem>(drive, 'GET', `${this.itemPath(drive, item)}?$select=${ITEM_SELECT}`);
    } catch (err) {
      if (OnedriveRemediation.isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async permissions(drive: string, item: string): Promise<Permission[]> {
    const out: Permission[] = [];
    let link: string | undefined = `${this.itemPath(drive, item)}/permissions`;
    while (link) {
      const page: { value?: Permission[]; '@odata.nextLink'?: string } = await this.g.request(drive, 'GET', link);
      out.push(...(page.value ?? []));
      link = page['@odata.nextLink'] ? this.g.relative(page['@odata.nextLink']) : undefined;
    }
    return out;
  }

  private static refAt(ref: ObjectRef, drive: string, it: DriveItem): ObjectRef {
    const out: ObjectRef = { ...ref, path: OnedriveRemediation.pathOf(ref, drive, it), etag: it.cTag ?? it.eTag ?? ref.etag, extra: { ...ref.extra, driveId: drive, itemId: it.id } };
    delete out.exposure;
    return out;
  }

  // ---------------------------------------------------------------- inspect

  async inspect(ref: ObjectRef): Promise<LiveState> {
    const { drive, item } = OnedriveRemediation.ids(ref);
    const gone: LiveState = { exists: false, location: '', grants: [] };
    try {
      const it = await this.getItem(drive, item);
      if (!it) return gone;
      let perms: Permission[];
      try {
        perms = await this.permissions(drive, item);
      } catch (err) {
        if (OnedriveRemediation.isNotFound(err)) return gone;
        throw err;
      }
      const domains = await this.g.domains();
      const state: LiveState = {
        exists: true,
        location: OnedriveRemediation.pathOf(ref, drive, it),
        place: { driveId: drive, parentId: it.parentReference?.id ?? null, name: it.name ?? '', parentPath: folderOf(it.parentReference?.path) ?? null },
        grants: perms.map((p) => grantOf(p, domains)),
        tags: parseDescriptionTags(it.description),
      };
      const etag = it.cTag ?? it.eTag;
      if (etag) state.etag = etag;
      return state;
    } catch (err) {
      throw this.fail(err, `Cannot read the sharing of ${ref.path}`);
    }
  }

  // ---------------------------------------------------------------- grants

  private async deletePermission(drive: string, item: string, id: string): Promise<void> {
    try {
      await this.g.request(drive, 'DELETE', `${this.itemPath(drive, item)}/permissions/${encodeURIComponent(id)}`);
    } catch (err) {
      if (OnedriveRemediation.isNotFound(err)) return; // already gone: done
      throw err;
    }
  }

  async removeGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    const { drive, item } = OnedriveRemediation.ids(ref);
    for (const g of grants) {
      if (!g.revocable) throw new ItemError('not_revocable', `Cannot remove ${g.who} (${g.role}) from ${ref.path}: ${g.note ?? 'Graph cannot remove it from this item'}.`);
      if (!g.id) throw new ItemError('bad_request', `Cannot remove ${g.who} from ${ref.path}: the grant has no permission id; inspect the item again.`);
      try {
        await this.deletePermission(drive, item, g.id);
      } catch (err) {
        throw this.fail(err, `Cannot remove ${g.who} (${g.role}) from ${ref.path}`);
      }
    }
  }

  async addGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    const { drive, item } = OnedriveRemediation.ids(ref);
    let live: Permission[];
    try {
      live = await this.permissions(drive, item);
    } catch (err) {
      throw this.fail(err, `Cannot restore the sharing of ${ref.path}`);
    }
    for (const g of grants) {
      const spec = g.spec;
      if (!spec) {
        // The owner's access and inherited grants are not set on the item: nothing to re-create.
        this.g.debug(`onedrive: ${g.who} on ${ref.path} has nothing to re-create (${g.revocable ? 'no spec' : 'not an item grant'}); skipped`);
        continue;
      }
      try {
        if (spec.kind === 'link') await this.restoreLink(drive, item, spec, live);
        else if (spec.kind === 'invite') await this.restoreInvite(drive, item, spec, live);
        else throw new ItemError('bad_request', `Cannot restore ${g.who} on ${ref.path}: unknown grant spec kind ${String(spec.kind)}.`);
      } catch (err) {
        throw this.fail(err, `Cannot restore ${g.who} (${g.role}) on ${ref.path}`);
      }
    }
  }

  private async restoreLink(drive: string, item: string, spec: Record<string, unknown>, live: Permission[]): Promise<void> {
    const type = String(spec.type ?? 'view');
    const scope = String(spec.scope ?? 'users');
    // createLink itself hands back an existing link of this type and scope (200); asking first
    // keeps a restore that already happened from touching anything.
    let link = live.find((p) => !p.inheritedFrom && p.link?.type === type && (p.link.scope ?? 'users') === scope);
    if (!link) {
      const body: Record<string, unknown> = { type, scope };
      if (typeof spec.expirationDateTime === 'string' && Date.parse(spec.expirationDateTime) > Date.now()) body.expirationDateTime = spec.expirationDateTime;
      link = await this.g.request<Permission>(drive, 'POST', `${this.itemPath(drive, item)}/createLink`, body);
      live.push(link);
    }
    const recipients = Array.isArray(spec.recipients) ? (spec.recipients as Record<string, string>[]) : [];
    if (scope !== 'users' || !recipients.length) return;
    const have = new Set(identitySets(link).map((s) => emailOf(s) ?? (s.user ?? s.group)?.id));
    const missing = recipients.filter((r) => !have.has(r.email?.toLowerCase() ?? r.objectId));
    if (!missing.length) return;
    const url = link.link?.webUrl;
    if (!url) throw new ItemError('bad_request', 'Graph returned the specific-people link without its URL, so its people cannot be added');
    // The URL is used here, in memory, and nowhere else (never stored, logged or returned).
    const encoded = `u!${Buffer.from(url, 'utf8').toString('base64url')}`;
    const res = await this.g.request<{ value?: Permission[] }>(drive, 'POST', `/shares/${encoded}/permission/grant`, { recipients: missing, roles: [type === 'edit' ? 'write' : 'read'] });
    const updated = res.value?.find((p) => p.id === link!.id);
    if (updated) Object.assign(link, updated);
  }

  private async restoreInvite(drive: string, item: string, spec: Record<string, unknown>, live: Permission[]): Promise<void> {
    const recipients = Array.isArray(spec.recipients) ? (spec.recipients as Record<string, string>[]) : [];
    const roles = Array.isArray(spec.roles) ? (spec.roles as string[]) : ['read'];
    if (!recipients.length) throw new ItemError('bad_request', 'the grant names no recipient');
    const role = roles[0] ?? 'read';
    const direct = live.filter((p) => !p.link && !p.inheritedFrom && roleOf(p) === role);
    const has = (r: Record<string, string>) =>
      direct.some((p) => identitySets(p).some((s) => (r.email ? emailOf(s) === r.email.toLowerCase() : (s.user ?? s.group)?.id === r.objectId)) || (!!r.email && p.invitation?.email?.toLowerCase() === r.email.toLowerCase()));
    const missing = recipients.filter((r) => !has(r));
    if (!missing.length) return;
    const res = await this.g.request<{ value?: Permission[] }>(drive, 'POST', `${this.itemPath(drive, item)}/invite`, { recipients: missing, roles: [role], requireSignIn: true, sendInvitation: false });
    live.push(...(res.value ?? []));
  }

  // ---------------------------------------------------------------- quarantine / release

  /** The quarantine folder's id in `drive`: found by path, or created; refuses a shared one. */
  private quarantineFolder(ref: ObjectRef, drive: string, to: string): Promise<string> {
    const segs = to.split('/').map((s) => s.trim()).filter(Boolean);
    if (!segs.length || segs.some((s) => BAD_NAME.test(s) || s === '.' || s === '..')) {
      return Promise.reject(new UserError(`Quarantine folder "${to}" is not a OneDrive folder path (names below the drive root, separated by /, without " * : < > ? \\ |): choose another one.`));
    }
    const key = `${drive}/${segs.join('/').toLowerCase()}`;
    let p = this.quarantineFolders.get(key);
    if (!p) {
      p = this.findOrCreateFolder(ref, drive, segs);
      this.quarantineFolders.set(key, p);
      p.catch(() => this.quarantineFolders.delete(key));
    }
    return p;
  }

  private async findOrCreateFolder(ref: ObjectRef, drive: string, segs: string[]): Promise<string> {
    const where = `${segs.join('/')} in the OneDrive of ${OnedriveRemediation.owner(ref, drive)}`;
    const byPath = (n: number) => `/drives/${encodeURIComponent(drive)}/root:/${segs.slice(0, n).map(encodeURIComponent).join('/')}?$select=id,name,folder,file`;
    const find = async (n: number): Promise<DriveItem | undefined> => {
      try {
        return await this.g.request<DriveItem>(drive, 'GET', byPath(n));
      } catch (err) {
        if (OnedriveRemediation.isNotFound(err)) return undefined;
        throw err;
      }
    };
    let folder = await find(segs.length);
    if (!folder) {
      let parentId = (await this.g.request<DriveItem>(drive, 'GET', `/drives/${encodeURIComponent(drive)}/root?$select=id`)).id;
      for (let n = 1; n <= segs.length; n++) {
        let f = await find(n);
        if (!f) {
          try {
            f = await this.g.request<DriveItem>(drive, 'POST', `${this.itemPath(drive, parentId)}/children`, { name: segs[n - 1], folder: {}, '@microsoft.graph.conflictBehavior': 'fail' });
          } catch (err) {
            if (!OnedriveRemediation.isConflict(err)) throw err;
            f = await find(n); // made meanwhile (another run): use it
            if (!f) throw err;
          }
        }
        if (f.folder === undefined) throw new ItemError('bad_request', `Cannot quarantine into ${where}: ${segs.slice(0, n).join('/')} is a file, not a folder; choose another quarantine folder.`);
        parentId = f.id;
        folder = f;
      }
    }
    if (!folder || folder.folder === undefined) throw new ItemError('bad_request', `Cannot quarantine into ${where}: it is a file, not a folder; choose another quarantine folder.`);
    // What is in a folder inherits its sharing: a shared quarantine folder would keep the files reachable.
    const shared = (await this.permissions(drive, folder.id)).filter((p) => roleOf(p) !== 'owner');
    if (shared.length) {
      const domains = await this.g.domains();
      const who = [...new Set(shared.map((p) => grantOf(p, domains).who))].join(', ');
      throw new ItemError('quarantine_shared', `Cannot quarantine into ${where}: that folder is shared (${who}), so what is moved there stays reachable; unshare the folder or choose another quarantine folder.`);
    }
    return folder.id;
  }

  private async patch(drive: string, item: string, body: Record<string, unknown>): Promise<DriveItem> {
    return this.g.request<DriveItem>(drive, 'PATCH', this.itemPath(drive, item), body);
  }

  /** The name a file gets in quarantine when its own is taken there: `photo (…itemid).jpg`. */
  private static quarantineName(name: string, item: string): string {
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : '';
    return `${stem} (${item.slice(-8)})${ext}`;
  }

  async quarantine(ref: ObjectRef, target: QuarantineTarget): Promise<ObjectRef> {
    const { drive, item } = OnedriveRemediation.ids(ref);
    const to = target.to?.trim() || DEFAULT_QUARANTINE_FOLDER;
    try {
      let it = await this.getItem(drive, item);
      if (!it) throw new ItemError('not_found', `Cannot quarantine ${ref.path}: it is no longer in that OneDrive (deleted, or moved to another drive); scan again.`);
      let folderId = await this.quarantineFolder(ref, drive, to);
      if (it.parentReference?.id !== folderId) {
        for (let pass = 0; ; pass++) {
          try {
            try {
              it = await this.patch(drive, item, { parentReference: { id: folderId }, '@microsoft.graph.conflictBehavior': 'fail' });
            } catch (err) {
              if (!OnedriveRemediation.isConflict(err)) throw err;
              // A file of that name is already in quarantine: this one gets its id in its name.
              it = await this.patch(drive, item, { parentReference: { id: folderId }, name: OnedriveRemediation.quarantineName(it.name ?? item, item), '@microsoft.graph.conflictBehavior': 'rename' });
            }
            break;
          } catch (err) {
            if (pass > 0 || !OnedriveRemediation.isNotFound(err)) throw err;
            if (!(await this.getItem(drive, item))) throw new ItemError('not_found', `Cannot quarantine ${ref.path}: it was deleted meanwhile; nothing to do.`);
            // The quarantine folder went away (deleted since it was found): find or make it again.
            this.quarantineFolders.delete(`${drive}/${to.split('/').map((s) => s.trim()).filter(Boolean).join('/').toLowerCase()}`);
            folderId = await this.quarantineFolder(ref, drive, to);
          }
        }
      }
      // Its own links and grants go; the owner's stays; nothing is inherited from the (unshared) folder.
      const perms = await this.permissions(drive, item);
      for (const p of perms) if (p.id && roleOf(p) !== 'owner' && !p.inheritedFrom) await this.deletePermission(drive, item, p.id);
      const left = perms.filter((p) => roleOf(p) !== 'owner' && p.inheritedFrom);
      if (left.length) {
        const domains = await this.g.domains();
        throw new ItemError('still_shared', `Quarantined ${ref.path} is still reachable through ${left.map((p) => grantOf(p, domains).who).join(', ')} inherited from its new folder; unshare the quarantine folder ${to}.`);
      }
      if (it.parentReference?.path === undefined) it = (await this.getItem(drive, item)) ?? it;
      const out = OnedriveRemediation.refAt(ref, drive, it);
      out.exposure = { level: 'private' };
      return out;
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw this.fail(err, `Cannot quarantine ${ref.path} into ${to}`);
    }
  }

  async release(quarantined: ObjectRef, before: LiveState): Promise<ObjectRef> {
    const { drive, item } = OnedriveRemediation.ids(quarantined);
    const place = before.place as { driveId?: unknown; parentId?: unknown; name?: unknown; parentPath?: unknown } | undefined;
    if (!before.exists || !place || typeof place.parentId !== 'string' || typeof place.name !== 'string' || !place.name) {
      throw new ItemError('bad_request', `Cannot release ${quarantined.path}: the state recorded before quarantine has no folder to return it to; move it back by hand.`);
    }
    if (typeof place.driveId === 'string' && place.driveId !== drive) {
      throw new ItemError('bad_request', `Cannot release ${quarantined.path}: it was in another drive before quarantine (Graph does not move items between drives); move it back by hand.`);
    }
    const back = before.location || [typeof place.parentPath === 'string' ? place.parentPath : '', place.name].filter(Boolean).join('/');
    try {
      let it = await this.getItem(drive, item);
      if (!it) throw new ItemError('not_found', `Cannot release ${quarantined.path}: it is no longer in quarantine (deleted, or moved by someone); nothing to move back.`);
      if (it.parentReference?.id !== place.parentId || it.name !== place.name) {
        const body: Record<string, unknown> = { parentReference: { id: place.parentId }, '@microsoft.graph.conflictBehavior': 'fail' };
        if (it.name !== place.name) body.name = place.name;
        try {
          it = await this.patch(drive, item, body);
        } catch (err) {
          if (OnedriveRemediation.isConflict(err)) {
            throw new ItemError('conflict', `Cannot release ${quarantined.path} to ${back}: an item of that name is there now; rename or move that one away and release again.`, { cause: err });
          }
          if (OnedriveRemediation.isNotFound(err) && (await this.getItem(drive, item))) {
            throw new ItemError('not_found', `Cannot release ${quarantined.path} to ${back}: its folder no longer exists; recreate the folder or move the file by hand.`, { cause: err });
          }
          throw err;
        }
        if (it.parentReference?.path === undefined) it = (await this.getItem(drive, item)) ?? it;
      }
      return OnedriveRemediation.refAt(quarantined, drive, it);
    } catch (err) {
      throw this.fail(err, `Cannot release ${quarantined.path} to ${back}`);
    }
  }

  // ---------------------------------------------------------------- tags

  async tag(ref: ObjectRef, tags: Record<string, string>): Promise<void> {
    const { drive, item } = OnedriveRemediation.ids(ref);
    for (const k of Object.keys(tags)) if (!k.trim()) throw new ItemError('bad_request', `Cannot tag ${ref.path}: empty tag key.`);
    try {
      const it = await this.getItem(drive, item);
      if (!it) throw new ItemError('not_found', `Cannot tag ${ref.path}: it is no longer in that OneDrive; scan again.`);
      const next = mergeDescriptionTags(it.description, tags);
      if (next === (it.description ?? '')) return;
      let after = await this.patch(drive, item, { description: next });
      if ((after.description ?? '') !== next) after = (await this.getItem(drive, item)) ?? after;
      if ((after.description ?? '') !== next) {
        throw new ItemError(
          'unsupported',
          `Cannot tag ${ref.path}: this OneDrive did not keep the item description, where casb writes its tags (Graph documents driveItem.description as read-write on OneDrive Personal only); tags are not available on this drive.`,
        );
      }
    } catch (err) {
      throw this.fail(err, `Cannot tag ${ref.path}`);
    }
  }
}
