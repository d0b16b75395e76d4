/**
 * Google Drive remediation capabilities (connectors/contract.ts): inspect, removeGrants,
 * addGrants, quarantine, release, tag. The runner (src/remediation/) decides what to do; this
 * file only carries out Drive operations, through the official client, each call through the
 * connector's retry helper and error classifier.
 *
 * Who acts. A ref carries the user who listed it (`extra.user`). Reads go as that user (with the
 * scan's drive.readonly scope; when that user no longer sees the file — it was quarantined — as
 * the quarantine admin). Writes need the full `drive` scope in the domain-wide delegation and go
 * as the file's owner for My Drive files (impersonated: the owner may change any sharing, a
 * collaborator may not), as the listing member for shared-drive files, and as the admin for
 * quarantined files (the admin owns them). One user's OAuth grant acts as that user throughout.
 *
 * Quarantine on Drive. "Move the file to an admin-owned folder that is shared with nobody and
 * drop its sharing." Drive's single-parent rules decide how (Drive API "Single-parenting behavior
 * changes"; the 2020 Workspace developers post "Simplifying Google Drive's folder structure and
 * sharing models"; "Transfer file ownership"; "Shared drives vs My Drive"; files.update /
 * permissions.create reference):
 *  - moving an item needs share access to it *and* write access to the folder it leaves — only
 *    the owner may take an item out of folders it cannot see (e.g. another user's My Drive root),
 *    and only into a folder it can write to. So neither "the admin moves it as a writer" (it
 *    cannot remove the owner's root) nor "the owner moves it into the admin folder" (the folder
 *    would have to be shared with the owner, and the owner could move it straight back) works.
 *  - what works: the owner (impersonated) transfers ownership to the admin (permissions.create
 *    role=owner, transferOwnership=true, moveToNewOwnersRoot=false — allowed between users of
 *    one Workspace organisation, with no acceptance step; Drive does not allow the notification
 *    e-mail to be turned off for transfers, so the admin gets one mail per file; the previous
 *    owner is downgraded to writer), then the admin, now the owner, moves it into its folder
 *    (files.update addParents/removeParents: an owner may leave parents it cannot see), and
 *    deletes every permission but its own — including the previous owner's writer grant, so
 *    the user who leaked it cannot reshare it. The folder (`casb-quarantine`, or target.to)
 *    lives in the admin's My Drive root, is found by files.list or created once, and is
 *    refused if it is shared with anyone.
 *  - shared-drive files are owned by the organisation and cannot change owner; a Manager
 *    (organizer) of the shared drive can move a file out to a My Drive folder, which makes the
 *    mover its owner. So the admin must be a Manager of that shared drive (and the Admin
 *    console must not forbid moving content out); otherwise quarantine is blocked with that
 *    instruction. Moving out keeps the file's direct grants (deleted next) and drops the
 *    members' inherited access.
 *  - limits: the owner must be a user of the organisation (a file owned outside it cannot be
 *    transferred: remove its sharing instead); service-account credentials with domain-wide
 *    delegation are needed (one user's OAuth grant cannot act as the admin); two processes
 *    quarantining at once into a folder that does not exist yet may create two folders.
 *  - a second call finds the file owned by the admin in the folder and only drops what sharing
 *    is left; a call that failed part-way resumes (ownership already moved → move; moved →
 *    drop sharing).
 *
 * Release puts it back: for a My Drive file the admin transfers ownership back to the original
 * owner, who moves it back to its parents (an owner may), then the admin's leftover writer grant
 * is deleted; for a shared-drive file the admin (owner, and a member of the drive) moves it back
 * into the drive, which becomes the owner again. Other grants are restored by the runner
 * through addGrants.
 *
 * Trashed files: inspect reports them as existing (location ends in "(in trash)"): Drive keeps a
 * trashed file's sharing (collaborators can still copy it until it is deleted forever, and
 * untrashing restores it), so removing its grants still matters.
 */
import type { drive_v3 } from '@googleapis/drive';
import type { Grant, LiveState, ObjectRef, QuarantineTarget } from '../contract.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { classifyDriveError, describeDriveError, driveErrorFacts, driveErrorReason, isCredentialError } from './errors.js';
import { permissionLevel, whoOf } from './exposure.js';
import type { DrivePermission } from './exposure.js';

/** Writes need the full Drive scope in the delegation (scanning needs only drive.readonly). */
export const SCOPE_DRIVE = 'https://www.googleapis.com/auth/drive';
export const FOLDER_MIME = 'application/vnd.google-apps.folder';
export const DEFAULT_QUARANTINE_FOLDER = 'casb-quarantine';
/** appProperties keys casb sets and reads back. */
export const TAG_PREFIX = 'casb-';
/** Drive's documented property limits: 30 private properties per app, 124 bytes per key + value (UTF-8). */
export const APP_PROPERTIES_LIMIT = 30;
export const PROPERTY_BYTES_LIMIT = 124;

const FILE_FIELDS = 'id,name,mimeType,parents,driveId,trashed,md5Checksum,version,modifiedTime,size,owners(emailAddress),appProperties';
const PERMISSION_FIELDS = 'id,type,role,emailAddress,domain,allowFileDiscovery,deleted,permissionDetails(permissionType,role,inherited,inheritedFrom)';
/** How many folders up inspect names for people (each is one files.get). */
const PATH_DEPTH = 4;

type DriveFile = drive_v3.Schema$File;
type DrivePerm = drive_v3.Schema$Permission;

/** What the connector lends the remediation code: its clients, its retrying call, its settings. */
export interface RemediationHost {
  readonly uri: string;
  /** The organisation's domains (who counts as internal). */
  readonly tenantDomains: readonly string[];
  /** A Drive client acting as `user`; `write`: with the full drive scope. */
  api(user: string, write: boolean): Promise<drive_v3.Drive>;
  /** One API call through the connector's retry helper and classifier (and its request counters). */
  call<T>(fn: () => Promise<T>): Promise<T>;
  /** The quarantine admin (the connector's adminUser / GDRIVE_ADMIN_USER), lower-case. */
  adminUser(): string | undefined;
  /** Whether other users can be impersonated (service account with domain-wide delegation). */
  canImpersonate(): Promise<boolean>;
  /** Who reads a ref that carries no user. */
  defaultUser(): Promise<string | undefined>;
}

/** What release() needs, kept in LiveState.place. */
export interface DrivePlace {
  parents: string[];
  driveId?: string;
  /** My Drive owner. */
  owner?: string;
  /** The user it was read as. */
  user?: string;
}

interface Located {
  file: DriveFile;
  /** The user that could read it. */
  reader: string;
}

function lc(s: string): string {
  return s.trim().toLowerCase();
}

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

function isNotFound(err: unknown): boolean {
  return classifyDriveError(err).kind === 'notFound';
}


/** The listing's etag: md5 for binary files, else the version. */
export function etagOf(f: DriveFile): string {
  return f.md5Checksum ?? (f.version ? `v${f.version}` : (f.modifiedTime ?? ''));
}

function ownerOf(f: DriveFile): string | undefined {
  const e = f.owners?.[0]?.emailAddress;
  return e ? lc(e) : undefined;
}

/** Query-string literal for Drive's `q` (backslash and quote escaped). */
function qString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The fields permissions.create needs to make this permission again. */
function specOf(p: DrivePerm): Record<string, unknown> {
  const spec: Record<string, unknown> = { type: p.type, role: p.role };
  if (p.emailAddress) spec.emailAddress = p.emailAddress;
  if (p.domain) spec.domain = p.domain;
  if (p.type === 'anyone' || p.type === 'domain') spec.allowFileDiscovery = p.allowFileDiscovery === true;
  return spec;
}

function samePermission(p: DrivePerm, spec: Record<string, unknown>): boolean {
  if (p.type !== spec.type || p.role !== spec.role) return false;
  if (p.type === 'anyone' || p.type === 'domain') {
    if ((p.allowFileDiscovery === true) !== (spec.allowFileDiscovery === true)) return false;
    return p.type === 'anyone' || lc(p.domain ?? '') === lc(String(spec.domain ?? ''));
  }
  return lc(p.emailAddress ?? '') === lc(String(spec.emailAddress ?? ''));
}

export class GdriveRemediation {
  /** Quarantine folder id per admin and name, found or created once per connector. */
  private readonly folders = new Map<string, Promise<string>>();

  constructor(private readonly host: RemediationHost) {}

  // --- reading ---------------------------------------------------------------------

  async inspect(ref: ObjectRef): Promise<LiveState> {
    const loc = await this.locate(ref);
    if (!loc) return { exists: false, location: ref.path, grants: [] };
    const f = loc.file;
    const actor = await this.actorFor(loc);
    const perms = await this.permissions(actor, f, ref);
    const place: DrivePlace = { parents: f.parents ?? [], user: loc.reader };
    if (f.driveId) place.driveId = f.driveId;
    const owner = ownerOf(f);
    if (owner && !f.driveId) place.owner = owner;
    const tags = Object.fromEntries(Object.entries(f.appProperties ?? {}).filter(([k]) => k.startsWith(TAG_PREFIX)));
    return {
      exists: true,
      location: await this.location(f, actor),
      place: place as unknown as Record<string, unknown>,
      etag: etagOf(f),
      grants: perms.map((p) => this.grantOf(p, f)),
      tags,
    };
  }

  private grantOf(p: DrivePerm, f: DriveFile): Grant {
    const role = p.role ?? '?';
    const details = p.permissionDetails ?? [];
    const inherited = details.length > 0 && details.every((d) => d.inherited);
    const owner = role === 'owner';
    const g: Grant = {
      id: p.id ?? '',
      level: owner ? 'private' : permissionLevel(p as DrivePermission, this.host.tenantDomains),
      who: whoOf(p as DrivePermission),
      role,
      revocable: !owner && !inherited,
    };
    if (owner) {
      g.note = 'the owner of a Drive file cannot be removed: quarantine it (ownership moves to the quarantine admin) or transfer its ownership in Drive';
    } else if (inherited) {
      const from = details.find((d) => d.inheritedFrom)?.inheritedFrom ?? undefined;
      g.note =
        from && from === f.driveId
          ? `inherited from shared drive ${from}: change the shared drive's members instead`
          : `inherited from folder ${from ?? '(unknown)'}: change the sharing of that folder instead`;
    } else {
      g.spec = specOf(p);
    }
    return g;
  }

  /** The ref's reader, or (the file is no longer visible to it, e.g. quarantined) the admin. */
  private async locate(ref: ObjectRef): Promise<Located | undefined> {
    const lister = await this.listerOf(ref);
    try {
      return { file: await this.get(lister, ref.externalId), reader: lister };
    } catch (err) {
      if (!isNotFound(err)) throw this.fail(err, 'reading', this.label(ref), lister);
    }
    const admin = this.host.adminUser();
    if (admin && admin !== lister && (await this.host.canImpersonate())) {
      try {
        return { file: await this.get(admin, ref.externalId), reader: admin };
      } catch (err) {
        if (!isNotFound(err)) throw this.fail(err, 'reading', this.label(ref), admin);
      }
    }
    return undefined;
  }

  private async mustLocate(ref: ObjectRef, doing: string): Promise<Located> {
    const loc = await this.locate(ref);
    if (!loc) throw new ItemError('not_found', `cannot finish ${doing} ${this.label(ref)}: the file is gone from Drive (deleted, or no longer visible to ${ref.extra?.user ?? 'its user'}); scan the source again`);
    return loc;
  }

  private async listerOf(ref: ObjectRef): Promise<string> {
    const u = typeof ref.extra?.user === 'string' ? lc(ref.extra.user) : await this.host.defaultUser();
    if (!u) throw new ItemError('not_found', `${ref.path}: no user to read it as`);
    return u;
  }

  /**
   * Who changes the file: the owner of a My Drive file (impersonated, when it is a user of the
   * organisation and the credentials can impersonate), else the user that read it.
   */
  private async actorFor(loc: Located): Promise<string> {
    const f = loc.file;
    if (!f.driveId) {
      const owner = ownerOf(f);
      if (owner && owner !== loc.reader && this.internal(owner) && (await this.host.canImpersonate())) return owner;
    }
    return loc.reader;
  }

  private internal(email: string): boolean {
    const d = domainOf(email);
    return this.host.tenantDomains.some((t) => lc(t) === d);
  }

  private async get(user: string, fileId: string, fields = FILE_FIELDS): Promise<DriveFile> {
    const api = await this.host.api(user, false);
    const res = await this.host.call(() => api.files.get({ fileId, supportsAllDrives: true, fields }));
    return res.data;
  }

  private async permissions(user: string, f: DriveFile, ref: ObjectRef): Promise<DrivePerm[]> {
    const api = await this.host.api(user, false);
    const out: DrivePerm[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.host.call(() =>
          api.permissions.list({ fileId: f.id!, supportsAllDrives: true, pageSize: 100, pageToken, fields: `nextPageToken,permissions(${PERMISSION_FIELDS})` }),
        );
        out.push(...(res.data.permissions ?? []));
        const next = res.data.nextPageToken ?? undefined;
        if (next !== undefined && next === pageToken) throw new UserError(`Drive returned the same permissions page token twice for ${this.label(ref, f)}; stopping instead of looping.`);
        pageToken = next;
      } while (pageToken);
    } catch (err) {
      throw this.fail(err, 'reading the sharing of', this.label(ref, f), user);
    }
    return out;
  }

  /** For people: `bob@example.com/My Drive/Scans/passport.jpg`, `shared drive Finance/scan.png`. */
  private async location(f: DriveFile, user: string): Promise<string> {
    const names: string[] = [f.name ?? f.id ?? '?'];
    let parent = f.parents?.[0];
    let top = false;
    for (let depth = 0; parent && depth < PATH_DEPTH; depth++) {
      let p: DriveFile;
      try {
        p = await this.get(user, parent, 'id,name,parents');
      } catch {
        break; // a folder this user cannot see: the path starts below it
      }
      names.unshift(p.name ?? parent);
      parent = p.parents?.[0];
      if (!parent) top = true;
    }
    if (!top) names.unshift('…');
    const where = f.driveId ? 'shared drive' : (ownerOf(f) ?? user);
    const path = `${where}${f.driveId && top ? ' ' : '/'}${names.join('/')}`;
    return f.trashed ? `${path} (in trash)` : path;
  }

  // --- sharing ---------------------------------------------------------------------

  async removeGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    if (!grants.length) return;
    const loc = await this.mustLocate(ref, 'removing sharing from');
    const name = this.label(ref, loc.file);
    for (const g of grants) {
      if (!g.revocable) throw new ItemError('not_revocable', `cannot remove ${g.who} from ${name}: ${g.note ?? 'Drive does not let it be removed on the file'}`);
    }
    const actor = await this.actorFor(loc);
    const api = await this.host.api(actor, true);
    for (const g of grants) {
      try {
        await this.host.call(() => api.permissions.delete({ fileId: loc.file.id!, permissionId: g.id, supportsAllDrives: true }));
      } catch (err) {
        if (isNotFound(err)) continue; // already gone
        throw this.fail(err, `removing ${g.who} from`, name, actor);
      }
    }
  }

  async addGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    if (!grants.length) return;
    const loc = await this.mustLocate(ref, 'restoring sharing of');
    const name = this.label(ref, loc.file);
    const actor = await this.actorFor(loc);
    const existing = await this.permissions(actor, loc.file, ref);
    const api = await this.host.api(actor, true);
    for (const g of grants) {
      const spec = g.spec;
      if (!spec || typeof spec.type !== 'string' || typeof spec.role !== 'string') {
        throw new ItemError('bad_request', `cannot grant ${g.who} again on ${name}: the snapshot holds no Drive permission to re-create (type, role)`);
      }
      if (spec.role === 'owner') throw new ItemError('bad_request', `cannot grant ${g.who} again on ${name}: ownership is given back by release (restore of a quarantine), not as a grant`);
      if (existing.some((p) => samePermission(p, spec))) continue;
      const body: drive_v3.Schema$Permission = { type: spec.type, role: spec.role };
      if (typeof spec.emailAddress === 'string') body.emailAddress = spec.emailAddress;
      if (typeof spec.domain === 'string') body.domain = spec.domain;
      if (spec.type === 'anyone' || spec.type === 'domain') body.allowFileDiscovery = spec.allowFileDiscovery === true;
      const params: drive_v3.Params$Resource$Permissions$Create = { fileId: loc.file.id!, supportsAllDrives: true, requestBody: body, fields: 'id' };
      // No e-mail for a grant given back; Drive takes the flag for users and groups only.
      if (spec.type === 'user' || spec.type === 'group') params.sendNotificationEmail = false;
      try {
        await this.host.call(() => api.permissions.create(params));
      } catch (err) {
        throw this.fail(err, `granting ${g.who} again on`, name, actor);
      }
    }
  }

  // --- tags ------------------------------------------------------------------------

  async tag(ref: ObjectRef, tags: Record<string, string>): Promise<void> {
    const entries = Object.entries(tags);
    if (!entries.length) return;
    for (const [k, v] of entries) {
      const bytes = Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
      if (bytes > PROPERTY_BYTES_LIMIT) {
        throw new ItemError('bad_request', `cannot tag ${ref.path}: ${k}=${v.slice(0, 40)}${v.length > 40 ? '…' : ''} is ${bytes} bytes, and Drive allows ${PROPERTY_BYTES_LIMIT} bytes per appProperty (key and value together): shorten it`);
      }
    }
    const loc = await this.mustLocate(ref, 'tagging');
    const name = this.label(ref, loc.file);
    // an empty value removes the key (restore of a tag action); Drive clears a property set to null
    const merged: Record<string, string> = { ...(loc.file.appProperties ?? {}), ...tags };
    for (const [k, v] of entries) if (v === '') delete merged[k];
    const patch = Object.fromEntries(entries.map(([k, v]) => [k, v === '' ? null : v]));
    const count = Object.keys(merged).length;
    if (count > APP_PROPERTIES_LIMIT) {
      throw new ItemError('bad_request', `cannot tag ${name}: it would carry ${count} appProperties of this app, and Drive allows ${APP_PROPERTIES_LIMIT}: set fewer tags`);
    }
    const actor = await this.actorFor(loc);
    const api = await this.host.api(actor, true);
    try {
      await this.host.call(() => api.files.update({ fileId: loc.file.id!, supportsAllDrives: true, requestBody: { appProperties: patch as Record<string, string> }, fields: 'id' }));
    } catch (err) {
      throw this.fail(err, 'tagging', name, actor);
    }
  }

  // --- quarantine ------------------------------------------------------------------

  async quarantine(ref: ObjectRef, target: QuarantineTarget): Promise<ObjectRef> {
    const admin = await this.requireAdmin('quarantine', ref);
    const folderName = this.folderName(target.to);
    const loc = await this.mustLocate(ref, 'quarantining');
    let f = loc.file;
    const name = this.label(ref, f);
    const folder = await this.quarantineFolder(admin, folderName);
    const inPlace = (x: DriveFile) => !x.driveId && ownerOf(x) === admin && (x.parents ?? []).includes(folder);
    if (!inPlace(f)) {
      if (f.driveId) {
        await this.moveOutOfSharedDrive(f, admin, folder, name);
      } else {
        const owner = ownerOf(f);
        if (owner !== admin) await this.transferOwnership(f, owner, admin, name, 'quarantining');
        await this.move(admin, f, [folder], name, 'moving into the quarantine folder');
      }
      f = await this.get(admin, f.id!);
      if (!inPlace(f)) throw new ItemError('error', `quarantine of ${name} did not complete: Drive still shows it outside ${admin}'s folder "${folderName}"; run it again`);
    }
    // Every grant but the admin's ownership goes, the previous owner's writer grant included.
    const api = await this.host.api(admin, true);
    for (const p of await this.permissions(admin, f, ref)) {
      if (p.role === 'owner' || !p.id) continue;
      try {
        await this.host.call(() => api.permissions.delete({ fileId: f.id!, permissionId: p.id!, supportsAllDrives: true }));
      } catch (err) {
        if (isNotFound(err)) continue;
        throw this.fail(err, `removing ${whoOf(p as DrivePermission)} from quarantined`, name, admin);
      }
    }
    const out: ObjectRef = { ...ref, path: await this.location(f, admin), etag: etagOf(f), extra: { user: admin } };
    delete out.exposure;
    return out;
  }

  async release(quarantined: ObjectRef, before: LiveState): Promise<ObjectRef> {
    const place = before.place as Partial<DrivePlace> | undefined;
    if (!place || !Array.isArray(place.parents) || !place.parents.length) {
      throw new ItemError('bad_request', `cannot put ${quarantined.path} back: the before-snapshot holds no Drive folder to return it to`);
    }
    const parents = place.parents.map(String);
    const admin = await this.requireAdmin('release', quarantined);
    const loc = await this.mustLocate(quarantined, 'releasing');
    let f = loc.file;
    const name = this.label(quarantined, f);
    const atOrigin = (x: DriveFile) => {
      const now = x.parents ?? [];
      return (x.driveId ?? undefined) === (place.driveId ?? undefined) && now.length === parents.length && parents.every((p) => now.includes(p));
    };
    let reader = loc.reader;
    if (place.driveId) {
      // Back into the shared drive: the admin (owner, a member there) moves it; the drive owns it again.
      if (!atOrigin(f)) await this.move(ownerOf(f) ?? loc.reader, f, parents, name, `moving back into shared drive ${place.driveId}`);
      reader = place.user ?? admin;
    } else {
      const owner = place.owner ?? admin;
      const current = ownerOf(f) ?? loc.reader;
      if (current !== owner) await this.transferOwnership(f, current, owner, name, 'releasing');
      if (!atOrigin(f)) await this.move(owner, f, parents, name, 'moving back to its folder');
      if (owner !== admin) await this.dropUser(owner, f, admin, name);
      reader = place.user ?? owner;
    }
    f = await this.get(reader, f.id!);
    const extra: Record<string, unknown> = { user: reader };
    if (f.driveId) extra.driveId = f.driveId;
    const out: ObjectRef = { ...quarantined, path: await this.location(f, reader), etag: etagOf(f), extra };
    delete out.exposure;
    return out;
  }

  /** Deletes `who`'s non-owner permission (as `actor`), if any. */
  private async dropUser(actor: string, f: DriveFile, who: string, name: string): Promise<void> {
    const perms = await this.permissions(actor, f, { externalId: f.id!, path: name, size: 0, etag: '' });
    const api = await this.host.api(actor, true);
    for (const p of perms) {
      if (p.type !== 'user' || lc(p.emailAddress ?? '') !== who || p.role === 'owner' || !p.id) continue;
      try {
        await this.host.call(() => api.permissions.delete({ fileId: f.id!, permissionId: p.id!, supportsAllDrives: true }));
      } catch (err) {
        if (!isNotFound(err)) throw this.fail(err, `removing the quarantine admin ${who} from`, name, actor);
      }
    }
  }

  private async requireAdmin(doing: string, ref: ObjectRef): Promise<string> {
    const admin = this.host.adminUser();
    if (!admin) {
      throw new UserError(`cannot ${doing} ${ref.path}: Drive quarantine moves files to a Workspace admin's folder; name the admin with --admin <email> or GDRIVE_ADMIN_USER.`);
    }
    if (!(await this.host.canImpersonate())) {
      throw new UserError(`cannot ${doing} ${ref.path}: Drive quarantine acts as the file's owner and as ${admin}, which needs a service-account key with domain-wide delegation (scope ${SCOPE_DRIVE}), not one user's OAuth grant.`);
    }
    return admin;
  }

  private folderName(to: string | undefined): string {
    const name = (to ?? DEFAULT_QUARANTINE_FOLDER).trim();
    if (!name || name.includes('/') || name.length > 200) {
      throw new UserError(`"${(to ?? '').slice(0, 80)}" is not a Drive quarantine folder: give a folder name (no slashes) for the admin's My Drive, e.g. ${DEFAULT_QUARANTINE_FOLDER}.`);
    }
    return name;
  }

  /** The admin's quarantine folder in its My Drive root: found, else created; refused when shared. */
  private quarantineFolder(admin: string, name: string): Promise<string> {
    const key = `${admin}|${name}`;
    let p = this.folders.get(key);
    if (!p) {
      p = this.findOrCreateFolder(admin, name);
      this.folders.set(key, p);
      p.catch(() => this.folders.delete(key));
    }
    return p;
  }

  private async findOrCreateFolder(admin: string, name: string): Promise<string> {
    const api = await this.host.api(admin, true);
    const where = `folder "${name}" in ${admin}'s My Drive`;
    let id: string | undefined;
    try {
      const res = await this.host.call(() =>
        api.files.list({
          q: `name = ${qString(name)} and mimeType = '${FOLDER_MIME}' and 'me' in owners and 'root' in parents and trashed = false`,
          corpora: 'user',
          spaces: 'drive',
          orderBy: 'createdTime',
          pageSize: 10,
          fields: 'files(id,name)',
        }),
      );
      id = res.data.files?.[0]?.id ?? undefined;
    } catch (err) {
      throw this.fail(err, 'looking for the quarantine', where, admin);
    }
    if (id) {
      const shared = (await this.permissions(admin, { id }, { externalId: id, path: where, size: 0, etag: '' })).filter((p) => p.role !== 'owner');
      if (shared.length) {
        throw new UserError(
          `the quarantine ${where} is shared (${shared.map((p) => whoOf(p as DrivePermission)).join(', ')}): a quarantine folder must be shared with nobody; unshare it in Drive or choose another folder name (policy remediation.quarantine or --param to=<name>).`,
        );
      }
      return id;
    }
    try {
      const res = await this.host.call(() =>
        api.files.create({ requestBody: { name, mimeType: FOLDER_MIME, parents: ['root'], appProperties: { [`${TAG_PREFIX}quarantine`]: 'true' } }, fields: 'id' }),
      );
      if (!res.data.id) throw new Error('files.create returned no id');
      return res.data.id;
    } catch (err) {
      throw this.fail(err, 'creating the quarantine', where, admin);
    }
  }

  /** `from` (the owner, impersonated) makes `to` the owner; a retried success is recognised. */
  private async transferOwnership(f: DriveFile, from: string | undefined, to: string, name: string, doing: string): Promise<void> {
    if (!from) throw new ItemError('access_denied', `cannot finish ${doing} ${name}: Drive does not say who owns it, so its ownership cannot be moved`);
    if (!this.internal(from)) {
      throw new ItemError(
        'access_denied',
        `cannot finish ${doing} ${name}: it is owned by ${from}, outside ${this.host.tenantDomains.join(', ')}, and Drive moves ownership only within the organisation; remove its sharing instead (revoke-public / revoke-external) or ask the owner to remove it`,
      );
    }
    const api = await this.host.api(from, true);
    try {
      // The notification e-mail cannot be turned off for ownership transfers (Drive refuses).
      await this.host.call(() =>
        api.permissions.create({
          fileId: f.id!,
          supportsAllDrives: true,
          transferOwnership: true,
          moveToNewOwnersRoot: false,
          requestBody: { type: 'user', role: 'owner', emailAddress: to },
          fields: 'id',
        }),
      );
    } catch (err) {
      // An earlier attempt may have gone through (a timeout after Drive applied it).
      const now = await this.get(to, f.id!).catch(() => undefined);
      if (now && ownerOf(now) === to) return;
      throw this.fail(err, `moving the ownership to ${to} of`, name, from, 'both must be active users of the same Workspace organisation, and the delegation must include the drive scope');
    }
  }

  /** Moves `f` (as `user`) into `parents`, out of every folder it is in now. */
  private async move(user: string, f: DriveFile, parents: string[], name: string, doing: string): Promise<void> {
    const api = await this.host.api(user, true);
    const remove = (f.parents ?? []).filter((p) => !parents.includes(p));
    const add = parents.filter((p) => !(f.parents ?? []).includes(p));
    if (!add.length && !remove.length) return;
    try {
      await this.host.call(() =>
        api.files.update({
          fileId: f.id!,
          supportsAllDrives: true,
          ...(add.length ? { addParents: add.join(',') } : {}),
          ...(remove.length ? { removeParents: remove.join(',') } : {}),
          fields: 'id,parents',
        }),
      );
    } catch (err) {
      throw this.fail(err, doing, name, user);
    }
  }

  private async moveOutOfSharedDrive(f: DriveFile, admin: string, folder: string, name: string): Promise<void> {
    const hint = `only a Manager of the shared drive can move a file out of it: add ${admin} as a Manager of shared drive ${f.driveId} (and check that the Admin console lets content move out of shared drives), or remove the file's sharing instead`;
    const api = await this.host.api(admin, true);
    try {
      await this.host.call(() =>
        api.files.update({ fileId: f.id!, supportsAllDrives: true, addParents: folder, removeParents: (f.parents ?? []).join(',') || undefined, fields: 'id,parents' }),
      );
    } catch (err) {
      if (isNotFound(err)) throw new ItemError('access_denied', `cannot quarantine ${name} as ${admin}: ${admin} cannot see it in its shared drive (HTTP 404); ${hint}`, { cause: err });
      throw this.fail(err, 'moving out of its shared drive', name, admin, hint);
    }
  }

  // --- errors ----------------------------------------------------------------------

  private label(ref: ObjectRef, f?: DriveFile): string {
    const n = f?.name ?? ref.path.slice(ref.path.lastIndexOf('/') + 1);
    return `"${n}" (Drive file ${ref.externalId})`;
  }

  /** One line: what failed, on which file, as whom, and what to do. */
  private fail(err: unknown, doing: string, item: string, user: string, hint?: string): Error {
    if (err instanceof UserError || err instanceof ItemError) return err;
    const facts = driveErrorFacts(err);
    const detail = describeDriveError(err);
    const line = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ');
    const scopeHint = `the service account's domain-wide delegation must include ${SCOPE_DRIVE} (remediation changes files; scanning needs only drive.readonly)`;
    if (isCredentialError(err)) {
      return new UserError(line(`Google refused a token for ${user} while ${doing} ${item} (${detail}): ${scopeHint}, and ${user} must be an active user.`), 2, { cause: err });
    }
    if (facts.status === 403 && facts.reason === 'insufficientPermissions') {
      return new UserError(line(`Drive refused ${doing} ${item} as ${user} (${detail}): ${scopeHint}.`), 2, { cause: err });
    }
    const reason = driveErrorReason(err);
    if (facts.status === 404) return new ItemError('not_found', line(`${doing} ${item} as ${user} failed: not found (${detail}); scan the source again`), { cause: err });
    if (facts.status === 403 && reason === 'access_denied') {
      return new ItemError(
        'access_denied',
        line(`Drive refused ${doing} ${item} as ${user} (${detail}): ${hint ?? `${user} must be the owner or an editor allowed to share it`}`),
        { cause: err },
      );
    }
    const cls = classifyDriveError(err).kind;
    if (cls === 'throttled' || cls === 'retryable') {
      return new ItemError(reason, line(`Drive kept failing while ${doing} ${item} as ${user} (${detail}): try again later`), { cause: err });
    }
    return new ItemError(reason, line(`Drive request failed while ${doing} ${item} as ${user}: ${detail}${hint ? `; ${hint}` : ''}`), { cause: err });
  }
}
