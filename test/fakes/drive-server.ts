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
 *  GET  /drive/v3/files/:id                     files.get (metadata, or alt=media bytes)
 *  GET  /drive/v3/files/:id/permissions         permissions.list
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

export interface FakeFile {
  id: string;
  name: string;
  mimeType: string;
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

const SCOPE_DRIVE = ['https://www.googleapis.com/auth/drive', 'https://www.googleapis.com/auth/drive.readonly'];
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

type Pred = (f: FakeFile, ctx: { user: string }) => boolean;

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
        const v = value === 'me' ? c.user : value;
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
  private readonly serviceAccounts = new Map<string, { publicKey: string; delegation: boolean }>();
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

  /** Registers a service account by its public key (PEM); delegation = domain-wide delegation granted. */
  addServiceAccount(clientEmail: string, publicKeyPem: string, opts: { delegation?: boolean } = {}): void {
    this.serviceAccounts.set(clientEmail, { publicKey: publicKeyPem, delegation: opts.delegation ?? true });
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

  addDrive(name: string, members: string[], id?: string): FakeDrive {
    const d: FakeDrive = { id: id ?? `0A${this.nextId()}`, name, members: members.map((m) => m.toLowerCase()) };
    this.drives.set(d.id, d);
    return d;
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
      parents: input.parents ?? [input.driveId ?? 'root'],
      trashed: input.trashed ?? false,
      version: 1,
      modifiedTime: this.tick(),
      permissions: [],
    };
    if (content && !mimeType.startsWith('application/vnd.google-apps.')) f.content = content;
    if (input.driveId) {
      if (!this.drives.has(input.driveId)) throw new Error(`no drive ${input.driveId}`);
      f.driveId = input.driveId;
    } else {
      const owner = (input.owner ?? [...this.users.keys()][0])?.toLowerCase();
      if (!owner) throw new Error('a My Drive file needs an owner');
      f.owner = owner;
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
      createdTime: f.modifiedTime,
    };
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
    if (f.driveId) {
      for (const m of this.drives.get(f.driveId)?.members ?? []) {
        perms.push({ kind: 'drive#permission', id: this.permId(m), type: 'user', role: 'organizer', emailAddress: m, permissionDetails: [{ inherited: true }] });
      }
    }
    for (const p of f.permissions) perms.push({ kind: 'drive#permission', ...p });
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
      if (!sa.delegation || !u || u.suspended) {
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
    if (req.method !== 'GET') throw driveError(405, 'methodNotAllowed', 'Method not allowed');
    if (p === '/admin/directory/v1/users') return this.usersList(res, q, this.auth(req, rec, SCOPE_DIRECTORY));
    if (!p.startsWith('/drive/v3/')) throw driveError(404, 'notFound', `Not Found: ${p}`);
    const who = this.auth(req, rec, SCOPE_DRIVE);
    const user = who.user;
    if (p === '/drive/v3/about') return this.send(res, 200, project({ kind: 'drive#about', user: { kind: 'drive#user', emailAddress: user, me: true } }, q.fields ? parseFields(q.fields) : true));
    if (p === '/drive/v3/files') return this.filesList(res, q, user);
    if (p === '/drive/v3/drives') return this.drivesList(res, q, user);
    if (p === '/drive/v3/changes/startPageToken') return this.startPageToken(res, q, user);
    if (p === '/drive/v3/changes') return this.changesList(res, q, user);
    let m = /^\/drive\/v3\/files\/([^/]+)\/permissions$/.exec(p);
    if (m) return this.permissionsList(res, q, user, decodeURIComponent(m[1]!));
    m = /^\/drive\/v3\/files\/([^/]+)$/.exec(p);
    if (m) return this.filesGet(res, q, user, decodeURIComponent(m[1]!));
    throw driveError(404, 'notFound', `Not Found: ${p}`);
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
    const ctx = { user };
    const matched = candidates.filter((f) => pred(f, ctx)).sort((a, b) => a.id.localeCompare(b.id));
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
