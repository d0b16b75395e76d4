/**
 * A small in-process Microsoft Graph v1.0 (+ AAD token endpoint) for the OneDrive connector
 * tests. node:http on 127.0.0.1, port 0. It implements the documented behaviour of the
 * endpoints the connector uses:
 *
 *   POST /{tenant}/oauth2/v2.0/token          client_credentials and refresh_token grants
 *   GET  /v1.0/users                          paged ($top, @odata.nextLink with $skiptoken)
 *   GET  /v1.0/users/{id|upn}/drive           404 ResourceNotFound when mysite is not provisioned
 *   GET  /v1.0/organization                   verifiedDomains
 *   GET  /v1.0/drives/{d}/root/delta          $select, $top, @odata.nextLink → @odata.deltaLink
 *                                             (?token=…); no parentReference.path (as documented);
 *                                             deleted facet; 410 resyncRequired on invalidated tokens
 *   GET  /v1.0/drives/{d}/items/{i}           with parentReference.path (/drive/root:/A/B)
 *   GET  /v1.0/drives/{d}/items/{i}/content   302 to /download/{d}/{i}?token=…&exp=…
 *   GET  /v1.0/drives/{d}/items/{i}/permissions   the effective permissions: the drive owner's
 *                                             (roles owner), the item's own, and those of its
 *                                             ancestor folders with `inheritedFrom` (same id)
 *   GET  /download/{d}/{i}?token=…            pre-authenticated, 401 once expired
 *
 * Remediation (writes; each bumps the item's eTag, never its cTag):
 *   GET    /v1.0/drives/{d}/root, /drives/{d}/root:/a/b[:]   path addressing (404 itemNotFound)
 *   GET    /v1.0/drives/{d}/items/{i}/permissions/{p}
 *   DELETE /v1.0/drives/{d}/items/{i}/permissions/{p}  204; 404 itemNotFound when it is not there;
 *                                             403 accessDenied for the owner; 400 invalidRequest
 *                                             for an inherited one ("inheritedFrom must be null")
 *   POST   /v1.0/drives/{d}/items/{i}/createLink      {type view|edit, scope anonymous|organization|
 *                                             users}: 201 with a new link (a fresh webUrl), 200 with
 *                                             the existing link of that type and scope
 *   POST   /v1.0/drives/{d}/items/{i}/invite          {recipients, roles [read|write], requireSignIn,
 *                                             sendInvitation}: 200 {value:[permission]}; a recipient
 *                                             who already has a direct grant gets the new role
 *   POST   /v1.0/shares/{u!base64url(webUrl)}/permission/grant   {recipients, roles}: adds people
 *                                             to a specific-people link
 *   PATCH  /v1.0/drives/{d}/items/{i}            name, description, parentReference {id[, driveId]}
 *                                             (move); @microsoft.graph.conflictBehavior fail (default)
 *                                             | rename | replace, in the body or the query; 409
 *                                             nameAlreadyExists; 400 across drives, into a file or
 *                                             into itself; 404 itemNotFound for a missing parent;
 *                                             if-match → 412 preconditionFailed
 *   POST   /v1.0/drives/{d}/items/{i}/children, /drives/{d}/root/children   folder create
 *                                             ({name, folder:{}}), 201; conflictBehavior as above
 *
 * Link permissions carry `link.webUrl` as Graph's do (a secret: anyone holding it can open the
 * item; tests check that none leaks). `description` is kept (Graph documents driveItem.description
 * as read-write on OneDrive Personal); `descriptionWritable: false` makes the fake ignore it on
 * PATCH the way a OneDrive for Business library may.
 *
 * Errors use Graph's body shape {"error":{"code","message","innerError":{"date","request-id"}}}.
 * Every /v1.0 request needs `Authorization: Bearer <token issued here>` (else 401
 * InvalidAuthenticationToken). Tests drive it with the methods below: users, folders, files,
 * edits, deletes, sharing, fault injection and counters.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mulberry32 } from '../../src/util/prng.js';

export interface FakeUser {
  id: string;
  userPrincipalName: string;
  mail: string;
  driveId?: string;
}

export interface FakePermission {
  id: string;
  roles: string[];
  /** `webUrl` is filled in by share()/createLink when absent (as Graph returns it). */
  link?: { scope: 'anonymous' | 'organization' | 'users'; type: 'view' | 'edit'; webUrl?: string; preventsDownload?: boolean };
  grantedToV2?: { user: { id?: string; displayName?: string; email?: string } };
  grantedToIdentitiesV2?: { user: { id?: string; displayName?: string; email?: string } }[];
  invitation?: { email: string; signInRequired: boolean };
  hasPassword?: boolean;
  expirationDateTime?: string;
}

/** A permission as GET …/permissions answers it: own, the owner's, or inherited from a folder. */
export type EffectivePermission = FakePermission & { inheritedFrom?: { driveId: string; id: string; path: string } };

export interface FakeItem {
  id: string;
  driveId: string;
  name: string;
  parentId?: string;
  root?: boolean;
  folder?: boolean;
  mimeType?: string;
  content?: Buffer;
  eTag: string;
  cTag: string;
  lastModified: string;
  /** Change sequence number: the delta feed is ordered by it. */
  seq: number;
  deleted?: boolean;
  /** The item's own (non-inherited) permissions; the owner's is implied (see effectivePermissions). */
  permissions: FakePermission[];
  description?: string;
}

export interface Fault {
  /** Matches the request path (with the query), e.g. /\/content$/ or /root\/delta/. */
  match: RegExp;
  /** Only requests with this method (GET, POST, PATCH, DELETE); default any. */
  method?: string;
  status: number;
  code?: string;
  message?: string;
  /** Retry-After header value, e.g. '0.2' or '1'. */
  retryAfter?: string;
  /** How many requests it hits (default 1; unlimited while `probability` is set). */
  times?: number;
  /** Hit this share of matching requests instead, drawn from a PRNG seeded with `seed`. */
  probability?: number;
  seed?: number;
  /** Filled in: how many requests this fault answered. */
  hits?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  at: number;
  auth: boolean;
  status?: number;
}

export interface GraphFakeOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Largest delta page the server returns (it also honours a smaller $top). */
  deltaPageSize?: number;
  usersPageSize?: number;
  domains?: string[];
  /** Lifetime of download URLs in ms. */
  downloadTtlMs?: number;
  /** false: PATCH ignores `description` (answers 200 without keeping it). Default true. */
  descriptionWritable?: boolean;
  /** The tenant's default link scope when createLink has none. Default organization. */
  defaultLinkScope?: 'anonymous' | 'organization' | 'users';
}

const STATUS_CODES: Record<number, string> = {
  400: 'invalidRequest',
  401: 'InvalidAuthenticationToken',
  403: 'accessDenied',
  404: 'itemNotFound',
  409: 'nameAlreadyExists',
  410: 'resyncRequired',
  429: 'TooManyRequests',
  500: 'generalException',
  503: 'serviceNotAvailable',
};


export class GraphFake {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  refreshToken: string;
  readonly domains: string[];
  deltaPageSize: number;
  usersPageSize: number;
  downloadTtlMs: number;
  descriptionWritable: boolean;
  defaultLinkScope: 'anonymous' | 'organization' | 'users';

  readonly users: FakeUser[] = [];
  readonly items = new Map<string, FakeItem>();
  readonly drives = new Map<string, { id: string; ownerId: string; rootId: string; minToken: number }>();
  readonly requests: RequestRecord[] = [];
  readonly faults: Fault[] = [];
  private removedHits = 0;
  counters = { tokenRequests: 0, downloads: 0, downloadsWithAuth: 0, expiredDownloads: 0, invitationsSent: 0 };

  private seq = 0;
  private nextId = 1;
  private readonly accessTokens = new Set<string>();
  /**
   * Refresh tokens AAD accepts. AAD hands out a new refresh token on every use but "doesn't
   * revoke old refresh tokens when used to fetch new access tokens" (Microsoft identity
   * platform, Refresh tokens), so every token issued stays valid until revokeRefreshTokens().
   */
  private readonly refreshTokens = new Set<string>();
  private readonly hooks: Array<(rec: RequestRecord) => void> = [];
  private readonly downloadTokens = new Map<string, { itemId: string; exp: number }>();
  private expireNext = 0;
  private server: Server | undefined;
  url = '';

  constructor(opts: GraphFakeOptions = {}) {
    this.tenantId = opts.tenantId ?? 'contoso.onmicrosoft.com';
    this.clientId = opts.clientId ?? 'app-client-id';
    this.clientSecret = opts.clientSecret ?? 'app-client-secret';
    this.refreshToken = opts.refreshToken ?? 'refresh-token-1';
    this.refreshTokens.add(this.refreshToken);
    this.domains = opts.domains ?? ['contoso.com', 'contoso.onmicrosoft.com'];
    this.deltaPageSize = opts.deltaPageSize ?? 3;
    this.usersPageSize = opts.usersPageSize ?? 2;
    this.downloadTtlMs = opts.downloadTtlMs ?? 60_000;
    this.descriptionWritable = opts.descriptionWritable ?? true;
    this.defaultLinkScope = opts.defaultLinkScope ?? 'organization';
  }

  static async start(opts: GraphFakeOptions = {}): Promise<GraphFake> {
    const f = new GraphFake(opts);
    await f.listen();
    return f;
  }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.graphError(res, 500, 'generalException', String(err));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  // ------------------------------------------------------------------ programmatic API

  private newId(prefix = '01ITEM'): string {
    return `${prefix}${String(this.nextId++).padStart(6, '0')}`;
  }

  private bump(it: FakeItem, content: boolean): void {
    it.seq = ++this.seq;
    it.eTag = `"{${it.id}},${it.seq}"`;
    if (content) it.cTag = `"c:{${it.id}},${it.seq}"`;
    it.lastModified = new Date(Date.UTC(2026, 0, 1) + it.seq * 1000).toISOString();
  }

  /** A user, with a drive (and its root folder) unless `drive: false`. */
  addUser(upn: string, opts: { drive?: boolean } = {}): FakeUser {
    const user: FakeUser = { id: randomUUID(), userPrincipalName: upn, mail: upn };
    if (opts.drive !== false) {
      const driveId = `b!${randomBytes(9).toString('base64url')}`;
      user.driveId = driveId;
      const root: FakeItem = { id: this.newId('01ROOT'), driveId, name: 'root', root: true, folder: true, eTag: '', cTag: '', lastModified: '', seq: 0, permissions: [] };
      this.bump(root, true);
      this.items.set(root.id, root);
      this.drives.set(driveId, { id: driveId, ownerId: user.id, rootId: root.id, minToken: 0 });
    }
    this.users.push(user);
    return user;
  }

  private rootOf(driveId: string): string {
    const d = this.drives.get(driveId);
    if (!d) throw new Error(`no drive ${driveId}`);
    return d.rootId;
  }

  addFolder(driveId: string, name: string, parentId?: string): FakeItem {
    const it: FakeItem = { id: this.newId(), driveId, name, parentId: parentId ?? this.rootOf(driveId), folder: true, eTag: '', cTag: '', lastModified: '', seq: 0, permissions: [] };
    this.bump(it, true);
    this.items.set(it.id, it);
    return it;
  }

  addFile(driveId: string, name: string, mimeType: string, content: Buffer, parentId?: string): FakeItem {
    const it: FakeItem = { id: this.newId(), driveId, name, parentId: parentId ?? this.rootOf(driveId), mimeType, content, eTag: '', cTag: '', lastModified: '', seq: 0, permissions: [] };
    this.bump(it, true);
    this.items.set(it.id, it);
    return it;
  }

  /** New content: cTag and eTag change. */
  editFile(itemId: string, content: Buffer): FakeItem {
    const it = this.item(itemId);
    it.content = content;
    this.bump(it, true);
    return it;
  }

  /** Metadata only: eTag changes, cTag does not. */
  rename(itemId: string, name: string): FakeItem {
    const it = this.item(itemId);
    it.name = name;
    this.bump(it, false);
    return it;
  }

  deleteItem(itemId: string): void {
    const it = this.item(itemId);
    it.deleted = true;
    this.bump(it, false);
  }

  /** Adds a permission (sharing link or grant); the item gets the `shared` facet. Folders' permissions are inherited by what is in them. */
  share(itemId: string, perm: Omit<FakePermission, 'id'>): FakePermission {
    const it = this.item(itemId);
    const p: FakePermission = { id: randomBytes(6).toString('hex'), ...perm };
    if (p.link) p.link = { ...p.link, webUrl: p.link.webUrl ?? this.newLinkUrl(it) };
    it.permissions.push(p);
    this.bump(it, false);
    return p;
  }

  /** A fresh sharing URL: the token in it is the secret. */
  private newLinkUrl(it: FakeItem): string {
    return `https://contoso-my.sharepoint.com/:i:/g/personal/${encodeURIComponent(it.driveId)}/${randomBytes(18).toString('base64url')}`;
  }

  /** Every sharing URL issued so far (tests check that none leaks). */
  issuedLinkUrls(): string[] {
    const out: string[] = [];
    for (const it of this.items.values()) for (const p of it.permissions) if (p.link?.webUrl) out.push(p.link.webUrl);
    return [...out, ...this.retiredLinkUrls];
  }
  private readonly retiredLinkUrls: string[] = [];

  /** The drive owner's permission, as Graph lists it on every item of a OneDrive. */
  ownerPermission(driveId: string): FakePermission {
    const d = this.drives.get(driveId)!;
    const u = this.users.find((x) => x.id === d.ownerId);
    const upn = u?.userPrincipalName ?? 'owner@unknown';
    return { id: `aTowIy5mfG1lbWJlcnNoaXB8${Buffer.from(upn).toString('base64url')}`, roles: ['owner'], grantedToV2: { user: { id: d.ownerId, displayName: upn.split('@')[0], email: upn } } };
  }

  /** What GET …/permissions answers for the item: the owner's, its own, then its folders' (inheritedFrom). */
  effectivePermissions(itemId: string): EffectivePermission[] {
    const it = this.item(itemId);
    const out: EffectivePermission[] = [this.ownerPermission(it.driveId), ...it.permissions.map((p) => structuredClone(p))];
    const seen = new Set(out.map((p) => p.id));
    for (let cur = it.parentId ? this.items.get(it.parentId) : undefined; cur; cur = cur.parentId ? this.items.get(cur.parentId) : undefined) {
      for (const p of cur.permissions) {
        if (p.roles.includes('owner') || seen.has(p.id)) continue;
        seen.add(p.id);
        const path = cur.root ? '/drive/root:' : `${this.folderPath(cur)}/${encodeURIComponent(cur.name)}`;
        out.push({ ...structuredClone(p), inheritedFrom: { driveId: cur.driveId, id: cur.id, path } });
      }
    }
    return out;
  }

  /** The live (not deleted) children of a folder. */
  childrenOf(folderId: string): FakeItem[] {
    return [...this.items.values()].filter((c) => c.parentId === folderId && !c.deleted);
  }

  /** The item at `a/b/c` below the drive's root (case-insensitive, as OneDrive names are), if any. */
  itemAtPath(driveId: string, path: string): FakeItem | undefined {
    let cur: FakeItem | undefined = this.items.get(this.rootOf(driveId));
    for (const name of path.split('/').filter(Boolean)) {
      cur = cur ? this.childrenOf(cur.id).find((c) => c.name.toLowerCase() === name.toLowerCase()) : undefined;
    }
    return cur;
  }

  item(itemId: string): FakeItem {
    const it = this.items.get(itemId);
    if (!it) throw new Error(`no item ${itemId}`);
    return it;
  }

  /** Every delta token issued so far for the drive is rejected with 410 resyncRequired. */
  invalidateDeltaTokens(driveId: string): void {
    // The change sequence moves on, so that tokens issued from now on (a fresh walk's
    // deltaLink) are accepted again even when nothing else changes meanwhile.
    this.drives.get(driveId)!.minToken = ++this.seq;
  }

  /** Adds a fault; returns a remover. */
  fail(f: Fault): () => void {
    const rule: Fault & { rand?: () => number } = f.probability !== undefined ? { ...f, times: Infinity, hits: 0, rand: mulberry32(f.seed ?? 1) } : { times: 1, ...f, hits: 0 };
    this.faults.push(rule);
    return () => {
      const i = this.faults.indexOf(rule);
      if (i >= 0) {
        this.faults.splice(i, 1);
        this.removedHits += rule.hits ?? 0;
      }
    };
  }

  /** Every injected answer so far, over all faults. */
  get faultHits(): number {
    return this.faults.reduce((n, f) => n + (f.hits ?? 0), this.removedHits);
  }

  /** Every refresh token issued so far is refused (invalid_grant), e.g. after a password reset. */
  revokeRefreshTokens(): void {
    this.refreshTokens.clear();
  }

  /** The access tokens issued so far (tests check that none leaks into messages or the database). */
  /** Every access token issued so far stops working (401 InvalidAuthenticationToken), as after a revocation. */
  revokeAccessTokens(): void {
    this.accessTokens.clear();
  }

  issuedAccessTokens(): string[] {
    return [...this.accessTokens];
  }

  /**
   * Runs `fn` on every request before it is answered (e.g. to delete an item between a listing
   * and its download); returns a remover.
   */
  onRequest(fn: (rec: RequestRecord) => void): () => void {
    this.hooks.push(fn);
    return () => {
      const i = this.hooks.indexOf(fn);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /** The next n download URLs are issued already expired. */
  expireNextDownloadUrls(n = 1): void {
    this.expireNext += n;
  }

  requestsMatching(re: RegExp): RequestRecord[] {
    return this.requests.filter((r) => re.test(r.path));
  }

  // ------------------------------------------------------------------ HTTP

  private graphError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    const requestId = randomUUID();
    const body = JSON.stringify({ error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId, 'client-request-id': requestId } } });
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, ...headers });
    res.end(body);
  }

  private json(res: ServerResponse, body: unknown, status = 200): void {
    res.writeHead(status, { 'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname + url.search;
    const auth = typeof req.headers.authorization === 'string' && req.headers.authorization.length > 0;
    const rec: RequestRecord = { method: req.method ?? 'GET', path, at: Date.now(), auth };
    this.requests.push(rec);
    res.on('finish', () => {
      rec.status = res.statusCode;
    });
    for (const h of [...this.hooks]) h(rec);

    const tokenMatch = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (tokenMatch && req.method === 'POST') return this.token(decodeURIComponent(tokenMatch[1]!), await this.readBody(req), res);

    for (const f of this.faults as Array<Fault & { rand?: () => number }>) {
      if ((f.times ?? 1) > 0 && f.match.test(path) && (f.method === undefined || f.method.toUpperCase() === rec.method)) {
        if (f.rand && f.rand() >= (f.probability ?? 0)) continue;
        f.times = (f.times ?? 1) - 1;
        f.hits = (f.hits ?? 0) + 1;
        const headers: Record<string, string> = f.retryAfter !== undefined ? { 'retry-after': f.retryAfter } : {};
        return this.graphError(res, f.status, f.code ?? STATUS_CODES[f.status] ?? 'error', f.message ?? `Injected ${f.status}`, headers);
      }
    }

    const dl = /^\/download\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (dl) return this.download(decodeURIComponent(dl[2]!), url, auth, res);

    if (!url.pathname.startsWith('/v1.0/')) return this.graphError(res, 400, 'BadRequest', `Invalid version: ${url.pathname}`);
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!bearer) return this.graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (!this.accessTokens.has(bearer)) return this.graphError(res, 401, 'InvalidAuthenticationToken', 'IDX14100: JWT is not well formed.');
    const method = rec.method.toUpperCase();
    const p = url.pathname.slice('/v1.0'.length).split('/').map(decodeURIComponent);
    // p[0] === ''
    const notFound = () => this.graphError(res, 404, 'itemNotFound', 'The resource could not be found.');
    const notAllowed = () => this.graphError(res, 405, 'BadRequest', `Method ${method} not allowed on ${url.pathname}`);
    let body: Record<string, unknown> = {};
    if (method === 'POST' || method === 'PATCH') {
      const raw = await this.readBody(req);
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return this.graphError(res, 400, 'BadRequest', 'Unable to read JSON request payload.');
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) return this.graphError(res, 400, 'BadRequest', 'The request payload must be a JSON object.');
    }
    if (p[1] === 'shares' && p.length === 5 && p[3] === 'permission' && p[4] === 'grant') {
      if (method !== 'POST') return notAllowed();
      return this.grantLink(p[2]!, body, res);
    }
    if (method !== 'GET' && !(p[1] === 'drives')) return notAllowed();
    if (p[1] === 'users' && p.length === 2) return this.listUsers(url, res);
    if (p[1] === 'users' && p.length === 4 && p[3] === 'drive') return this.userDrive(p[2]!, res);
    if (p[1] === 'organization' && p.length === 2) {
      return this.json(res, { value: [{ id: randomUUID(), displayName: 'Contoso', verifiedDomains: this.domains.map((name, i) => ({ name, isDefault: i === 0, isInitial: name.endsWith('.onmicrosoft.com'), type: 'Managed', capabilities: 'Email, OfficeCommunicationsOnline' })) }] });
    }
    if (p[1] === 'drives' && p.length >= 4) {
      const drive = this.drives.get(p[2]!);
      if (!drive) return notFound();
      if (p[3] === 'root' && p[4] === 'delta' && p.length === 5) return method === 'GET' ? this.delta(drive.id, url, res) : notAllowed();
      // Addressing: /items/{id}/rest, /root/rest, or the path form /root:/a/b[:]/rest.
      let it: FakeItem | undefined;
      let rest: string[];
      if (p[3] === 'items' && p.length >= 5) {
        it = this.items.get(p[4]!);
        if (it && (it.driveId !== drive.id || it.deleted)) it = undefined;
        rest = p.slice(5);
      } else if (p[3] === 'root') {
        it = this.items.get(drive.rootId);
        rest = p.slice(4);
      } else if (p[3]!.startsWith('root:')) {
        const names: string[] = [];
        let i = 4;
        if (p[3] === 'root:') {
          for (; i < p.length; i++) {
            const seg = p[i]!;
            if (seg.endsWith(':')) {
              if (seg.length > 1) names.push(seg.slice(0, -1));
              i++;
              break;
            }
            names.push(seg);
          }
        }
        it = this.itemAtPath(drive.id, names.join('/'));
        rest = p.slice(i);
      } else {
        return this.graphError(res, 400, 'BadRequest', `Resource not found for the segment '${p[3] ?? ''}'.`);
      }
      if (!it) return notFound();
      if (rest.length === 0) {
        if (method === 'GET') return this.json(res, this.select(this.view(it, true), url));
        if (method === 'PATCH') return this.update(it, body, url, req, res);
        return notAllowed();
      }
      if (rest[0] === 'content' && rest.length === 1) return method === 'GET' ? this.content(it, res) : notAllowed();
      if (rest[0] === 'permissions' && rest.length === 1) return method === 'GET' ? this.json(res, { value: this.effectivePermissions(it.id) }) : notAllowed();
      if (rest[0] === 'permissions' && rest.length === 2) {
        const perm = this.effectivePermissions(it.id).find((x) => x.id === rest[1]);
        if (method === 'GET') return perm ? this.json(res, perm) : notFound();
        if (method === 'DELETE') return this.deletePermission(it, perm, res);
        return notAllowed();
      }
      if (rest[0] === 'createLink' && rest.length === 1) return method === 'POST' ? this.createLink(it, body, res) : notAllowed();
      if (rest[0] === 'invite' && rest.length === 1) return method === 'POST' ? this.invite(it, body, res) : notAllowed();
      if (rest[0] === 'children' && rest.length === 1) {
        if (method === 'GET') return this.json(res, { value: this.childrenOf(it.id).map((c) => this.select(this.view(c, true), url)) });
        if (method === 'POST') return this.createChild(it, body, url, res);
        return notAllowed();
      }
    }
    return this.graphError(res, 400, 'BadRequest', `Resource not found for the segment '${p[1] ?? ''}'.`);
  }

  // ------------------------------------------------------------------ writes

  private static readonly BAD_NAME = /["*:<>?/\\|]|^\s|\s$|^\.+$|^$/;

  private conflictBehavior(body: Record<string, unknown>, url: URL): string {
    const v = body['@microsoft.graph.conflictBehavior'] ?? url.searchParams.get('@microsoft.graph.conflictBehavior') ?? 'fail';
    return String(v);
  }

  /** A sibling in `parentId` named `name` (case-insensitive), other than `self`. */
  private sibling(parentId: string, name: string, self?: string): FakeItem | undefined {
    return this.childrenOf(parentId).find((c) => c.id !== self && c.name.toLowerCase() === name.toLowerCase());
  }

  /** `name 1.ext`, `name 2.ext`, ... : the first one free in the folder (OneDrive's rename). */
  private freeName(parentId: string, name: string, self?: string): string {
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : '';
    for (let n = 1; ; n++) {
      const cand = `${stem} ${n}${ext}`;
      if (!this.sibling(parentId, cand, self)) return cand;
    }
  }

  private update(it: FakeItem, body: Record<string, unknown>, url: URL, req: IncomingMessage, res: ServerResponse): void {
    const ifMatch = req.headers['if-match'];
    if (typeof ifMatch === 'string' && ifMatch !== '*' && ifMatch !== it.eTag && ifMatch !== it.cTag) {
      return this.graphError(res, 412, 'preconditionFailed', 'ETag does not match current item\'s value');
    }
    const known = new Set(['name', 'description', 'parentReference', '@microsoft.graph.conflictBehavior', 'fileSystemInfo']);
    for (const k of Object.keys(body)) if (!known.has(k)) return this.graphError(res, 400, 'invalidRequest', `Property ${k} is read-only or not supported on driveItem.`);
    let parentId = it.parentId;
    const ref = body.parentReference as { id?: unknown; driveId?: unknown; path?: unknown } | undefined;
    if (ref !== undefined) {
      if (it.root) return this.graphError(res, 400, 'invalidRequest', 'The root folder cannot be moved.');
      if (!ref || typeof ref !== 'object') return this.graphError(res, 400, 'invalidRequest', 'parentReference must be an object.');
      if (ref.driveId !== undefined && ref.driveId !== it.driveId) return this.graphError(res, 400, 'invalidRequest', 'Items cannot be moved between drives using this request.');
      let parent: FakeItem | undefined;
      if (typeof ref.id === 'string') {
        if (ref.id === 'root') return this.graphError(res, 400, 'invalidRequest', 'Use the id of the root folder, not "root", in parentReference.');
        parent = this.items.get(ref.id);
      } else if (typeof ref.path === 'string') {
        const m = /^\/drive\/root:(.*)$/.exec(ref.path);
        parent = m ? this.itemAtPath(it.driveId, decodeURIComponent(m[1]!)) : undefined;
      } else return this.graphError(res, 400, 'invalidRequest', 'parentReference needs an id or a path.');
      if (!parent || parent.deleted || parent.driveId !== it.driveId) return this.graphError(res, 404, 'itemNotFound', 'The parent item could not be found.');
      if (!parent.folder) return this.graphError(res, 400, 'invalidRequest', 'The parent item is not a folder.');
      for (let cur: FakeItem | undefined = parent; cur; cur = cur.parentId ? this.items.get(cur.parentId) : undefined) {
        if (cur.id === it.id) return this.graphError(res, 400, 'invalidRequest', 'An item cannot be moved into itself or one of its descendants.');
      }
      parentId = parent.id;
    }
    let name = it.name;
    if (body.name !== undefined) {
      if (typeof body.name !== 'string' || GraphFake.BAD_NAME.test(body.name)) return this.graphError(res, 400, 'invalidRequest', 'The provided name contains invalid characters or is empty.');
      name = body.name;
    }
    if (parentId && (parentId !== it.parentId || name !== it.name)) {
      const other = this.sibling(parentId, name, it.id);
      if (other) {
        const cb = this.conflictBehavior(body, url);
        if (cb === 'rename') name = this.freeName(parentId, name, it.id);
        else if (cb === 'replace' && !other.folder && !it.folder) {
          other.deleted = true;
          this.bump(other, false);
        } else return this.graphError(res, 409, 'nameAlreadyExists', 'The specified item name already exists.');
      }
    }
    if (body.description !== undefined && typeof body.description !== 'string' && body.description !== null) return this.graphError(res, 400, 'invalidRequest', 'description must be a string.');
    it.parentId = parentId;
    it.name = name;
    if (body.description !== undefined && this.descriptionWritable) it.description = (body.description as string | null) ?? undefined;
    this.bump(it, false);
    this.json(res, this.view(it, true));
  }

  private createChild(parent: FakeItem, body: Record<string, unknown>, url: URL, res: ServerResponse): void {
    if (!parent.folder) return this.graphError(res, 400, 'invalidRequest', 'The parent item is not a folder.');
    if (body.folder === undefined || body.folder === null || typeof body.folder !== 'object') return this.graphError(res, 400, 'invalidRequest', 'Only folders can be created this way; upload file content with PUT.');
    if (typeof body.name !== 'string' || GraphFake.BAD_NAME.test(body.name)) return this.graphError(res, 400, 'invalidRequest', 'The provided name contains invalid characters or is empty.');
    let name = body.name;
    const other = this.sibling(parent.id, name);
    if (other) {
      const cb = this.conflictBehavior(body, url);
      if (cb === 'rename') name = this.freeName(parent.id, name);
      else if (cb === 'replace' && other.folder) return this.json(res, this.view(other, true), 200);
      else return this.graphError(res, 409, 'nameAlreadyExists', 'The specified item name already exists.');
    }
    const f = this.addFolder(parent.driveId, name, parent.id);
    this.json(res, this.view(f, true), 201);
  }

  private deletePermission(it: FakeItem, perm: EffectivePermission | undefined, res: ServerResponse): void {
    if (!perm) return this.graphError(res, 404, 'itemNotFound', 'The permission could not be found.');
    if (perm.roles.includes('owner')) return this.graphError(res, 403, 'accessDenied', "The owner's permission cannot be removed.");
    if (perm.inheritedFrom) {
      return this.graphError(res, 400, 'invalidRequest', 'Only sharing permissions that are not inherited can be deleted; the inheritedFrom property must be null.');
    }
    const i = it.permissions.findIndex((x) => x.id === perm.id);
    const [gone] = it.permissions.splice(i, 1);
    if (gone?.link?.webUrl) this.retiredLinkUrls.push(gone.link.webUrl);
    this.bump(it, false);
    res.writeHead(204);
    res.end();
  }

  private createLink(it: FakeItem, body: Record<string, unknown>, res: ServerResponse): void {
    const type = body.type;
    if (type === 'embed') return this.graphError(res, 400, 'invalidRequest', 'Embed links are only supported on OneDrive personal.');
    if (type !== 'view' && type !== 'edit') return this.graphError(res, 400, 'invalidRequest', 'Invalid value for type: expected view, edit or embed.');
    const scope = body.scope ?? this.defaultLinkScope;
    if (scope !== 'anonymous' && scope !== 'organization' && scope !== 'users') return this.graphError(res, 400, 'invalidRequest', 'Invalid value for scope: expected anonymous, organization or users.');
    if (body.password !== undefined) return this.graphError(res, 400, 'invalidRequest', 'Passwords on links are only supported on OneDrive personal.');
    if (it.root) return this.graphError(res, 403, 'accessDenied', 'The root folder cannot be shared.');
    const existing = it.permissions.find((x) => x.link?.type === type && x.link.scope === scope);
    if (existing) return this.json(res, existing, 200);
    const p: FakePermission = { id: randomBytes(6).toString('hex'), roles: [type === 'edit' ? 'write' : 'read'], link: { type, scope, webUrl: this.newLinkUrl(it), preventsDownload: false }, hasPassword: false };
    if (scope === 'users') p.grantedToIdentitiesV2 = [];
    if (typeof body.expirationDateTime === 'string') p.expirationDateTime = body.expirationDateTime;
    it.permissions.push(p);
    this.bump(it, false);
    this.json(res, p, 201);
  }

  /** Recipients (driveRecipient: email, objectId or alias) as identities; undefined when one is invalid. */
  private recipients(body: Record<string, unknown>): Array<{ id?: string; displayName?: string; email?: string }> | undefined {
    const list = body.recipients;
    if (!Array.isArray(list) || list.length === 0) return undefined;
    const out: Array<{ id?: string; displayName?: string; email?: string }> = [];
    for (const r of list as Array<{ email?: unknown; objectId?: unknown; alias?: unknown }>) {
      if (r && typeof r.email === 'string' && r.email.includes('@')) {
        const email = r.email.toLowerCase();
        const u = this.users.find((x) => x.userPrincipalName.toLowerCase() === email || x.mail.toLowerCase() === email);
        out.push(u ? { id: u.id, displayName: u.userPrincipalName.split('@')[0], email } : { displayName: email, email });
      } else if (r && typeof r.objectId === 'string') {
        const u = this.users.find((x) => x.id === r.objectId);
        if (!u) return undefined;
        out.push({ id: u.id, displayName: u.userPrincipalName.split('@')[0], email: u.userPrincipalName.toLowerCase() });
      } else return undefined;
    }
    return out;
  }

  private roles(body: Record<string, unknown>): string[] | undefined {
    const roles = body.roles;
    if (!Array.isArray(roles) || roles.length !== 1 || (roles[0] !== 'read' && roles[0] !== 'write')) return undefined;
    return [roles[0] as string];
  }

  private invite(it: FakeItem, body: Record<string, unknown>, res: ServerResponse): void {
    const people = this.recipients(body);
    if (!people) return this.graphError(res, 400, 'invalidRequest', 'recipients must be a non-empty list of driveRecipient (email or objectId).');
    const roles = this.roles(body);
    if (!roles) return this.graphError(res, 400, 'invalidRequest', 'Invalid value for role: expected ["read"] or ["write"].');
    if (it.root) return this.graphError(res, 403, 'accessDenied', 'The root folder cannot be shared.');
    const signIn = body.requireSignIn === true;
    if (body.sendInvitation === true) this.counters.invitationsSent += people.length;
    const out: FakePermission[] = [];
    for (const user of people) {
      let p = it.permissions.find((x) => !x.link && x.grantedToV2?.user.email?.toLowerCase() === user.email);
      if (p) p.roles = roles;
      else {
        p = { id: randomBytes(6).toString('hex'), roles, grantedToV2: { user }, invitation: { email: user.email!, signInRequired: signIn } };
        it.permissions.push(p);
      }
      out.push(p);
    }
    this.bump(it, false);
    this.json(res, { value: out });
  }

  /** POST /shares/{u!…}/permission/grant: people added to a specific-people link. */
  private grantLink(encoded: string, body: Record<string, unknown>, res: ServerResponse): void {
    let url: string;
    try {
      if (!encoded.startsWith('u!')) throw new Error('prefix');
      url = Buffer.from(encoded.slice(2), 'base64url').toString('utf8');
    } catch {
      return this.graphError(res, 400, 'invalidRequest', 'The sharing URL is not encoded correctly.');
    }
    let hit: { it: FakeItem; p: FakePermission } | undefined;
    for (const it of this.items.values()) for (const p of it.permissions) if (p.link?.webUrl === url && !it.deleted) hit = { it, p };
    if (!hit) return this.graphError(res, 404, 'itemNotFound', 'The sharing link could not be found.');
    const people = this.recipients(body);
    if (!people) return this.graphError(res, 400, 'invalidRequest', 'recipients must be a non-empty list of driveRecipient (email or objectId).');
    if (!this.roles(body)) return this.graphError(res, 400, 'invalidRequest', 'Invalid value for role: expected ["read"] or ["write"].');
    if (hit.p.link!.scope !== 'users') return this.graphError(res, 400, 'invalidRequest', 'Only specific-people links can be granted to recipients.');
    const ids = (hit.p.grantedToIdentitiesV2 ??= []);
    for (const user of people) if (!ids.some((x) => x.user.email === user.email)) ids.push({ user });
    this.bump(hit.it, false);
    this.json(res, { value: [hit.p] });
  }

  private token(tenant: string, body: string, res: ServerResponse): void {
    this.counters.tokenRequests++;
    const form = new URLSearchParams(body);
    const aad = (status: number, error: string, desc: string) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error, error_description: `${desc}\r\nTrace ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`, error_codes: [7000215], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() }));
    };
    if (tenant !== this.tenantId) return aad(400, 'invalid_request', `AADSTS90002: Tenant '${tenant}' not found.`);
    if (form.get('client_id') !== this.clientId) return aad(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`);
    if (!/graph\.microsoft\.com\/\.default/.test(form.get('scope') ?? '')) return aad(400, 'invalid_scope', 'AADSTS70011: The provided value for the input parameter scope is not valid.');
    const grant = form.get('grant_type');
    let refresh: string | undefined;
    if (grant === 'client_credentials') {
      if (form.get('client_secret') !== this.clientSecret) return aad(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    } else if (grant === 'refresh_token') {
      if (!this.refreshTokens.has(form.get('refresh_token') ?? '')) return aad(400, 'invalid_grant', 'AADSTS70000: The provided value for the refresh token is not valid.');
      // AAD rotates refresh tokens (the old one stays valid, see refreshTokens).
      this.refreshToken = refresh = `refresh-token-${randomBytes(4).toString('hex')}`;
      this.refreshTokens.add(refresh);
    } else {
      return aad(400, 'unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${grant}'.`);
    }
    const token = `eyJ0eXAiOiJKV1QifQ.${randomBytes(16).toString('base64url')}.sig`;
    this.accessTokens.add(token);
    const out: Record<string, unknown> = { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token };
    if (refresh) out.refresh_token = refresh;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(out));
  }

  private listUsers(url: URL, res: ServerResponse): void {
    const top = Math.min(Number(url.searchParams.get('$top') ?? 100) || 100, this.usersPageSize);
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const page = this.users.slice(skip, skip + top).map((u) => this.select({ id: u.id, userPrincipalName: u.userPrincipalName, mail: u.mail, displayName: u.userPrincipalName.split('@')[0] }, url));
    const body: Record<string, unknown> = { '@odata.context': `${this.url}/v1.0/$metadata#users`, value: page };
    if (skip + top < this.users.length) {
      const next = new URL(url.toString());
      next.searchParams.set('$skiptoken', String(skip + top));
      body['@odata.nextLink'] = next.toString().replace(/%24/g, '$');
    }
    this.json(res, body);
  }

  private userDrive(idOrUpn: string, res: ServerResponse): void {
    const u = this.users.find((x) => x.id === idOrUpn || x.userPrincipalName.toLowerCase() === idOrUpn.toLowerCase());
    if (!u) return this.graphError(res, 404, 'Request_ResourceNotFound', `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`);
    if (!u.driveId) return this.graphError(res, 404, 'ResourceNotFound', "User's mysite not found.");
    this.json(res, { id: u.driveId, driveType: 'business', owner: { user: { id: u.id, displayName: u.userPrincipalName } } });
  }

  private folderPath(it: FakeItem): string {
    const names: string[] = [];
    let cur = it.parentId ? this.items.get(it.parentId) : undefined;
    while (cur && !cur.root) {
      names.unshift(encodeURIComponent(cur.name));
      cur = cur.parentId ? this.items.get(cur.parentId) : undefined;
    }
    return `/drive/root:${names.length ? `/${names.join('/')}` : ''}`;
  }

  /** The driveItem resource; `withPath` for item GETs (delta responses carry no parentReference.path). */
  private view(it: FakeItem, withPath: boolean): Record<string, unknown> {
    if (it.deleted) return { id: it.id, name: it.name, deleted: { state: 'deleted' }, parentReference: { driveId: it.driveId, driveType: 'business', id: it.parentId } };
    const v: Record<string, unknown> = {
      id: it.id,
      name: it.name,
      eTag: it.eTag,
      cTag: it.cTag,
      createdDateTime: it.lastModified,
      lastModifiedDateTime: it.lastModified,
      size: it.content?.length ?? 0,
      webUrl: `https://contoso-my.sharepoint.com/personal/${it.driveId}/${encodeURIComponent(it.name)}`,
    };
    if (it.description !== undefined) v.description = it.description;
    if (it.root) v.root = {};
    else {
      const parent: Record<string, unknown> = { driveId: it.driveId, driveType: 'business', id: it.parentId };
      if (withPath) parent.path = this.folderPath(it);
      v.parentReference = parent;
    }
    if (it.folder) v.folder = { childCount: [...this.items.values()].filter((c) => c.parentId === it.id && !c.deleted).length };
    else v.file = { mimeType: it.mimeType, hashes: { quickXorHash: createHash('sha1').update(it.content ?? Buffer.alloc(0)).digest('base64') } };
    if (it.permissions.some((p) => !p.roles.includes('owner'))) {
      // shared.scope: anonymous | organization | users (the widest link wins; grants are `users`)
      const scope = it.permissions.some((p) => p.link?.scope === 'anonymous') ? 'anonymous' : it.permissions.some((p) => p.link?.scope === 'organization') ? 'organization' : 'users';
      v.shared = { scope, owner: { user: { displayName: 'Owner' } } };
    }
    return v;
  }

  private select(v: Record<string, unknown>, url: URL): Record<string, unknown> {
    const sel = url.searchParams.get('$select');
    if (!sel) return v;
    const keep = new Set(sel.split(',').map((s) => s.trim()));
    keep.add('id');
    return Object.fromEntries(Object.entries(v).filter(([k]) => keep.has(k)));
  }

  /**
   * Delta: items ordered by change sequence. No token: the current state (no tombstones).
   * token=N: everything changed after N, tombstones included. Pages are keyset-paged on the
   * sequence number ($skiptoken), so a resumed walk neither repeats nor misses items.
   */
  private delta(driveId: string, url: URL, res: ServerResponse): void {
    const drive = this.drives.get(driveId)!;
    const tokenParam = url.searchParams.get('token');
    const skipParam = url.searchParams.get('$skiptoken');
    let since: number | undefined;
    let after = 0;
    if (skipParam) {
      try {
        const s = JSON.parse(Buffer.from(skipParam, 'base64url').toString('utf8')) as { s: number | null; a: number };
        since = s.s ?? undefined;
        after = s.a;
      } catch {
        return this.graphError(res, 400, 'invalidRequest', 'Invalid skip token.');
      }
    } else if (tokenParam !== null) {
      if (tokenParam === 'latest') {
        return this.json(res, { value: [], '@odata.deltaLink': this.deltaLink(driveId, this.seq, url) });
      }
      since = Number(tokenParam);
      if (!Number.isInteger(since)) return this.graphError(res, 400, 'invalidRequest', 'Invalid token.');
    }
    if (since !== undefined && since < drive.minToken) {
      return this.graphError(res, 410, 'resyncRequired', "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.", { location: `${this.url}/v1.0/drives/${driveId}/root/delta` });
    }
    const floor = Math.max(after, since ?? 0);
    const candidates = [...this.items.values()]
      .filter((it) => it.driveId === driveId && it.seq > floor && (since !== undefined || !it.deleted))
      .sort((a, b) => a.seq - b.seq);
    const top = Math.min(Number(url.searchParams.get('$top') ?? this.deltaPageSize) || this.deltaPageSize, this.deltaPageSize);
    const page = candidates.slice(0, top);
    const body: Record<string, unknown> = { '@odata.context': `${this.url}/v1.0/$metadata#Collection(driveItem)`, value: page.map((it) => this.select(this.view(it, false), url)) };
    if (candidates.length > top) {
      const next = new URL(`${this.url}/v1.0/drives/${driveId}/root/delta`);
      for (const [k, v] of url.searchParams) if (k !== 'token' && k !== '$skiptoken') next.searchParams.set(k, v);
      next.searchParams.set('$skiptoken', Buffer.from(JSON.stringify({ s: since ?? null, a: page[page.length - 1]!.seq })).toString('base64url'));
      body['@odata.nextLink'] = next.toString().replace(/%24/g, '$').replace(/%2C/g, ',');
    } else {
      body['@odata.deltaLink'] = this.deltaLink(driveId, this.seq, url);
    }
    this.json(res, body);
  }

  private deltaLink(driveId: string, token: number, url: URL): string {
    const link = new URL(`${this.url}/v1.0/drives/${driveId}/root/delta`);
    for (const [k, v] of url.searchParams) if (k !== 'token' && k !== '$skiptoken') link.searchParams.set(k, v);
    link.searchParams.set('token', String(token));
    return link.toString().replace(/%24/g, '$').replace(/%2C/g, ',');
  }

  private content(it: FakeItem, res: ServerResponse): void {
    if (it.folder) return this.graphError(res, 400, 'invalidRequest', 'Cannot download a folder.');
    const token = randomBytes(12).toString('base64url');
    let exp = Date.now() + this.downloadTtlMs;
    if (this.expireNext > 0) {
      this.expireNext--;
      exp = Date.now() - 1000;
    }
    this.downloadTokens.set(token, { itemId: it.id, exp });
    res.writeHead(302, { location: `${this.url}/download/${encodeURIComponent(it.driveId)}/${encodeURIComponent(it.id)}?token=${token}&exp=${exp}` });
    res.end();
  }

  private download(itemId: string, url: URL, auth: boolean, res: ServerResponse): void {
    this.counters.downloads++;
    if (auth) this.counters.downloadsWithAuth++;
    const t = this.downloadTokens.get(url.searchParams.get('token') ?? '');
    if (!t || t.itemId !== itemId || t.exp < Date.now()) {
      this.counters.expiredDownloads++;
      return this.graphError(res, 401, 'unauthenticated', 'The download URL has expired or is not valid.');
    }
    const it = this.items.get(itemId);
    if (!it || it.deleted) return this.graphError(res, 404, 'itemNotFound', 'The resource could not be found.');
    const body = it.content ?? Buffer.alloc(0);
    res.writeHead(200, { 'content-type': it.mimeType ?? 'application/octet-stream', 'content-length': String(body.length) });
    res.end(body);
  }
}
