/**
 * A small in-process Google Drive v3 + Admin SDK Directory + OAuth token server for tests
 * (node:http on 127.0.0.1, port 0). It implements the documented behaviour of the endpoints
 * the gdrive connector uses, closely enough that the real client library talks to it:
 *
 *  POST /token                                  refresh_token and JWT-bearer grants (the JWT's
 *                                               RS256 signature is checked against the
 *                                               registered service-account public key; `sub` =
 *                                               impersonated user; `scope` recorded)
 *  GET  /admin/directory/v1/users               users.list (domain|customer, maxResults, pageToken)
 *  GET  /drive/v3/about                         about.get (user)
 *  GET  /drive/v3/files                         files.list (q subset, corpora, driveId, pageSize,
 *                                               pageToken, fields, the all-drives flags)
 *  POST /drive/v3/files                         files.create (metadata only: folders)
 *  GET  /drive/v3/files/:id                     files.get (metadata, or alt=media bytes; a user's
 *                                               root and a shared drive's root folder too)
 *  PATCH /drive/v3/files/:id                    files.update (name, appProperties merge, addParents /
 *                                               removeParents moves)
 *  GET  /drive/v3/files/:id/permissions         permissions.list (paged; permissionDetails on
 *                                               shared-drive items)
 *  POST /drive/v3/files/:id/permissions         permissions.create (sendNotificationEmail,
 *                                               transferOwnership, moveToNewOwnersRoot)
 *  GET|DELETE /drive/v3/files/:id/permissions/:pid   permissions.get / permissions.delete
 *  GET  /drive/v3/drives                        drives.list (drives the caller is a member of)
 *  GET  /drive/v3/changes/startPageToken        changes.getStartPageToken (driveId)
 *  GET  /drive/v3/changes                       changes.list (a real change log; tokens are log
 *                                               positions; one change per file, the latest)
 *
 * Shared-drive items are invisible unless the request sets supportsAllDrives (files.get,
 * permissions, changes) and includeItemsFromAllDrives (files.list, changes.list), as Drive does.
 * `permissions` are embedded in file resources for My Drive items only (Drive does not
 * populate them for shared-drive items; use permissions.list). Error bodies have Drive's
 * documented shape: {"error":{"code","message","errors":[{"domain","reason","message",...}]}}.
 * Partial responses (`fields`) are honoured, so a connector that forgets a field sees it missing.
 *
 * Access rules enforced (Drive's, as documented; where Drive does not document the exact error, the
 * closest documented reason is used):
 *  - every write needs the full `drive` scope (403 insufficientPermissions with drive.readonly);
 *  - roles rank reader < commenter < writer < fileOrganizer < organizer < owner; a user's role on
 *    an item is the widest of its owner, its direct user/domain/anyone grants and (shared drives)
 *    its drive membership role (FakeDrive.roles, default organizer);
 *  - changing sharing (permissions.create/delete) and metadata (files.update) needs writer or
 *    more (403 insufficientFilePermissions); anyone may delete their own permission; the owner's
 *    permission cannot be deleted (403 cannotRemoveOwner) nor a shared drive's inherited member
 *    permission (403 cannotModifyInheritedTeamDrivePermission); unknown file or permission → 404;
 *  - role=owner needs transferOwnership=true, the current owner as caller, a My Drive item, a
 *    target user of this tenant, and the notification e-mail left on; the previous owner is
 *    downgraded to writer; moveToNewOwnersRoot moves it to the new owner's root;
 *  - sendNotificationEmail is refused for `domain` and `anyone` permissions (users/groups only);
 *  - moves (single-parent model): a request that would leave more than one parent fails (403
 *    cannotAddParent), except that the owner adding one parent moves the item out of all its
 *    folders; moving needs writer on the item (canShare), writer on the new parent, and (for
 *    anyone but the owner) writer on each removed parent; an owner may remove parents they cannot
 *    see. Out of a shared drive needs organizer there, and the mover becomes the My Drive owner
 *    (direct grants kept, member grants gone); into a shared drive needs the item's owner with
 *    writer (contributor) or more there, and the drive becomes the owner (an owner who is not a
 *    member keeps writer access); within a shared drive needs fileOrganizer;
 *  - appProperties: at most 30 per app, each key+value at most 124 bytes (UTF-8); null clears.
 * Every user's My Drive has a root folder with its own id (`rootId(user)`), which `'root'` aliases.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mulberry32 } from '../../src/util/prng.js';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
export const SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';
export const DOC_MIME = 'application/vnd.google-apps.document';

export interface FakePermission {
  id?: string;
  type: 'user' | 'group' | 'domain' | 'anyone';
  role: 'owner' | 'organizer' | 'fileOrganizer' | 'writer' | 'commenter' | 'reader';
  emailAddress?: string;
  domain?: string;
  allowFileDiscovery?: boolean;
}

export type FakeRole = FakePermission['role'];

export interface FakeFile {
  id: string;
  name: string;
  mimeType: string;
  /** Private to the (single) app every request comes from; `casb-*` keys are the connector's. */
  appProperties?: Record<string, string>;
  createdTime?: string;
  content?: Buffer;
  /** My Drive owner (absent for shared-drive items). */
  owner?: string;
  driveId?: string;
  parents: string[];
  trashed: boolean;
  version: number;
  modifiedTime: string;
  permissions: FakePermission[];
  shortcutTargetId?: string;
  shortcutTargetMimeType?: string;
}

export interface FakeDrive {
  id: string;
  name: string;
  members: string[];
  /** Membership role per member (default organizer = Manager; fileOrganizer = Content manager, writer = Contributor, commenter, reader). */
  roles: Record<string, FakeRole>;
}

export interface FakeUser {
  email: string;
  admin?: boolean;
  suspended?: boolean;
}

export interface AddFileInput {
  id?: string;
  name: string;
  mimeType?: string;
  content?: Buffer | string;
  owner?: string;
  driveId?: string;
  parents?: string[];
  trashed?: boolean;
  /** Extra grants besides the owner (My Drive) or the drive members (shared drive). */
  permissions?: FakePermission[];
  shortcutTo?: string;
}

export interface FaultRule {
  /** Fail the next `count` matching requests (default: unlimited while `probability` is set). */
  count?: number;
  /** Fail this share of matching requests, drawn from a seeded PRNG. */
  probability?: number;
  seed?: number;
  status: number;
  /** Drive error reason, e.g. userRateLimitExceeded. */
  reason?: string;
  domain?: string;
  message?: string;
  /** Retry-After header value (seconds) to send. */
  retryAfter?: string;
  /** Which requests (default: every Drive / Admin API request, not the token endpoint). */
  match?: (r: RequestRecord) => boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The authenticated user, when the bearer token was valid. */
  user?: string;
  status?: number;
  fault?: boolean;
}

interface TokenInfo {
  user: string;
  scopes: string[];
}

interface ChangeEntry {
  seq: number;
  fileId: string;
  time: string;
  /** Users who could see the file before or after the change. */
  audience: Set<string>;
  driveId?: string;
}

export const SCOPE_DRIVE_FULL = 'https://www.googleapis.com/auth/drive';
const SCOPE_DRIVE = [SCOPE_DRIVE_FULL, 'https://www.googleapis.com/auth/drive.readonly'];
const ROLE_RANK: Record<FakeRole, number> = { reader: 1, commenter: 2, writer: 3, fileOrganizer: 4, organizer: 5, owner: 6 };
const ROLES = new Set(Object.keys(ROLE_RANK));
/** Drive's documented limits on properties: 30 per app, 124 bytes per key+value. */
export const APP_PROPERTIES_PER_APP = 30;
export const PROPERTY_BYTES = 124;
const SCOPE_DIRECTORY = ['https://www.googleapis.com/auth/admin.directory.user.readonly', 'https://www.googleapis.com/auth/admin.directory.user'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** Drive's documented error body. */
export function driveError(status: number, reason: string, message: string, extra: { domain?: string; location?: string; locationType?: string } = {}): HttpError {
  const entry: Record<string, string> = { domain: extra.domain ?? 'global', reason, message };
  if (extra.location) {
    entry.location = extra.location;
    entry.locationType = extra.locationType ?? 'parameter';
  }
  return new HttpError(status, { error: { code: status, message, errors: [entry] } });
}

function insufficient(): HttpError {
  return driveError(403, 'insufficientFilePermissions', 'The user does not have sufficient permissions for this file.');
}

/** 204 No Content (permissions.delete). */
function rec204(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

function unauthenticated(): HttpError {
  return new HttpError(
    401,
    {
      error: {
        code: 401,
        message:
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
        status: 'UNAUTHENTICATED',
      },
    },
    { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
  );
}


function truthy(v: string | undefined): boolean {
  return v === 'true';
}

// ---------------------------------------------------------------------------------------
// `q` subset: ( ) and or not, `mimeType contains 'x'`, `mimeType = 'x'`, `mimeType != 'x'`,
// `name = 'x'`, `name contains 'x'`, `trashed = true|false`, `'x' in parents|owners|writers|readers`.

type Pred = (f: FakeFile, ctx: { user: string; root?: string }) => boolean;

function tokenizeQ(q: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push(c);
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      while (i < q.length && q[i] !== "'") {
        if (q[i] === '\\' && i + 1 < q.length) i++;
        s += q[i];
        i++;
      }
      if (q[i] !== "'") throw new Error('unterminated string');
      i++;
      out.push(`'${s}`);
    } else if (c === '!' && q[i + 1] === '=') {
      out.push('!=');
      i += 2;
    } else if (c === '=') {
      out.push('=');
      i++;
    } else {
      let s = '';
      while (i < q.length && /[A-Za-z0-9_.]/.test(q[i]!)) s += q[i++];
      if (!s) throw new Error(`unexpected '${c}'`);
      out.push(s);
    }
  }
  return out;
}

export function parseQ(q: string): Pred {
  const toks = tokenizeQ(q);
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => {
    const t = toks[pos++];
    if (t === undefined) throw new Error('unexpected end of query');
    return t;
  };
  const str = (t: string) => {
    if (!t.startsWith("'")) throw new Error(`expected a string, got ${t}`);
    return t.slice(1);
  };
  function term(): Pred {
    const t = next();
    if (t === '(') {
      const p = expr();
      if (next() !== ')') throw new Error('expected )');
      return p;
    }
    if (t === 'not') {
      const p = term();
      return (f, c) => !p(f, c);
    }
    if (t.startsWith("'")) {
      const value = t.slice(1);
      if (next() !== 'in') throw new Error("expected 'in'");
      const coll = next();
      return (f, c) => {
        const v = value === 'me' ? c.user : value === 'root' && c.root ? c.root : value;
        if (coll === 'parents') return f.parents.includes(v);
        if (coll === 'owners') return f.owner === v;
        if (coll === 'writers' || coll === 'readers') return f.owner === v || f.permissions.some((p) => p.emailAddress === v);
        throw new Error(`unsupported collection ${coll}`);
      };
    }
    const field = t;
    const op = next();
    const rawValue = next();
    if (field === 'trashed') {
      if (op !== '=' && op !== '!=') throw new Error('trashed supports = and !=');
      const b = rawValue === 'true';
      return (f) => (op === '=' ? f.trashed === b : f.trashed !== b);
    }
    if (field !== 'mimeType' && field !== 'name') throw new Error(`unsupported field ${field}`);
    const value = str(rawValue);
    const get = (f: FakeFile) => (field === 'mimeType' ? f.mimeType : f.name);
    if (op === 'contains') return (f) => get(f).includes(value);
    if (op === '=') return (f) => get(f) === value;
    if (op === '!=') return (f) => get(f) !== value;
    throw new Error(`unsupported operator ${op}`);
  }
  function conj(): Pred {
    let p = term();
    while (peek() === 'and') {
      next();
      const l = p;
      const r = term();
      p = (f, c) => l(f, c) && r(f, c);
    }
    return p;
  }
  function expr(): Pred {
    let p = conj();
    while (peek() === 'or') {
      next();
      const l = p;
      const r = conj();
      p = (f, c) => l(f, c) || r(f, c);
    }
    return p;
  }
  const p = expr();
  if (pos !== toks.length) throw new Error(`unexpected ${toks[pos]}`);
  return p;
}

// ---------------------------------------------------------------------------------------
// Partial responses: `fields=nextPageToken,files(id,name,permissions(id,type))`.

type FieldTree = Map<string, FieldTree | true>;

export function parseFields(s: string): FieldTree {
  let i = 0;
  function list(): FieldTree {
    const t: FieldTree = new Map();
    for (;;) {
      while (s[i] === ' ' || s[i] === ',') i++;
      if (i >= s.length || s[i] === ')') return t;
      let name = '';
      while (i < s.length && !',()'.includes(s[i]!)) name += s[i++];
      name = name.trim();
      // a/b paths: treat `file/id` like `file(id)`
      const parts = name.split('/');
      let sub: FieldTree | true = true;
      if (s[i] === '(') {
        i++;
        sub = list();
        i++; // ')'
      }
      for (let k = parts.length - 1; k > 0; k--) sub = new Map([[parts[k]!, sub]]);
      const head = parts[0]!;
      const prev = t.get(head);
      if (prev instanceof Map && sub instanceof Map) for (const [k, v] of sub) prev.set(k, v);
      else t.set(head, prev === true ? true : sub);
    }
  }
  return list();
}

function project(value: unknown, tree: FieldTree | true): unknown {
  if (tree === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => project(v, tree));
  if (tree.has('*')) return value;
  const out: Record<string, unknown> = {};
  for (const [k, sub] of tree) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = project(v, sub);
  }
  return out;
}

// ---------------------------------------------------------------------------------------

export interface DriveServerOptions {
  /** The tenant's domain (Directory users.list `domain`). */
  domain?: string;
}

export class FakeDriveServer {
  readonly domain: string;
  readonly users = new Map<string, FakeUser>();
  readonly files = new Map<string, FakeFile>();
  readonly drives = new Map<string, FakeDrive>();
  /** Every request seen, in order. */
  readonly requests: RequestRecord[] = [];
  /** Successful alt=media downloads, by file id, in order. */
  readonly downloads: string[] = [];
  /** Refresh-token grants: refresh_token → client + user. */
  private readonly oauthClients = new Map<string, { clientId: string; clientSecret: string; user: string }>();
  /** Service accounts: client_email → public key PEM + whether domain-wide delegation is on. */
  private readonly serviceAccounts = new Map<string, { publicKey: string; delegation: boolean; scopes?: string[] }>();
  private readonly tokens = new Map<string, TokenInfo>();
  private readonly faults: Array<FaultRule & { rand?: () => number }> = [];
  private readonly log: ChangeEntry[] = [];
  private seq = 1;
  private minValidSeq = 1;
  private idCounter = 0;
  private clock = Date.parse('2026-01-01T00:00:00Z');
  private server: Server | undefined;
  url = '';

  constructor(opts: DriveServerOptions = {}) {
    this.domain = opts.domain ?? 'example.com';
  }

  // --- lifecycle -------------------------------------------------------------------

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 500, message: String(err), errors: [{ domain: 'global', reason: 'backendError', message: 'Backend Error' }] } }));
        } else res.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections?.();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Drive/Admin `rootUrl` for the client library. */
  get rootUrl(): string {
    return this.url;
  }

  get tokenUrl(): string {
    return `${this.url}token`;
  }

  // --- identities ------------------------------------------------------------------

  addUser(email: string, opts: { admin?: boolean; suspended?: boolean } = {}): FakeUser {
    const u: FakeUser = { email: email.toLowerCase(), ...opts };
    this.users.set(u.email, u);
    return u;
  }

  /** Registers a refresh-token OAuth grant for `user`. */
  addOAuthClient(c: { clientId: string; clientSecret: string; refreshToken: string; user: string }): void {
    this.oauthClients.set(c.refreshToken, { clientId: c.clientId, clientSecret: c.clientSecret, user: c.user.toLowerCase() });
  }

  /**
   * Registers a service account by its public key (PEM); delegation = domain-wide delegation
   * granted; scopes = the scopes that delegation lists (default: any), as in the Admin console.
   */
  addServiceAccount(clientEmail: string, publicKeyPem: string, opts: { delegation?: boolean; scopes?: string[] } = {}): void {
    const sa: { publicKey: string; delegation: boolean; scopes?: string[] } = { publicKey: publicKeyPem, delegation: opts.delegation ?? true };
    if (opts.scopes) sa.scopes = opts.scopes;
    this.serviceAccounts.set(clientEmail, sa);
  }

  /** Changes the scopes a service account's domain-wide delegation lists (undefined: any). */
  setDelegationScopes(clientEmail: string, scopes: string[] | undefined): void {
    const sa = this.serviceAccounts.get(clientEmail);
    if (!sa) throw new Error(`no service account ${clientEmail}`);
    if (scopes) sa.scopes = scopes;
    else delete sa.scopes;
  }

  /** Mints a token directly (for raw HTTP probes in tests). */
  issueToken(user: string, scopes: string[] = SCOPE_DRIVE): string {
    const t = `ya29.fake-${randomBytes(12).toString('hex')}`;
    this.tokens.set(t, { user: user.toLowerCase(), scopes });
    return t;
  }

  /** Invalidates every access token issued so far. */
  revokeAllTokens(): void {
    this.tokens.clear();
  }

  // --- content ---------------------------------------------------------------------

  addDrive(name: string, members: string[], id?: string, opts: { roles?: Record<string, FakeRole> } = {}): FakeDrive {
    const d: FakeDrive = { id: id ?? `0A${this.nextId()}`, name, members: members.map((m) => m.toLowerCase()), roles: {} };
    for (const m of d.members) d.roles[m] = 'organizer';
    for (const [m, r] of Object.entries(opts.roles ?? {})) d.roles[m.toLowerCase()] = r;
    this.drives.set(d.id, d);
    return d;
  }

  /** Adds a member to a shared drive, or changes a member's role. */
  setDriveRole(driveId: string, user: string, role: FakeRole): void {
    const d = this.drives.get(driveId);
    if (!d) throw new Error(`no drive ${driveId}`);
    const u = user.toLowerCase();
    if (!d.members.includes(u)) d.members.push(u);
    d.roles[u] = role;
  }

  /** The id of a user's My Drive root folder (what `'root'` means for that user). */
  rootId(user: string): string {
    return `0AR${createHash('sha1').update(user.toLowerCase()).digest('hex').slice(0, 14)}Uk9PVA`;
  }

  /**
   * Every permission on an item as permissions.list returns it (shared-drive members inherited,
   * with permissionDetails), for tests that read the state around the connector.
   */
  permissionsOf(id: string): Array<FakePermission & { inherited?: boolean }> {
    return this.filePermissions(this.mustFile(id)).map((p) => {
      const details = p.permissionDetails as Array<{ inherited?: boolean }> | undefined;
      const out: FakePermission & { inherited?: boolean } = { id: p.id as string, type: p.type as FakePermission['type'], role: p.role as FakeRole };
      if (p.emailAddress) out.emailAddress = p.emailAddress as string;
      if (p.domain) out.domain = p.domain as string;
      if (p.allowFileDiscovery !== undefined) out.allowFileDiscovery = p.allowFileDiscovery as boolean;
      if (details?.length && details.every((d) => d.inherited)) out.inherited = true;
      return out;
    });
  }

  addFile(input: AddFileInput): FakeFile {
    let mimeType = input.mimeType ?? 'image/png';
    let shortcutTargetMimeType: string | undefined;
    if (input.shortcutTo) {
      mimeType = SHORTCUT_MIME;
      shortcutTargetMimeType = this.files.get(input.shortcutTo)?.mimeType ?? 'application/octet-stream';
    }
    const content = input.content === undefined ? undefined : Buffer.isBuffer(input.content) ? input.content : Buffer.from(input.content);
    const f: FakeFile = {
      id: input.id ?? `1F${this.nextId()}`,
      name: input.name,
      mimeType,
      parents: [],
      trashed: input.trashed ?? false,
      version: 1,
      modifiedTime: this.tick(),
      permissions: [],
    };
    f.createdTime = f.modifiedTime;
    if (content && !mimeType.startsWith('application/vnd.google-apps.')) f.content = content;
    if (input.driveId) {
      if (!this.drives.has(input.driveId)) throw new Error(`no drive ${input.driveId}`);
      f.driveId = input.driveId;
      f.parents = input.parents ?? [input.driveId];
    } else {
      const owner = (input.owner ?? [...this.users.keys()][0])?.toLowerCase();
      if (!owner) throw new Error('a My Drive file needs an owner');
      f.owner = owner;
      f.parents = (input.parents ?? ['root']).map((p) => (p === 'root' ? this.rootId(owner) : p));
      f.permissions.push({ id: this.permId(owner), type: 'user', role: 'owner', emailAddress: owner });
    }
    for (const p of input.permissions ?? []) f.permissions.push({ id: p.id ?? this.permId(p.emailAddress ?? p.domain ?? p.type), ...p });
    if (input.shortcutTo) {
      f.shortcutTargetId = input.shortcutTo;
      if (shortcutTargetMimeType) f.shortcutTargetMimeType = shortcutTargetMimeType;
    }
    const before = new Set<string>();
    this.files.set(f.id, f);
    this.record(f, before);
    return f;
  }

  /** New content (and version/md5/modifiedTime), or a rename. */
  editFile(id: string, change: { content?: Buffer | string; name?: string; permissions?: FakePermission[] }): FakeFile {
    const f = this.mustFile(id);
    const before = this.audience(f);
    if (change.content !== undefined) f.content = Buffer.isBuffer(change.content) ? change.content : Buffer.from(change.content);
    if (change.name !== undefined) f.name = change.name;
    if (change.permissions) {
      const owner = f.permissions.filter((p) => p.role === 'owner');
      f.permissions = [...owner, ...change.permissions.map((p) => ({ id: p.id ?? this.permId(p.emailAddress ?? p.domain ?? p.type), ...p }))];
    }
    f.version++;
    f.modifiedTime = this.tick();
    this.record(f, before);
    return f;
  }

  trashFile(id: string, trashed = true): FakeFile {
    const f = this.mustFile(id);
    const before = this.audience(f);
    f.trashed = trashed;
    f.version++;
    f.modifiedTime = this.tick();
    this.record(f, before);
    return f;
  }

  /** Permanent delete: the file disappears; change feeds report it removed. */
  deleteFile(id: string): void {
    const f = this.mustFile(id);
    const before = this.audience(f);
    this.files.delete(id);
    const e: ChangeEntry = { seq: this.seq++, fileId: id, time: this.tick(), audience: before };
    if (f.driveId) e.driveId = f.driveId;
    this.log.push(e);
  }

  /** Change tokens issued so far stop working (400 invalid pageToken), as after Drive expires them. */
  expireChangeTokens(): void {
    this.seq++; // the current position too: no token issued before this call is accepted
    this.minValidSeq = this.seq;
  }

  // --- faults and counters ---------------------------------------------------------

  /** Adds a fault rule (checked in order, before auth). Returns a remover. */
  fault(rule: FaultRule): () => void {
    const r = { ...rule, rand: rule.probability !== undefined ? mulberry32(rule.seed ?? 1) : undefined };
    this.faults.push(r);
    return () => {
      const i = this.faults.indexOf(r);
      if (i >= 0) this.faults.splice(i, 1);
    };
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  resetCounters(): void {
    this.requests.length = 0;
    this.downloads.length = 0;
  }

  /** Requests to one API path (e.g. `/drive/v3/files`), optionally filtered. */
  requestsTo(path: string | RegExp, filter: (r: RequestRecord) => boolean = () => true): RequestRecord[] {
    return this.requests.filter((r) => (typeof path === 'string' ? r.path === path : path.test(r.path)) && filter(r));
  }

  // --- internals -------------------------------------------------------------------

  private nextId(): string {
    this.idCounter++;
    return `${String(this.idCounter).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
  }

  private permId(s: string): string {
    return `p-${createHash('sha1').update(s).digest('hex').slice(0, 10)}`;
  }

  private tick(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  private mustFile(id: string): FakeFile {
    const f = this.files.get(id);
    if (!f) throw new Error(`no file ${id}`);
    return f;
  }

  /** Users who can see a file in their corpus (owner, direct grants, drive members). */
  private audience(f: FakeFile): Set<string> {
    const s = new Set<string>();
    if (f.driveId) for (const m of this.drives.get(f.driveId)?.members ?? []) s.add(m);
    if (f.owner) s.add(f.owner);
    for (const p of f.permissions) if ((p.type === 'user' || p.type === 'group') && p.emailAddress) s.add(p.emailAddress.toLowerCase());
    return s;
  }

  private record(f: FakeFile, before: Set<string>): void {
    const audience = new Set([...before, ...this.audience(f)]);
    const e: ChangeEntry = { seq: this.seq++, fileId: f.id, time: f.modifiedTime, audience };
    if (f.driveId) e.driveId = f.driveId;
    this.log.push(e);
  }

  /** In the user's corpus (files.list corpora=user). */
  private inCorpus(f: FakeFile, user: string): boolean {
    return this.audience(f).has(user);
  }

  /** files.get may also reach domain/anyone-shared files. */
  private canGet(f: FakeFile, user: string): boolean {
    if (this.inCorpus(f, user)) return true;
    const dom = user.slice(user.lastIndexOf('@') + 1);
    return f.permissions.some((p) => p.type === 'anyone' || (p.type === 'domain' && p.domain === dom));
  }

  private size(f: FakeFile): number {
    return f.content?.length ?? 0;
  }

  /** The full file resource as Drive returns it (before `fields` projection). */
  private resource(f: FakeFile, opts: { withPermissions: boolean }): Record<string, unknown> {
    const r: Record<string, unknown> = {
      kind: 'drive#file',
      id: f.id,
      name: f.name,
      mimeType: f.mimeType,
      parents: f.parents,
      trashed: f.trashed,
      version: String(f.version),
      modifiedTime: f.modifiedTime,
      createdTime: f.createdTime ?? f.modifiedTime,
    };
    if (f.appProperties && Object.keys(f.appProperties).length) r.appProperties = { ...f.appProperties };
    if (!f.mimeType.startsWith('application/vnd.google-apps.')) {
      r.size = String(this.size(f));
      r.md5Checksum = createHash('md5').update(f.content ?? Buffer.alloc(0)).digest('hex');
    }
    if (f.driveId) r.driveId = f.driveId;
    if (f.owner) r.owners = [{ kind: 'drive#user', emailAddress: f.owner, me: false }];
    if (f.shortcutTargetId) r.shortcutDetails = { targetId: f.shortcutTargetId, targetMimeType: f.shortcutTargetMimeType };
    // Drive leaves `permissions` out for shared-drive items.
    if (opts.withPermissions && !f.driveId) r.permissions = f.permissions.map((p) => ({ kind: 'drive#permission', ...p }));
    return r;
  }

  private filePermissions(f: FakeFile): Array<Record<string, unknown>> {
    const perms: Array<Record<string, unknown>> = [];
    const d = f.driveId ? this.drives.get(f.driveId) : undefined;
    if (d) {
      for (const m of d.members) {
        const role = d.roles[m] ?? 'organizer';
        perms.push({
          kind: 'drive#permission', id: this.permId(m), type: 'user', role, emailAddress: m,
          permissionDetails: [{ permissionType: 'member', role, inherited: true, inheritedFrom: d.id }],
        });
      }
    }
    for (const p of f.permissions) {
      // permissionDetails are populated for shared-drive items only
      perms.push(d ? { kind: 'drive#permission', ...p, permissionDetails: [{ permissionType: 'file', role: p.role, inherited: false }] } : { kind: 'drive#permission', ...p });
    }
    return perms;
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  private auth(req: IncomingMessage, rec: RequestRecord, scopes: string[]): TokenInfo {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    const info = m ? this.tokens.get(m[1]!) : undefined;
    if (!info) throw unauthenticated();
    rec.user = info.user;
    if (!info.scopes.some((s) => scopes.includes(s))) {
      throw driveError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', { domain: 'global' });
    }
    return info;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const rec: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query };
    this.requests.push(rec);
    try {
      if (url.pathname === '/token' && req.method === 'POST') {
        await this.handleToken(req, res, rec);
        return;
      }
      // who is asking, so that a fault rule can target one user (auth itself is checked later)
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const asker = bearer ? this.tokens.get(bearer) : undefined;
      if (asker) rec.user = asker.user;
      for (const rule of this.faults) {
        const matches = rule.match ? rule.match(rec) : url.pathname !== '/token';
        if (!matches) continue;
        if (rule.count !== undefined && rule.count <= 0) continue;
        if (rule.rand && rule.rand() >= (rule.probability ?? 0)) continue;
        if (rule.count !== undefined) rule.count--;
        rec.fault = true;
        const msg = rule.message ?? (rule.reason === 'userRateLimitExceeded' ? 'User Rate Limit Exceeded' : rule.reason === 'rateLimitExceeded' ? 'Rate Limit Exceeded' : `Fault ${rule.status}`);
        const domain = rule.domain ?? (rule.reason && /RateLimit/.test(rule.reason) ? 'usageLimits' : 'global');
        const err = driveError(rule.status, rule.reason ?? (rule.status >= 500 ? 'backendError' : 'error'), msg, { domain });
        if (rule.retryAfter !== undefined) err.headers['Retry-After'] = rule.retryAfter;
        throw err;
      }
      await this.route(req, res, url, rec);
      rec.status = res.statusCode;
    } catch (err) {
      if (err instanceof HttpError) {
        rec.status = err.status;
        this.send(res, err.status, err.body, err.headers);
        return;
      }
      throw err;
    }
  }

  private async handleToken(req: IncomingMessage, res: ServerResponse, rec: RequestRecord): Promise<void> {
    const form = new URLSearchParams(await this.readBody(req));
    const grant = form.get('grant_type');
    const ok = (info: TokenInfo) => {
      const t = this.issueToken(info.user, info.scopes);
      rec.user = info.user;
      rec.status = 200;
      this.send(res, 200, { access_token: t, expires_in: 3599, token_type: 'Bearer', scope: info.scopes.join(' ') });
    };
    const fail = (status: number, error: string, description: string) => {
      rec.status = status;
      this.send(res, status, { error, error_description: description });
    };
    if (grant === 'refresh_token') {
      const c = this.oauthClients.get(form.get('refresh_token') ?? '');
      if (!c || c.clientId !== form.get('client_id') || c.clientSecret !== form.get('client_secret')) {
        fail(c ? 401 : 400, c ? 'invalid_client' : 'invalid_grant', c ? 'Unauthorized' : 'Bad Request');
        return;
      }
      ok({ user: c.user, scopes: SCOPE_DRIVE });
      return;
    }
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const parts = (form.get('assertion') ?? '').split('.');
      if (parts.length !== 3) return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
      let claims: { iss?: string; sub?: string; scope?: string; aud?: string; exp?: number };
      try {
        claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
      } catch {
        return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
      }
      const sa = this.serviceAccounts.get(claims.iss ?? '');
      const sigOk =
        sa !== undefined &&
        verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey(sa.publicKey), Buffer.from(parts[2]!, 'base64url'));
      if (!sa || !sigOk) return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
      if (!claims.exp || claims.exp * 1000 < Date.now()) return fail(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
      const scopes = (claims.scope ?? '').split(/\s+/).filter(Boolean);
      const sub = claims.sub?.toLowerCase();
      if (!sub) return ok({ user: claims.iss!, scopes });
      const u = this.users.get(sub);
      if (!sa.delegation || !u || u.suspended || (sa.scopes && !scopes.every((sc) => sa.scopes!.includes(sc)))) {
        return fail(401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
      }
      ok({ user: sub, scopes });
      return;
    }
    fail(400, 'unsupported_grant_type', 'Invalid grant_type: ' + (grant ?? ''));
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, rec: RequestRecord): Promise<void> {
    const p = url.pathname;
    const q = rec.query;
    const method = req.method ?? 'GET';
    const only = (...allowed: string[]) => {
      if (!allowed.includes(method)) throw driveError(405, 'methodNotAllowed', 'Method not allowed');
    };
    if (p === '/admin/directory/v1/users') {
      only('GET');
      return this.usersList(res, q, this.auth(req, rec, SCOPE_DIRECTORY));
    }
    if (!p.startsWith('/drive/v3/')) throw driveError(404, 'notFound', `Not Found: ${p}`);
    const who = this.auth(req, rec, SCOPE_DRIVE);
    const user = who.user;
    // Drive refuses every write made with a read-only token.
    if (method !== 'GET' && !who.scopes.includes(SCOPE_DRIVE_FULL)) {
      throw driveError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.');
    }
    if (p === '/drive/v3/about') {
      only('GET');
      return this.send(res, 200, project({ kind: 'drive#about', user: { kind: 'drive#user', emailAddress: user, me: true } }, q.fields ? parseFields(q.fields) : true));
    }
    if (p === '/drive/v3/files') {
      only('GET', 'POST');
      return method === 'POST' ? this.filesCreate(res, q, user, await this.jsonBody(req)) : this.filesList(res, q, user);
    }
    if (p === '/drive/v3/drives') {
      only('GET');
      return this.drivesList(res, q, user);
    }
    if (p === '/drive/v3/changes/startPageToken') {
      only('GET');
      return this.startPageToken(res, q, user);
    }
    if (p === '/drive/v3/changes') {
      only('GET');
      return this.changesList(res, q, user);
    }
    let m = /^\/drive\/v3\/files\/([^/]+)\/permissions\/([^/]+)$/.exec(p);
    if (m) {
      only('GET', 'DELETE');
      const [id, pid] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
      return method === 'DELETE' ? this.permissionsDelete(res, q, user, id, pid) : this.permissionsGet(res, q, user, id, pid);
    }
    m = /^\/drive\/v3\/files\/([^/]+)\/permissions$/.exec(p);
    if (m) {
      only('GET', 'POST');
      const id = decodeURIComponent(m[1]!);
      return method === 'POST' ? this.permissionsCreate(res, q, user, id, await this.jsonBody(req)) : this.permissionsList(res, q, user, id);
    }
    m = /^\/drive\/v3\/files\/([^/]+)$/.exec(p);
    if (m) {
      only('GET', 'PATCH');
      const id = decodeURIComponent(m[1]!);
      return method === 'PATCH' ? this.filesUpdate(res, q, user, id, await this.jsonBody(req)) : this.filesGet(res, q, user, id);
    }
    throw driveError(404, 'notFound', `Not Found: ${p}`);
  }

  private async jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const text = await this.readBody(req);
    if (!text.trim()) return {};
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* below */
    }
    throw driveError(400, 'parseError', 'Parse Error');
  }

  private pageToken(payload: unknown): string {
    return Buffer.from(JSON.stringify(payload)).toString('base64url');
  }

  private readPageToken<T>(t: string): T {
    try {
      return JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as T;
    } catch {
      throw driveError(400, 'invalid', 'Invalid Value', { location: 'pageToken' });
    }
  }

  private pageSizeOf(q: Record<string, string>, def: number, max: number): number {
    if (q.pageSize === undefined) return def;
    const n = Number(q.pageSize);
    if (!Number.isInteger(n) || n < 1) throw driveError(400, 'invalid', `Invalid value '${q.pageSize}'. Values must be within the range: [1, ${max}]`, { location: 'pageSize' });
    return Math.min(n, max);
  }

  private usersList(res: ServerResponse, q: Record<string, string>, who: TokenInfo): void {
    const admin = this.users.get(who.user);
    if (!admin?.admin) throw driveError(403, 'forbidden', 'Not Authorized to access this resource/api');
    if (!q.domain && !q.customer) throw driveError(400, 'badRequest', 'Bad Request');
    if (q.domain && q.domain.toLowerCase() !== this.domain) throw driveError(403, 'forbidden', 'Not Authorized to access this resource/api');
    const max = Math.min(Number(q.maxResults ?? 100) || 100, 500);
    const all = [...this.users.values()].sort((a, b) => a.email.localeCompare(b.email));
    const start = q.pageToken ? this.readPageToken<{ o: number }>(q.pageToken).o : 0;
    const slice = all.slice(start, start + max);
    const body: Record<string, unknown> = {
      kind: 'admin#directory#users',
      users: slice.map((u) => ({ kind: 'admin#directory#user', id: createHash('sha1').update(u.email).digest('hex').slice(0, 21), primaryEmail: u.email, isAdmin: !!u.admin, suspended: !!u.suspended })),
    };
    if (start + max < all.length) body.nextPageToken = this.pageToken({ o: start + max });
    this.send(res, 200, q.fields ? project(body, parseFields(q.fields)) : body);
  }

  private filesList(res: ServerResponse, q: Record<string, string>, user: string): void {
    const allDrives = truthy(q.includeItemsFromAllDrives);
    const supports = truthy(q.supportsAllDrives);
    const corpora = q.corpora ?? 'user';
    if (allDrives && !supports) {
      throw driveError(403, 'teamDrivesParameterNotSupported', 'The includeItemsFromAllDrives parameter can only be set to true when supportsAllDrives is also set to true.');
    }
    if ((corpora === 'drive') !== (q.driveId !== undefined)) {
      throw driveError(400, 'invalid', 'The driveId parameter must be specified if and only if corpora is set to drive.', { location: 'driveId' });
    }
    if ((corpora === 'drive' || corpora === 'allDrives') && !allDrives) {
      throw driveError(403, 'teamDrivesParameterNotSupported', 'The includeItemsFromAllDrives parameter must be set to true when corpora is set to drive or allDrives.');
    }
    let pred: Pred = () => true;
    if (q.q) {
      try {
        pred = parseQ(q.q);
      } catch {
        throw driveError(400, 'invalid', 'Invalid Value', { location: 'q' });
      }
    }
    const size = this.pageSizeOf(q, 100, 1000);
    let candidates: FakeFile[];
    if (corpora === 'drive') {
      const d = this.drives.get(q.driveId!);
      if (!d || !d.members.includes(user)) throw driveError(404, 'notFound', `Shared drive not found: ${q.driveId}`, { location: 'driveId' });
      candidates = [...this.files.values()].filter((f) => f.driveId === d.id);
    } else if (corpora === 'user' || corpora === 'allDrives') {
      candidates = [...this.files.values()].filter((f) => this.inCorpus(f, user) && (!f.driveId || allDrives));
    } else {
      throw driveError(400, 'invalid', 'Invalid Value', { location: 'corpora' });
    }
    const ctx = { user, root: this.rootId(user) };
    const matched = candidates.filter((f) => pred(f, ctx)).sort(this.order(q.orderBy));
    const key = createHash('sha1').update(JSON.stringify([q.q, corpora, q.driveId, allDrives])).digest('hex').slice(0, 12);
    let start = 0;
    if (q.pageToken) {
      const t = this.readPageToken<{ o: number; k: string }>(q.pageToken);
      if (t.k !== key) throw driveError(400, 'invalid', 'Invalid Value', { location: 'pageToken' });
      start = t.o;
    }
    const slice = matched.slice(start, start + size);
    const body: Record<string, unknown> = { kind: 'drive#fileList', incompleteSearch: false, files: slice.map((f) => this.resource(f, { withPermissions: true })) };
    if (start + size < matched.length) body.nextPageToken = this.pageToken({ o: start + size, k: key });
    this.send(res, 200, q.fields ? project(body, parseFields(q.fields)) : body);
  }

  private visibleFile(id: string, user: string, supports: boolean): FakeFile {
    const f = this.files.get(id);
    if (!f || !this.canGet(f, user) || (f.driveId && !supports)) throw driveError(404, 'notFound', `File not found: ${id}.`, { location: 'fileId' });
    return f;
  }

  private filesGet(res: ServerResponse, q: Record<string, string>, user: string, id: string): void {
    const folder = this.rootFolder(id, user, truthy(q.supportsAllDrives));
    if (folder && q.alt !== 'media') {
      this.send(res, 200, q.fields ? project(folder, parseFields(q.fields)) : folder);
      return;
    }
    const f = this.visibleFile(id, user, truthy(q.supportsAllDrives));
    if (q.alt === 'media') {
      if (f.mimeType.startsWith('application/vnd.google-apps.')) {
        throw driveError(403, 'fileNotDownloadable', 'Only files with binary content can be downloaded. Use Export with Docs Editors files.', { location: 'alt' });
      }
      const body = f.content ?? Buffer.alloc(0);
      this.downloads.push(f.id);
      res.writeHead(200, { 'content-type': f.mimeType, 'content-length': String(body.length) });
      res.end(body);
      return;
    }
    const r = this.resource(f, { withPermissions: true });
    this.send(res, 200, q.fields ? project(r, parseFields(q.fields)) : r);
  }

  private permissionsList(res: ServerResponse, q: Record<string, string>, user: string, id: string): void {
    const f = this.visibleFile(id, user, truthy(q.supportsAllDrives));
    const all = this.filePermissions(f);
    const size = this.pageSizeOf(q, 100, 100);
    const start = q.pageToken ? this.readPageToken<{ o: number }>(q.pageToken).o : 0;
    const body: Record<string, unknown> = { kind: 'drive#permissionList', permissions: all.slice(start, start + size) };
    if (start + size < all.length) body.nextPageToken = this.pageToken({ o: start + size });
    this.send(res, 200, q.fields ? project(body, parseFields(q.fields)) : body);
  }

  private permissionsGet(res: ServerResponse, q: Record<string, string>, user: string, id: string, pid: string): void {
    const f = this.visibleFile(id, user, truthy(q.supportsAllDrives));
    const p = this.filePermissions(f).find((x) => x.id === pid);
    if (!p) throw driveError(404, 'notFound', `Permission not found: ${pid}.`, { location: 'permissionId' });
    this.send(res, 200, q.fields ? project(p, parseFields(q.fields)) : p);
  }

  private permissionsDelete(res: ServerResponse, q: Record<string, string>, user: string, id: string, pid: string): void {
    const f = this.visibleFile(id, user, truthy(q.supportsAllDrives));
    const listed = this.filePermissions(f).find((x) => x.id === pid);
    if (!listed) throw driveError(404, 'notFound', `Permission not found: ${pid}.`, { location: 'permissionId' });
    const direct = f.permissions.find((x) => x.id === pid);
    if (!direct) {
      throw driveError(403, 'cannotModifyInheritedTeamDrivePermission', 'The user cannot modify or delete a permission inherited from the shared drive; change the shared drive membership instead.');
    }
    if (direct.role === 'owner') throw driveError(403, 'cannotRemoveOwner', 'The owner of a file cannot be removed.');
    const self = direct.type === 'user' && direct.emailAddress?.toLowerCase() === user;
    if (!self && this.rank(f, user) < ROLE_RANK.writer) throw insufficient();
    const before = this.audience(f);
    f.permissions = f.permissions.filter((x) => x !== direct);
    f.version++;
    this.record(f, before);
    rec204(res);
  }

  private permissionsCreate(res: ServerResponse, q: Record<string, string>, user: string, id: string, body: Record<string, unknown>): void {
    const f = this.visibleFile(id, user, truthy(q.supportsAllDrives));
    const type = body.type as FakePermission['type'] | undefined;
    const role = body.role as FakeRole | undefined;
    if (!type || !['user', 'group', 'domain', 'anyone'].includes(type)) throw driveError(400, 'required', 'Permission type field required.', { location: 'permission.type' });
    if (!role || !ROLES.has(role)) throw driveError(400, 'required', 'Permission role field required.', { location: 'permission.role' });
    const email = typeof body.emailAddress === 'string' ? body.emailAddress.toLowerCase() : undefined;
    const domain = typeof body.domain === 'string' ? body.domain.toLowerCase() : undefined;
    if ((type === 'user' || type === 'group') && !email) throw driveError(400, 'invalidSharingRequest', 'Bad Request. User message: "An email address is required for permissions of type user or group."');
    if (type === 'domain' && !domain) throw driveError(400, 'invalidSharingRequest', 'Bad Request. User message: "A domain is required for permissions of type domain."');
    if (q.sendNotificationEmail !== undefined && type !== 'user' && type !== 'group') {
      throw driveError(400, 'badRequest', "sendNotificationEmail parameter is only applicable for permissions of type 'user' or 'group'.", { location: 'sendNotificationEmail' });
    }
    if ((role === 'organizer' || role === 'fileOrganizer') && !f.driveId) throw driveError(400, 'invalidSharingRequest', 'Bad Request. User message: "This role is only available for shared drive items."');
    const before = this.audience(f);
    if (role === 'owner') {
      if (!truthy(q.transferOwnership)) throw driveError(403, 'forbidden', "The transferOwnership parameter must be enabled when the permission role is 'owner'.", { location: 'transferOwnership' });
      if (f.driveId) throw driveError(403, 'forbidden', 'Files in a shared drive are owned by the organization; their ownership cannot be transferred.');
      if (f.owner !== user) throw insufficient();
      if (q.sendNotificationEmail === 'false') throw driveError(400, 'badRequest', 'sendNotificationEmail must not be disabled for ownership transfers.', { location: 'sendNotificationEmail' });
      const target = email ? this.users.get(email) : undefined;
      if (type !== 'user' || !target || target.suspended || email!.slice(email!.lastIndexOf('@') + 1) !== this.domain) {
        throw driveError(403, 'forbidden', 'Bad Request. User message: "Ownership can only be transferred to another active user in the same organization as the current owner."');
      }
      for (const x of f.permissions) if (x.role === 'owner') x.role = 'writer';
      let np = f.permissions.find((x) => x.type === 'user' && x.emailAddress?.toLowerCase() === email);
      if (np) np.role = 'owner';
      else {
        np = { id: this.permId(email!), type: 'user', role: 'owner', emailAddress: email! };
        f.permissions.push(np);
      }
      f.owner = email!;
      if (truthy(q.moveToNewOwnersRoot)) f.parents = [this.rootId(email!)];
      f.version++;
      this.record(f, before);
      const out = { kind: 'drive#permission', ...np };
      this.send(res, 200, q.fields ? project(out, parseFields(q.fields)) : out);
      return;
    }
    if (this.rank(f, user) < ROLE_RANK.writer) throw insufficient();
    // One permission per grantee: creating it again updates it (Drive returns the same id).
    const same = (x: FakePermission) =>
      x.type === type && (type === 'anyone' || (type === 'domain' ? x.domain?.toLowerCase() === domain : x.emailAddress?.toLowerCase() === email));
    let np = f.permissions.find(same);
    if (np?.role === 'owner') throw driveError(403, 'cannotRemoveOwner', 'The owner of a file cannot be removed.');
    if (!np) {
      np = { id: this.permId(email ?? domain ?? type), type, role };
      if (email) np.emailAddress = email;
      if (domain) np.domain = domain;
      f.permissions.push(np);
    }
    np.role = role;
    if (type === 'anyone' || type === 'domain') np.allowFileDiscovery = body.allowFileDiscovery === true;
    f.version++;
    this.record(f, before);
    const out = { kind: 'drive#permission', ...np };
    this.send(res, 200, q.fields ? project(out, parseFields(q.fields)) : out);
  }

  private filesCreate(res: ServerResponse, q: Record<string, string>, user: string, body: Record<string, unknown>): void {
    if (q.uploadType) throw driveError(400, 'badRequest', 'This fake takes metadata-only files.create (folders).', { location: 'uploadType' });
    if (typeof body.name !== 'string' || !body.name) throw driveError(400, 'required', 'A name is required.', { location: 'name' });
    const supports = truthy(q.supportsAllDrives);
    const given = Array.isArray(body.parents) ? (body.parents as unknown[]).map(String) : ['root'];
    if (given.length > 1) throw driveError(403, 'cannotAddParent', 'Increasing the number of parents is not allowed');
    const parent = given[0] === 'root' ? this.rootId(user) : given[0]!;
    const target = this.parentTarget(parent, user, supports, 'parents');
    if (target.rank < ROLE_RANK.writer) throw driveError(403, 'insufficientParentPermissions', 'Insufficient permissions for the specified parent.', { location: 'parents' });
    const f: FakeFile = {
      id: `1F${this.nextId()}`,
      name: body.name,
      mimeType: typeof body.mimeType === 'string' ? body.mimeType : 'application/octet-stream',
      parents: [parent],
      trashed: false,
      version: 1,
      modifiedTime: this.tick(),
      permissions: [],
    };
    f.createdTime = f.modifiedTime;
    if (target.driveId) f.driveId = target.driveId;
    else {
      f.owner = user;
      f.permissions.push({ id: this.permId(user), type: 'user', role: 'owner', emailAddress: user });
    }
    if (body.appProperties && typeof body.appProperties === 'object') f.appProperties = this.mergeProperties({}, body.appProperties as Record<string, unknown>);
    this.files.set(f.id, f);
    this.record(f, new Set());
    const r = this.resource(f, { withPermissions: true });
    this.send(res, 200, q.fields ? project(r, parseFields(q.fields)) : r);
  }

  private filesUpdate(res: ServerResponse, q: Record<string, string>, user: string, id: string, body: Record<string, unknown>): void {
    const supports = truthy(q.supportsAllDrives);
    const f = this.visibleFile(id, user, supports);
    if (body.parents !== undefined) {
      throw driveError(403, 'fieldNotWritable', 'The parents field is not directly writable in update requests. Use the addParents and removeParents parameters instead.');
    }
    for (const k of ['id', 'owners', 'permissions', 'driveId', 'md5Checksum', 'size', 'version']) {
      if (body[k] !== undefined) throw driveError(403, 'fieldNotWritable', `The resource body includes fields which are not directly writable.`);
    }
    if (this.rank(f, user) < ROLE_RANK.writer) throw insufficient();
    const before = this.audience(f);
    const split = (v: string | undefined) => (v ? v.split(',').map((x) => x.trim()).filter(Boolean).map((x) => (x === 'root' ? this.rootId(user) : x)) : []);
    const add = split(q.addParents);
    const remove = split(q.removeParents);
    // validate everything before changing anything
    const props = body.appProperties !== undefined && body.appProperties !== null ? this.mergeProperties(f.appProperties ?? {}, body.appProperties as Record<string, unknown>) : undefined;
    if (add.length || remove.length) this.move(f, user, add, remove, supports);
    if (props) {
      if (Object.keys(props).length) f.appProperties = props;
      else delete f.appProperties;
    }
    if (typeof body.name === 'string' && body.name) f.name = body.name;
    if (typeof body.trashed === 'boolean') f.trashed = body.trashed;
    f.version++;
    this.record(f, before);
    const r = this.resource(f, { withPermissions: true });
    this.send(res, 200, q.fields ? project(r, parseFields(q.fields)) : r);
  }

  /** appProperties merge with Drive's limits; a null value clears the key. */
  private mergeProperties(current: Record<string, string>, patch: Record<string, unknown>): Record<string, string> {
    if (typeof patch !== 'object' || Array.isArray(patch)) throw driveError(400, 'invalid', 'Invalid value for appProperties.', { location: 'appProperties' });
    const out = { ...current };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) {
        delete out[k];
        continue;
      }
      const value = String(v);
      if (Buffer.byteLength(k, 'utf8') + Buffer.byteLength(value, 'utf8') > PROPERTY_BYTES) {
        throw driveError(400, 'invalidProperty', `The property "${k}" exceeds the maximum size of ${PROPERTY_BYTES} bytes for its key and value.`, { location: 'appProperties' });
      }
      out[k] = value;
    }
    if (Object.keys(out).length > APP_PROPERTIES_PER_APP) {
      throw driveError(403, 'propertiesLimitExceeded', `The limit of ${APP_PROPERTIES_PER_APP} app properties on this file has been exceeded.`, { location: 'appProperties' });
    }
    return out;
  }

  /**
   * A move under the single-parent model (see the header for the rules). Checks everything first,
   * then changes the item's parents, drive and ownership.
   */
  private move(f: FakeFile, user: string, add: string[], remove: string[], supports: boolean): void {
    if (add.length > 1) throw driveError(403, 'cannotAddParent', 'Increasing the number of parents is not allowed');
    const isOwner = !f.driveId && f.owner === user;
    const targets = add.map((a) => this.parentTarget(a, user, supports, 'addParents'));
    // The owner adding a single parent takes the item out of all its folders.
    const removing = isOwner && add.length === 1 ? [...new Set([...remove, ...f.parents])] : remove.filter((r) => f.parents.includes(r));
    const next = [...new Set([...f.parents.filter((p) => !removing.includes(p)), ...add])];
    if (next.length > 1) throw driveError(403, 'cannotAddParent', 'Increasing the number of parents is not allowed');
    if (next.length === 0) {
      if (f.driveId) throw driveError(403, 'cannotRemoveLastParent', 'An item in a shared drive must have a parent.');
      next.push(this.rootId(f.owner!));
    }
    const role = this.rank(f, user);
    if (role < ROLE_RANK.writer) throw insufficient();
    for (const t of targets) {
      if (t.rank < ROLE_RANK.writer) throw driveError(403, 'insufficientParentPermissions', 'Insufficient permissions for the specified parent.', { location: 'addParents' });
    }
    if (!isOwner && !f.driveId) {
      for (const r of removing) {
        if (this.parentTarget(r, user, supports, 'removeParents', true).rank < ROLE_RANK.writer) {
          throw driveError(403, 'insufficientFilePermissions', 'The user does not have sufficient permissions to remove this item from its folder.', { location: 'removeParents' });
        }
      }
    }
    const from = f.driveId;
    const to = targets.length ? targets[0]!.driveId : f.driveId;
    const memberRank = (driveId: string) => ROLE_RANK[this.drives.get(driveId)?.roles[user] ?? 'reader'] * (this.drives.get(driveId)?.members.includes(user) ? 1 : 0);
    if (from && to === from && targets.length && memberRank(from) < ROLE_RANK.fileOrganizer) {
      throw driveError(403, 'insufficientFilePermissions', 'The user does not have sufficient permissions to move this item within the shared drive.');
    }
    if (from && to !== from && memberRank(from) < ROLE_RANK.organizer) {
      throw driveError(403, 'insufficientFilePermissions', 'Only a manager of the shared drive can move this item out of it.');
    }
    if (!from && to && !isOwner) throw driveError(403, 'insufficientFilePermissions', 'Only the owner of an item can move it into a shared drive.');
    if (to && to !== from && memberRank(to) < ROLE_RANK.writer) throw driveError(403, 'insufficientParentPermissions', 'Insufficient permissions for the specified parent.', { location: 'addParents' });
    // Apply.
    f.parents = next;
    if (from && !to) {
      // out of a shared drive: the mover owns it in My Drive; direct grants stay
      f.permissions = f.permissions.filter((x) => !(x.type === 'user' && x.emailAddress?.toLowerCase() === user));
      f.permissions.unshift({ id: this.permId(user), type: 'user', role: 'owner', emailAddress: user });
      f.owner = user;
      delete f.driveId;
    } else if (to && to !== from) {
      const prev = f.owner;
      f.driveId = to;
      delete f.owner;
      const d = this.drives.get(to)!;
      f.permissions = f.permissions.filter((x) => x.role !== 'owner');
      if (prev && !d.members.includes(prev)) f.permissions.push({ id: this.permId(prev), type: 'user', role: 'writer', emailAddress: prev });
    }
  }

  /** A folder an item may be put in (or taken out of): a user's root, a shared drive's root, or a folder. */
  private parentTarget(id: string, user: string, supports: boolean, location: string, lenient = false): { rank: number; driveId?: string } {
    const d = this.drives.get(id);
    if (d) {
      if (!supports || !d.members.includes(user)) {
        if (lenient) return { rank: 0 };
        throw driveError(404, 'notFound', `File not found: ${id}.`, { location });
      }
      return { rank: ROLE_RANK[d.roles[user] ?? 'reader'], driveId: d.id };
    }
    if (id === this.rootId(user)) return { rank: ROLE_RANK.owner };
    const f = this.files.get(id);
    if (!f || f.mimeType !== FOLDER_MIME || !this.canGet(f, user) || (f.driveId && !supports)) {
      if (lenient) return { rank: 0 };
      throw driveError(404, 'notFound', `File not found: ${id}.`, { location });
    }
    const out: { rank: number; driveId?: string } = { rank: this.rank(f, user) };
    if (f.driveId) out.driveId = f.driveId;
    return out;
  }

  /** The widest role `user` holds on an item. */
  private rank(f: FakeFile, user: string): number {
    let r = 0;
    if (f.driveId) {
      const d = this.drives.get(f.driveId);
      if (d?.members.includes(user)) r = ROLE_RANK[d.roles[user] ?? 'organizer'];
    } else if (f.owner === user) return ROLE_RANK.owner;
    const dom = user.slice(user.lastIndexOf('@') + 1);
    for (const p of f.permissions) {
      const hit =
        p.type === 'anyone' || (p.type === 'domain' && p.domain?.toLowerCase() === dom) || ((p.type === 'user' || p.type === 'group') && p.emailAddress?.toLowerCase() === user);
      if (hit) r = Math.max(r, ROLE_RANK[p.role]);
    }
    return r;
  }

  /** A user's root folder, or a shared drive's root folder, as files.get returns it. */
  private rootFolder(id: string, user: string, supports: boolean): Record<string, unknown> | undefined {
    if (id === 'root' || id === this.rootId(user)) {
      return { kind: 'drive#file', id: this.rootId(user), name: 'My Drive', mimeType: FOLDER_MIME, trashed: false, owners: [{ kind: 'drive#user', emailAddress: user, me: true }] };
    }
    const d = this.drives.get(id);
    if (d && supports && d.members.includes(user)) return { kind: 'drive#file', id: d.id, name: d.name, mimeType: FOLDER_MIME, trashed: false, driveId: d.id };
    return undefined;
  }

  /** files.list orderBy: createdTime, modifiedTime, name (each optionally `desc`); default by id. */
  private order(orderBy: string | undefined): (a: FakeFile, b: FakeFile) => number {
    const byId = (a: FakeFile, b: FakeFile) => a.id.localeCompare(b.id);
    if (!orderBy) return byId;
    const keys = orderBy.split(',').map((k) => k.trim().split(/\s+/));
    for (const [k] of keys) if (!['createdTime', 'modifiedTime', 'name', 'folder'].includes(k!)) throw driveError(400, 'invalid', 'Invalid Value', { location: 'orderBy' });
    return (a, b) => {
      for (const [k, dir] of keys) {
        const va = k === 'name' ? a.name : k === 'folder' ? String(a.mimeType !== FOLDER_MIME) : k === 'createdTime' ? a.createdTime : a.modifiedTime;
        const vb = k === 'name' ? b.name : k === 'folder' ? String(b.mimeType !== FOLDER_MIME) : k === 'createdTime' ? b.createdTime : b.modifiedTime;
        const c = (va ?? '').localeCompare(vb ?? '');
        if (c) return dir === 'desc' ? -c : c;
      }
      return byId(a, b);
    };
  }

  private drivesList(res: ServerResponse, q: Record<string, string>, user: string): void {
    const mine = [...this.drives.values()].filter((d) => d.members.includes(user)).sort((a, b) => a.id.localeCompare(b.id));
    const size = this.pageSizeOf(q, 10, 100);
    const start = q.pageToken ? this.readPageToken<{ o: number }>(q.pageToken).o : 0;
    const body: Record<string, unknown> = { kind: 'drive#driveList', drives: mine.slice(start, start + size).map((d) => ({ kind: 'drive#drive', id: d.id, name: d.name })) };
    if (start + size < mine.length) body.nextPageToken = this.pageToken({ o: start + size });
    this.send(res, 200, q.fields ? project(body, parseFields(q.fields)) : body);
  }

  private checkDrive(q: Record<string, string>, user: string): FakeDrive | undefined {
    if (q.driveId === undefined) return undefined;
    if (!truthy(q.supportsAllDrives)) {
      throw driveError(403, 'teamDrivesParameterNotSupported', 'The driveId parameter can only be set when supportsAllDrives is also set to true.', { location: 'driveId' });
    }
    const d = this.drives.get(q.driveId);
    if (!d || !d.members.includes(user)) throw driveError(404, 'notFound', `Shared drive not found: ${q.driveId}`, { location: 'driveId' });
    return d;
  }

  private startPageToken(res: ServerResponse, q: Record<string, string>, user: string): void {
    this.checkDrive(q, user);
    this.send(res, 200, { kind: 'drive#startPageToken', startPageToken: String(this.seq) });
  }

  private changesList(res: ServerResponse, q: Record<string, string>, user: string): void {
    const drive = this.checkDrive(q, user);
    const allDrives = truthy(q.includeItemsFromAllDrives);
    if (allDrives && !truthy(q.supportsAllDrives)) {
      throw driveError(403, 'teamDrivesParameterNotSupported', 'The includeItemsFromAllDrives parameter can only be set to true when supportsAllDrives is also set to true.');
    }
    if (drive && !allDrives) throw driveError(403, 'teamDrivesParameterNotSupported', 'The includeItemsFromAllDrives parameter must be set to true when driveId is set.');
    const tok = q.pageToken;
    if (!tok) throw driveError(400, 'required', 'Required parameter: pageToken', { location: 'pageToken' });
    const from = /^\d+$/.test(tok) ? Number(tok) : NaN;
    if (!Number.isFinite(from) || from < this.minValidSeq || from > this.seq) {
      throw driveError(400, 'invalid', 'Invalid Value', { location: 'pageToken' });
    }
    const includeRemoved = q.includeRemoved === undefined ? true : truthy(q.includeRemoved);
    const size = this.pageSizeOf(q, 100, 1000);
    const relevant = this.log.filter((e) => e.seq >= from && (drive ? e.driveId === drive.id : e.audience.has(user) && (!e.driveId || allDrives)));
    // One change per file: the latest.
    const latest = new Map<string, ChangeEntry>();
    for (const e of relevant) latest.set(e.fileId, e);
    const collapsed = relevant.filter((e) => latest.get(e.fileId) === e);
    const out: unknown[] = [];
    let nextSeq: number | undefined;
    for (const e of collapsed) {
      if (out.length >= size) {
        nextSeq = e.seq;
        break;
      }
      const f = this.files.get(e.fileId);
      const visible = f !== undefined && (drive ? f.driveId === drive.id : this.inCorpus(f, user) && (!f.driveId || allDrives));
      if (!visible && !includeRemoved) continue;
      const change: Record<string, unknown> = { kind: 'drive#change', changeType: 'file', time: e.time, removed: !visible, fileId: e.fileId };
      if (visible) change.file = this.resource(f, { withPermissions: true });
      if (e.driveId) change.driveId = e.driveId;
      out.push(change);
    }
    const body: Record<string, unknown> = { kind: 'drive#changeList', changes: out };
    if (nextSeq !== undefined) body.nextPageToken = String(nextSeq);
    else body.newStartPageToken = String(this.seq);
    this.send(res, 200, q.fields ? project(body, parseFields(q.fields)) : body);
  }
}

export async function startDriveServer(opts: DriveServerOptions = {}): Promise<FakeDriveServer> {
  return new FakeDriveServer(opts).start();
}
