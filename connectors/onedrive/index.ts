/**
 * The OneDrive (for Business) connector, on Microsoft Graph v1.0 through the official
 * `@microsoft/microsoft-graph-client`.
 *
 * Sources:
 *   onedrive://<tenant>       every user's drive: GET /users (paged) + GET /users/{id}/drive;
 *                             users without a drive (404, mysite not provisioned) are skipped
 *                             with a debug note. Needs app-only credentials.
 *   onedrive://<user@domain>  one user's drive (app-only or delegated refresh-token credentials).
 * Credentials: see ./auth.ts (opts.credentialsFile or CASB_ONEDRIVE_CREDENTIALS; never logged).
 * Tenant domains (exposure): opts.domains, else the credentials' `domains`, else
 * GET /organization verifiedDomains, else the user's / tenant's own domain.
 *
 * Listing is the delta walk of each drive's root (GET /drives/{d}/root/delta, $select minimal)
 * from @odata.nextLink to @odata.deltaLink. Only files whose file.mimeType is image/* become
 * ObjectRefs (externalId `<driveId>!<itemId>`, etag = cTag, falling back to eTag). Delta
 * responses carry no parentReference.path, so folder paths are rebuilt from the folder items
 * of the walk (parents come first); an unknown parent is looked up once with GET
 * /drives/{d}/items/{id} (which has the path) and cached.
 *
 * Cursors (opaque JSON, `v: 1`), see CursorState below:
 *   list nextCursor   {"v":1,"drives":{"<driveId>":{"u":"<user>","link":"<nextLink>"},
 *                                      "<doneDriveId>":{"u":"…","link":"<deltaLink>","done":true}}}
 *   changesCursor     {"v":1,"drives":{"<driveId>":{"u":"<user>","link":"<deltaLink>"}, …}}
 *   changes nextCursor like the list cursor: finished drives carry their new deltaLink + done.
 * Links are stored relative to the API root (`/drives/…/root/delta?token=…`).
 *
 * Retrying: the Graph client runs with a custom middleware chain (our auth middleware +
 * HTTPMessageHandler: no RetryHandler, no RedirectHandler), so the shared withRetry fed by
 * classifyGraphError is the only thing that retries. 429/503 pause the whole drive: every
 * request for that drive waits until the drive's "paused until" time (Retry-After, or the
 * backoff delay when the header is missing). Counted in stats.throttled.
 *
 * open(): GET /drives/{d}/items/{i}/content answers 302 to a short-lived pre-authenticated
 * download URL; it is followed without the bearer token and never stored. A URL that has
 * expired (401/403/410) is fetched again via /content once.
 *
 * Remediation (inspect, removeGrants, addGrants, quarantine, release, tag): ./remediate.ts, on
 * the same client and retry path. It needs Files.ReadWrite.All (application) where the scan
 * needs only Files.Read.All.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Client, HTTPMessageHandler, ResponseType } from '@microsoft/microsoft-graph-client';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { CursorExpiredError } from '../contract.js';
import type { ChangePage, Connector, ConnectorOptions, ConnectorStats, Exposure, Grant, ListOptions, LiveState, ObjectRef, OpenOptions, Page, QuarantineTarget } from '../contract.js';
import type { ErrorClass, RetryOptions } from '../../src/util/retry.js';
import { DEFAULT_RETRY, countingRetry, sleep, withRetry } from '../../src/util/retry.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { debugHook } from '../../src/util/log.js';
import { limitStream } from '../stream-limit.js';
import { TokenClient, TokenError, loadCredentials } from './auth.js';
import type { OnedriveCredentials } from './auth.js';
import { GraphHttpError, classifyGraphError, describeGraphError, graphErrorFacts, graphErrorReason, isResyncError, toItemError } from './errors.js';
import { exposureFromPermissions, folderOf } from './exposure.js';
import type { GraphPermission } from './exposure.js';
import { parseOnedriveUri } from './uri.js';
import type { OnedriveScope } from './uri.js';
import { OnedriveRemediation } from './remediate.js';

export { parseOnedriveUri, isOnedriveUri } from './uri.js';
export { classifyGraphError, graphErrorReason } from './errors.js';
export { exposureFromPermissions } from './exposure.js';
export { DEFAULT_QUARANTINE_FOLDER, parseDescriptionTags, mergeDescriptionTags } from './remediate.js';

export const DEFAULT_API_URL = 'https://graph.microsoft.com';
/** Fields asked of delta: what an ObjectRef, a folder path and the exposure decision need. */
export const DELTA_SELECT = 'id,name,size,file,folder,root,deleted,eTag,cTag,lastModifiedDateTime,parentReference,shared';

export interface OnedriveConnectorOptions extends ConnectorOptions {
  /** Programmatic credentials (tests, embedding); the CLI uses credentialsFile / the env variable. */
  credentials?: OnedriveCredentials;
  /** The tenant's own domains for exposure; overrides credentials.domains and /organization. */
  domains?: string[];
  /** Delta page size ($top); Graph decides the real size, this is a hint. */
  pageSize?: number;
  /** GET /users page size ($top, max 999). */
  usersPageSize?: number;
  /** Parallel permission look-ups per page. */
  permissionConcurrency?: number;
  /** Debug notes (skipped users, unknown exposure); default: the pipeline's debug logger. */
  debug?: (msg: string, err?: unknown) => void;
}

export interface OnedriveStats extends ConnectorStats {
  /** Download URLs that had expired and were fetched again via /content. */
  downloadUrlRefetches: number;
  permissionLookups: number;
}

interface DriveInfo {
  id: string;
  /** userPrincipalName (display prefix of paths). */
  user: string;
}

interface DriveState {
  u: string;
  /** done: the drive's deltaLink; else the nextLink to resume from (absent: start fresh). */
  link?: string;
  done?: true;
}

interface CursorState {
  v: 1;
  drives: Record<string, DriveState>;
}

interface DeltaItem {
  id: string;
  name?: string;
  size?: number;
  file?: { mimeType?: string };
  folder?: unknown;
  root?: unknown;
  deleted?: unknown;
  eTag?: string;
  cTag?: string;
  lastModifiedDateTime?: string;
  parentReference?: { id?: string; driveId?: string; path?: string };
  shared?: unknown;
}

interface DeltaPage {
  value?: DeltaItem[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

function setBearer(context: Context, token: string): void {
  const options = (context.options ??= {});
  const headers = options.headers;
  if (headers && typeof (headers as Headers).set === 'function') (headers as Headers).set('Authorization', `Bearer ${token}`);
  else options.headers = { ...((headers as Record<string, string>) ?? {}), Authorization: `Bearer ${token}` };
}

/** Adds the bearer token to requests for the API origin only; drops a cached token after a 401. */
class AuthMiddleware implements Middleware {
  private next: Middleware | undefined;
  constructor(
    private readonly tokens: TokenClient,
    private readonly origin: string,
  ) {}
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : (context.request as Request).url;
    const ours = new URL(url).origin === this.origin;
    if (ours) setBearer(context, await this.tokens.getToken());
    await this.next!.execute(context);
    if (context.response?.status === 401 && ours) {
      // A token revoked or expired before its time: one more try with a fresh one. Credentials
      // that are really wrong fail at the token endpoint instead, with their own message.
      this.tokens.invalidate();
      setBearer(context, await this.tokens.getToken());
      await this.next!.execute(context);
      if (context.response?.status === 401) this.tokens.invalidate();
    }
  }
}

function parseCursor(cursor: string, what: string): CursorState {
  let raw: unknown;
  try {
    raw = JSON.parse(cursor);
  } catch {
    throw new CursorExpiredError(`OneDrive ${what} cursor is not JSON`);
  }
  const o = raw as Partial<CursorState> | null;
  if (!o || o.v !== 1 || typeof o.drives !== 'object' || o.drives === null) throw new CursorExpiredError(`OneDrive ${what} cursor has an unknown format`);
  return { v: 1, drives: { ...o.drives } };
}

function clone(state: CursorState): CursorState {
  return { v: 1, drives: Object.fromEntries(Object.entries(state.drives).map(([k, v]) => [k, { ...v }])) };
}

/** The changesCursor: every drive's deltaLink, without progress flags. */
function changesCursorOf(state: CursorState): string {
  const drives: Record<string, DriveState> = {};
  for (const [id, st] of Object.entries(state.drives)) if (st.done && st.link) drives[id] = { u: st.u, link: st.link };
  return JSON.stringify({ v: 1, drives });
}

export class OnedriveConnector implements Connector {
  readonly kind = 'onedrive';
  readonly uri: string;
  readonly scope: OnedriveScope;
  readonly stats: OnedriveStats = { requests: 0, retries: 0, throttled: 0, downloadUrlRefetches: 0, permissionLookups: 0 };
  private readonly apiUrl: string;
  private readonly origin: string;
  private readonly retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  private readonly pageSize: number;
  private readonly usersPageSize: number;
  private readonly permissionConcurrency: number;
  private readonly debug: (msg: string, err?: unknown) => void;
  private creds: OnedriveCredentials | undefined;
  private tokens: TokenClient | undefined;
  private client: Client | undefined;
  private ready: Promise<void> | undefined;
  private domains: Promise<string[]> | undefined;
  private drives: Promise<DriveInfo[]> | undefined;
  /** Per-drive "paused until" (epoch ms) after a 429/503. */
  private readonly pausedUntil = new Map<string, number>();
  /** The running listing's abort signal: a pause or backoff of the listing ends with it. */
  private listSignal: AbortSignal | undefined;
  /** Parts that could not be read (a user's drive, a drive's delta): reported on the next page. */
  private readonly gaps: string[] = [];
  /** `<driveId>!<folderId>` → folder path below the root ('' for the root). */
  private readonly folders = new Map<string, string>();
  private remediationImpl: OnedriveRemediation | undefined;

  constructor(
    scope: OnedriveScope,
    private readonly opts: OnedriveConnectorOptions = {},
  ) {
    this.scope = scope;
    this.uri = scope.uri;
    this.apiUrl = (opts.apiUrl || DEFAULT_API_URL).replace(/\/+$/, '').replace(/\/v1\.0$/, '');
    try {
      const u = new URL(this.apiUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      this.origin = u.origin;
    } catch {
      throw new UserError(`Invalid Graph API URL "${this.apiUrl}": write it as http(s)://host[:port].`);
    }
    this.retry = {
      maxAttempts: opts.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      baseDelayMs: opts.retry?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: opts.retry?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    };
    this.pageSize = Math.max(1, Math.min(1000, Math.floor(opts.pageSize ?? 200)));
    this.usersPageSize = Math.max(1, Math.min(999, Math.floor(opts.usersPageSize ?? 999)));
    this.permissionConcurrency = Math.max(1, Math.floor(opts.permissionConcurrency ?? 4));
    this.debug = opts.debug ?? debugHook;
  }

  classifyError(err: unknown): ErrorClass {
    return classifyGraphError(err);
  }

  errorReason(err: unknown): string {
    return graphErrorReason(err);
  }

  // ---------------------------------------------------------------- plumbing

  private init(): Promise<void> {
    this.ready ??= (async () => {
      const creds = this.opts.credentials ?? (await loadCredentials(this.opts.credentialsFile));
      if (this.scope.kind === 'tenant' && creds.refreshToken && !creds.clientSecret) {
        throw new UserError(`${this.uri} covers a whole tenant and needs app-only credentials (tenantId, clientId, clientSecret); delegated refresh-token credentials can only scan onedrive://<user@domain>.`);
      }
      this.creds = creds;
      const tokenOpts: { tokenUrl?: string } = {};
      if (this.opts.tokenUrl) tokenOpts.tokenUrl = this.opts.tokenUrl;
      this.tokens = new TokenClient(creds, tokenOpts);
      this.client = Client.initWithMiddleware({
        baseUrl: this.apiUrl,
        defaultVersion: 'v1.0',
        // No RetryHandler (withRetry is the only retrier) and no RedirectHandler (open() follows
        // the download redirect itself, without the bearer token).
        middleware: [new AuthMiddleware(this.tokens, this.origin), new HTTPMessageHandler()],
      });
    })();
    return this.ready;
  }

  /** A link (nextLink / deltaLink) as a path relative to the API root, for the client and cursors. */
  private relative(link: string): string {
    if (link.startsWith('/')) return link;
    const u = new URL(link);
    if (u.origin !== this.origin) throw new UserError(`Graph returned a link to another host (${u.origin}); refusing to send the token there.`);
    return u.pathname.replace(/^\/v1\.0(?=\/)/, '') + u.search;
  }

  /**
   * Waits until neither `drive` nor the tenant ('*') is paused. Both are checked again after
   * every wait: a pause set on one while waiting on the other must still be honoured.
   */
  private async gate(drive: string | undefined, signal?: AbortSignal): Promise<void> {
    const keys = drive && drive !== '*' ? [drive, '*'] : ['*'];
    for (;;) {
      const until = Math.max(0, ...keys.map((k) => this.pausedUntil.get(k) ?? 0));
      const wait = until - Date.now();
      if (wait <= 0) return;
      await sleep(wait, signal);
    }
  }

  private retryOptions(drive: string | undefined, signal?: AbortSignal, classify: (err: unknown) => ErrorClass = classifyGraphError, maxAttempts = this.retry.maxAttempts): RetryOptions {
    const o: RetryOptions = {
      classify,
      maxAttempts,
      baseDelayMs: this.retry.baseDelayMs,
      maxDelayMs: this.retry.maxDelayMs,
      onRetry: ({ cls, delayMs }) => {
        if (cls.kind === 'throttled') {
          // The whole drive waits, not only this request.
          const key = drive ?? '*';
          const until = Date.now() + delayMs;
          if ((this.pausedUntil.get(key) ?? 0) < until) this.pausedUntil.set(key, until);
        }
      },
    };
    if (signal) o.signal = signal;
    return countingRetry(this.stats, o);
  }

  /** One Graph call for `drive` (or tenant-level with undefined) through the gate and withRetry. */
  private async call<T>(drive: string | undefined, fn: () => Promise<T>, given?: AbortSignal, classify?: (err: unknown) => ErrorClass): Promise<T> {
    await this.init();
    const signal = given ?? this.listSignal;
    return withRetry(async () => {
      await this.gate(drive, signal);
      this.stats.requests++;
      return fn();
    }, this.retryOptions(drive, signal, classify));
  }

  private async getJson<T>(drive: string | undefined, path: string, signal?: AbortSignal): Promise<T> {
    return this.call(drive, async () => {
      let req = this.client!.api(this.relative(path));
      if (signal) req = req.option('signal', signal);
      return (await req.get()) as T;
    }, signal);
  }

  /** Follows @odata.nextLink through a collection. */
  private async *collection<T>(drive: string | undefined, path: string): AsyncGenerator<T> {
    let link: string | undefined = path;
    while (link) {
      const page: { value?: T[]; '@odata.nextLink'?: string } = await this.getJson(drive, link);
      for (const v of page.value ?? []) yield v;
      link = page['@odata.nextLink'];
    }
  }

  // ---------------------------------------------------------------- drives, domains, paths

  private listDrives(): Promise<DriveInfo[]> {
    this.drives ??= (async () => {
      if (this.scope.kind === 'user') {
        const user = this.scope.user;
        try {
          const d = await this.getJson<{ id: string }>(undefined, `/users/${encodeURIComponent(user)}/drive?$select=id,driveType`);
          return [{ id: d.id, user }];
        } catch (err) {
          throw this.userError(err, 'finding the drive of');
        }
      }
      const out: DriveInfo[] = [];
      try {
        for await (const u of this.collection<{ id: string; userPrincipalName?: string; mail?: string }>(undefined, `/users?$select=id,userPrincipalName,mail&$top=${this.usersPageSize}`)) {
          const name = (u.userPrincipalName ?? u.mail ?? u.id).toLowerCase();
          try {
            const d = await this.getJson<{ id: string }>(undefined, `/users/${encodeURIComponent(u.id)}/drive?$select=id,driveType`);
            out.push({ id: d.id, user: name });
          } catch (err) {
            if (graphErrorReason(err) === 'not_found') {
              this.debug(`onedrive: user ${name} has no OneDrive (mysite not provisioned); skipped`);
              continue;
            }
            if (graphErrorReason(err) === 'access_denied' && !this.listSignal?.aborted) {
              // one user's drive we may not see does not stop a tenant scan: a gap
              this.gaps.push(`drive of ${name} (access_denied: ${describeGraphError(err)})`);
              continue;
            }
            throw err;
          }
        }
      } catch (err) {
        this.drives = undefined;
        throw this.userError(err, 'enumerating the users of');
      }
      return out;
    })();
    return this.drives;
  }

  private tenantDomains(): Promise<string[]> {
    this.domains ??= (async () => {
      const given = this.opts.domains ?? this.creds?.domains;
      if (given?.length) return given.map((d) => d.toLowerCase());
      try {
        const org = await this.getJson<{ value?: { verifiedDomains?: { name?: string }[] }[] }>(undefined, '/organization?$select=id,verifiedDomains');
        const names = (org.value ?? []).flatMap((o) => o.verifiedDomains ?? []).map((d) => d.name?.toLowerCase()).filter((d): d is string => !!d);
        if (names.length) return names;
      } catch (err) {
        this.debug('onedrive: cannot read /organization verifiedDomains; falling back to the source domain', err);
      }
      const own = this.scope.kind === 'user' ? this.scope.user.split('@')[1]! : this.scope.tenant.includes('.') ? this.scope.tenant : undefined;
      return own ? [own] : [];
    })();
    return this.domains;
  }


  /** Path of folder `id` below the drive root, from the walk's folders or one item GET. */
  private async folderPath(drive: string, id: string | undefined): Promise<string> {
    if (!id) return '';
    const key = `${drive}!${id}`;
    const known = this.folders.get(key);
    if (known !== undefined) return known;
    try {
      const it = await this.getJson<DeltaItem>(drive, `/drives/${encodeURIComponent(drive)}/items/${encodeURIComponent(id)}?$select=id,name,root,parentReference`);
      const parent = folderOf(it.parentReference?.path);
      const p = it.root !== undefined || parent === undefined ? (it.root !== undefined ? '' : (it.name ?? '')) : [parent, it.name ?? ''].filter(Boolean).join('/');
      this.folders.set(key, p);
      return p;
    } catch (err) {
      this.debug(`onedrive: cannot resolve folder ${id} of drive ${drive}`, err);
      return '';
    }
  }

  /** Notes a folder of the walk so that its children get a path without a request. */
  private async noteFolder(drive: string, item: DeltaItem): Promise<void> {
    const key = `${drive}!${item.id}`;
    if (item.deleted !== undefined) {
      this.folders.delete(key);
      return;
    }
    if (item.root !== undefined || !item.parentReference?.id) {
      this.folders.set(key, '');
      return;
    }
    const fromPath = folderOf(item.parentReference.path);
    const parent = fromPath ?? (await this.folderPath(drive, item.parentReference.id));
    this.folders.set(key, [parent, item.name ?? ''].filter(Boolean).join('/'));
  }

  private async exposureOf(drive: string, item: DeltaItem): Promise<Exposure> {
    if (item.shared === undefined || item.shared === null) return { level: 'private' };
    try {
      this.stats.permissionLookups++;
      const perms: GraphPermission[] = [];
      for await (const p of this.collection<GraphPermission>(drive, `/drives/${encodeURIComponent(drive)}/items/${encodeURIComponent(item.id)}/permissions`)) perms.push(p);
      return exposureFromPermissions(perms, await this.tenantDomains());
    } catch (err) {
      this.debug(`onedrive: cannot read the permissions of item ${item.id} (${graphErrorReason(err)}); exposure unknown`, err);
      return { level: 'unknown' };
    }
  }

  private static isImage(item: DeltaItem): boolean {
    return item.deleted === undefined && !!item.file && typeof item.file.mimeType === 'string' && item.file.mimeType.toLowerCase().startsWith('image/');
  }

  private async toRef(d: DriveInfo, item: DeltaItem): Promise<ObjectRef> {
    const parent = folderOf(item.parentReference?.path) ?? (await this.folderPath(d.id, item.parentReference?.id));
    const ref: ObjectRef = {
      externalId: `${d.id}!${item.id}`,
      path: [d.user, parent, item.name ?? item.id].filter(Boolean).join('/'),
      size: Number(item.size ?? 0),
      etag: item.cTag ?? item.eTag ?? '',
      contentType: item.file!.mimeType!,
      exposure: await this.exposureOf(d.id, item),
      extra: { driveId: d.id, itemId: item.id },
    };
    if (item.lastModifiedDateTime) ref.modifiedAt = new Date(item.lastModifiedDateTime);
    return ref;
  }

  /** Maps one delta page: folders noted, image files to refs, tombstones to deleted ids. */
  private async mapPage(d: DriveInfo, items: DeltaItem[]): Promise<{ refs: ObjectRef[]; deleted: string[] }> {
    const deleted: string[] = [];
    const images: DeltaItem[] = [];
    for (const it of items) {
      if (it.folder !== undefined || it.root !== undefined) {
        await this.noteFolder(d.id, it);
        continue;
      }
      if (it.deleted !== undefined) deleted.push(`${d.id}!${it.id}`);
      else if (OnedriveConnector.isImage(it)) images.push(it);
    }
    const refs: ObjectRef[] = new Array(images.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < images.length; i = next++) refs[i] = await this.toRef(d, images[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.permissionConcurrency, images.length) }, worker));
    return { refs, deleted };
  }

  private initialDelta(drive: string): string {
    return `/drives/${encodeURIComponent(drive)}/root/delta?$select=${DELTA_SELECT}&$top=${this.pageSize}`;
  }

  // ---------------------------------------------------------------- list / changes

  /**
   * Walks the delta feed of every drive not yet `done` in `state`, yielding one page per Graph
   * page. `mode` list: a 410 on a resumed link restarts that drive; changes: it is a
   * CursorExpiredError.
   */
  private async *walk(state: CursorState, drives: DriveInfo[], mode: 'list' | 'changes'): AsyncGenerator<ChangePage> {
    const todo = drives.filter((d) => !state.drives[d.id]?.done);
    if (!todo.length) {
      yield { items: [], changesCursor: changesCursorOf(state) };
      return;
    }
    let finalYielded = false;
    // Drives skipped for lack of access: reported on the next page, so that the pipeline knows
    // the listing has gaps (and marks nothing gone for not being listed).
    const gaps = this.gaps;
    const withGaps = <P extends Page>(p: P): P => (gaps.length ? { ...p, incomplete: gaps.splice(0) } : p);
    for (let di = 0; di < todo.length; di++) {
      const d = todo[di]!;
      let link = state.drives[d.id]?.link ?? this.initialDelta(d.id);
      let restarted = false;
      for (;;) {
        let page: DeltaPage;
        try {
          page = await this.getJson<DeltaPage>(d.id, link);
        } catch (err) {
          if (isResyncError(err)) {
            if (mode === 'list' && !restarted && state.drives[d.id]?.link) {
              this.debug(`onedrive: resume link of drive ${d.id} expired; listing that drive again from the start`);
              restarted = true;
              link = this.initialDelta(d.id);
              continue;
            }
            throw new CursorExpiredError(`OneDrive delta link for ${d.user} is no longer valid (${describeGraphError(err)}); a full listing is needed`, { cause: err });
          }
          if (this.scope.kind === 'tenant' && (graphErrorReason(err) === 'not_found' || graphErrorReason(err) === 'access_denied')) {
            this.debug(`onedrive: drive of ${d.user} cannot be listed (${graphErrorReason(err)}); skipped`, err);
            // A drive that is gone (404) has nothing left to list; one we may not read is a gap.
            if (graphErrorReason(err) === 'access_denied') {
              gaps.push(`drive of ${d.user} (access_denied: ${describeGraphError(err)})`);
              // A change run keeps the drive's position (its old deltaLink, or the nextLink it got
              // to), so the next run reads what this one could not. A listing has none to keep.
              const kept = state.drives[d.id];
              if (mode === 'changes' && kept?.link) state.drives[d.id] = { ...kept, done: true };
              else delete state.drives[d.id];
            } else delete state.drives[d.id];
            break;
          }
          throw this.userError(err, mode === 'list' ? 'listing' : 'reading the changes of');
        }
        const { refs, deleted } = await this.mapPage(d, page.value ?? []);
        const next = page['@odata.nextLink'];
        const delta = page['@odata.deltaLink'];
        if (next) state.drives[d.id] = { u: d.user, link: this.relative(next) };
        else if (delta) state.drives[d.id] = { u: d.user, link: this.relative(delta), done: true };
        else throw new UserError(`Graph delta page for ${d.user} has neither @odata.nextLink nor @odata.deltaLink; stopping.`);
        const out: ChangePage = { items: refs };
        if (mode === 'changes') out.deleted = deleted;
        const last = !next && di === todo.length - 1;
        if (last) {
          out.changesCursor = changesCursorOf(state);
          finalYielded = true;
        } else out.nextCursor = JSON.stringify(clone(state));
        yield withGaps(out);
        if (!next) break;
        link = this.relative(next);
      }
    }
    // The last drive was skipped (no drive any more, no access): the walk still ends with the
    // position of every drive it did finish, or the next --changes run would have no cursor.
    if (!finalYielded) yield withGaps<ChangePage>({ items: [], ...(mode === 'changes' ? { deleted: [] } : {}), changesCursor: changesCursorOf(state) });
  }

  async *list(cursor?: string, opts: ListOptions = {}): AsyncIterable<Page> {
    this.listSignal = opts.signal;
    await this.init();
    const drives = await this.listDrives();
    const state: CursorState = cursor ? parseCursor(cursor, 'list') : { v: 1, drives: {} };
    // Drives that no longer exist are dropped from the state.
    const live = new Set(drives.map((d) => d.id));
    for (const id of Object.keys(state.drives)) if (!live.has(id)) delete state.drives[id];
    for await (const p of this.walk(state, drives, 'list')) {
      const page: Page = { items: p.items };
      if (p.nextCursor !== undefined) page.nextCursor = p.nextCursor;
      if (p.changesCursor !== undefined) page.changesCursor = p.changesCursor;
      if (p.incomplete?.length) page.incomplete = p.incomplete;
      yield page;
    }
  }

  async *changes(cursor: string, opts: ListOptions = {}): AsyncIterable<ChangePage> {
    this.listSignal = opts.signal;
    await this.init();
    const state = parseCursor(cursor, 'changes');
    let drives: DriveInfo[];
    if (this.scope.kind === 'tenant') {
      // New users' drives are walked from the start (all their images are new).
      drives = await this.listDrives();
      const live = new Set(drives.map((d) => d.id));
      for (const [id, st] of Object.entries(state.drives)) if (!live.has(id)) drives.push({ id, user: st.u });
    } else {
      drives = Object.entries(state.drives).map(([id, st]) => ({ id, user: st.u }));
      if (!drives.length) drives = await this.listDrives();
    }
    yield* this.walk(state, drives, 'changes');
  }

  // ---------------------------------------------------------------- open

  /** GET …/content without following the redirect: the download URL, or a body served directly. */
  private async contentLocation(drive: string, item: string, signal?: AbortSignal): Promise<{ url?: string; body?: Response }> {
    return this.call(drive, async () => {
      let req = this.client!.api(`/drives/${encodeURIComponent(drive)}/items/${encodeURIComponent(item)}/content`).option('redirect', 'manual').responseType(ResponseType.RAW);
      if (signal) req = req.option('signal', signal);
      const res = (await req.get()) as Response;
      if (res.status >= 300 && res.status < 400) {
        const loc = res.headers.get('location');
        await res.body?.cancel().catch(() => undefined);
        if (!loc) throw new GraphHttpError(res.status, null, 'redirect without a Location header');
        return { url: new URL(loc, `${this.apiUrl}/v1.0/`).toString() };
      }
      if (res.ok) return { body: res };
      throw await httpError(res);
    }, signal);
  }

  async open(ref: ObjectRef, opts: OpenOptions = {}): Promise<Readable> {
    const { signal, maxBytes } = opts;
    const what = `cannot read ${ref.path}`;
    if (maxBytes !== undefined && ref.size > maxBytes) throw new ItemError('too_large', `${ref.path} is ${ref.size} bytes, above the ${maxBytes}-byte limit`);
    let drive = typeof ref.extra?.driveId === 'string' ? ref.extra.driveId : undefined;
    let item = typeof ref.extra?.itemId === 'string' ? ref.extra.itemId : undefined;
    if (!drive || !item) {
      const i = ref.externalId.indexOf('!');
      if (i < 0) throw new ItemError('bad_request', `${what}: not a OneDrive item id (${ref.externalId})`);
      drive = ref.externalId.slice(0, i);
      item = ref.externalId.slice(i + 1);
    }
    let res: Response | undefined;
    try {
      for (let pass = 0; pass < 2 && !res; pass++) {
        const loc = await this.contentLocation(drive, item, signal);
        if (loc.body) {
          res = loc.body;
          break;
        }
        const url = loc.url!;
        try {
          // The pre-authenticated URL: no bearer token, never stored.
          res = await this.call(drive, async () => {
            const r = await fetch(url, signal ? { signal } : {});
            if (!r.ok) throw await httpError(r);
            return r;
          }, signal);
        } catch (err) {
          const st = graphErrorFacts(err).status;
          if (pass === 0 && (st === 401 || st === 403 || st === 410)) {
            this.stats.downloadUrlRefetches++;
            this.debug(`onedrive: download URL for ${ref.path} expired (HTTP ${st}); asking /content again`);
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      throw toItemError(err, what);
    }
    if (!res) throw new ItemError('access_denied', `${what}: the download URL was refused twice`);
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (maxBytes !== undefined && Number.isFinite(length) && length > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new ItemError('too_large', `${ref.path} is ${length} bytes, above the ${maxBytes}-byte limit`);
    }
    if (!res.body) return Readable.from([]);
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>, signal ? { signal } : {});
    return maxBytes !== undefined ? limitStream(body, maxBytes) : body;
  }

  // ---------------------------------------------------------------- remediation (./remediate.ts)

  private remediation(): OnedriveRemediation {
    this.remediationImpl ??= new OnedriveRemediation({
      uri: this.uri,
      maxAttempts: this.retry.maxAttempts,
      request: <T>(drive: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
        this.call<T>(drive, async () => {
          // A fresh request each attempt; no listing signal (remediation is not a scan).
          const req = this.client!.api(this.relative(path));
          if (method === 'GET') return (await req.get()) as T;
          if (method === 'POST') return (await req.post(body ?? {})) as T;
          if (method === 'PATCH') return (await req.patch(body ?? {})) as T;
          return (await req.delete()) as T;
        }, new AbortController().signal),
      relative: (link) => this.relative(link),
      domains: async () => {
        await this.init();
        return this.tenantDomains();
      },
      debug: (msg, err) => this.debug(msg, err),
    });
    return this.remediationImpl;
  }

  inspect(ref: ObjectRef): Promise<LiveState> {
    return this.remediation().inspect(ref);
  }

  removeGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    return this.remediation().removeGrants(ref, grants);
  }

  addGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    return this.remediation().addGrants(ref, grants);
  }

  quarantine(ref: ObjectRef, target: QuarantineTarget): Promise<ObjectRef> {
    return this.remediation().quarantine(ref, target);
  }

  release(quarantined: ObjectRef, before: LiveState): Promise<ObjectRef> {
    return this.remediation().release(quarantined, before);
  }

  tag(ref: ObjectRef, tags: Record<string, string>): Promise<void> {
    return this.remediation().tag(ref, tags);
  }

  // ---------------------------------------------------------------- probe / messages

  /** Checks the credentials (token), then reach and permission with one small request. */
  async probe(): Promise<void> {
    try {
      await this.init();
      await this.tokens!.getToken();
      if (this.scope.kind === 'user') await this.listDrives();
      else {
        await this.call(undefined, () => this.client!.api(`/users?$select=id&$top=1`).get(), undefined, undefined);
        await this.checkTenant(this.scope.tenant);
      }
    } catch (err) {
      throw this.userError(err, 'checking');
    }
  }

  /**
   * The tenant named in the URI must be the one the credentials sign in to (its id or one of its
   * verified domains): otherwise `onedrive://fabrikam.com` with Contoso's app would scan Contoso
   * and file its findings under the wrong source.
   */
  private async checkTenant(tenant: string): Promise<void> {
    const tenantId = this.creds!.tenantId.toLowerCase();
    if (tenant === tenantId) return;
    let names: string[];
    try {
      const org = await this.getJson<{ value?: { id?: string; verifiedDomains?: { name?: string }[] }[] }>(undefined, '/organization?$select=id,verifiedDomains');
      names = (org.value ?? []).flatMap((o) => [o.id, ...(o.verifiedDomains ?? []).map((d) => d.name)]).filter((d): d is string => !!d).map((d) => d.toLowerCase());
    } catch (err) {
      throw new UserError(
        `Cannot confirm that ${tenant} is the tenant of these credentials (tenantId ${this.creds!.tenantId}; ${graphErrorReason(err)} reading /organization): write onedrive://${this.creds!.tenantId}, or grant the app Organization.Read.All.`,
        2,
        { cause: err },
      );
    }
    if (!names.includes(tenant)) {
      const shown = names.filter((n) => n.includes('.')).slice(0, 5).join(', ');
      throw new UserError(`${this.uri} names tenant ${tenant}, but the credentials sign in to ${this.creds!.tenantId}${shown ? ` (verified domains: ${shown})` : ''}: scan onedrive://${this.creds!.tenantId} or one of its domains, or use credentials of ${tenant}.`);
    }
  }

  /** One clear line: what failed, for which source, and what to do. Never a secret. */
  userError(err: unknown, doing: string): UserError {
    if (err instanceof UserError) return err;
    if (err instanceof TokenError) {
      const hint =
        err.code === 'invalid_client' || err.code === 'unauthorized_client'
          ? 'check clientId and clientSecret in the OneDrive credentials file'
          : err.code === 'invalid_grant'
            ? 'the refresh token was refused (expired or revoked): sign in again and update the credentials file'
            : err.status <= 0
              ? 'check the network and --token-url'
              : 'check tenantId and clientId in the OneDrive credentials file';
      return new UserError(`OneDrive sign-in failed while ${doing} ${this.uri}: ${err.message}; ${hint}.`, 2, { cause: err });
    }
    const reason = graphErrorReason(err);
    const detail = describeGraphError(err);
    let msg: string;
    if (reason === 'access_denied') {
      msg = `Access denied by Microsoft Graph while ${doing} ${this.uri} (${detail}): grant the app ${this.scope.kind === 'tenant' ? 'User.Read.All and Files.Read.All (application)' : 'Files.Read.All'} with admin consent, or use other credentials.`;
    } else if (reason === 'not_found') {
      msg = this.scope.kind === 'user' ? `OneDrive of ${this.scope.user} not found (${detail}): check the user name, and that the user has a OneDrive (mysite provisioned).` : `Not found while ${doing} ${this.uri} (${detail}): check the tenant.`;
    } else if (reason === 'network') {
      msg = `Cannot reach Microsoft Graph at ${this.apiUrl} while ${doing} ${this.uri} (${detail}): check the network and --api-url.`;
    } else if (reason === 'throttled' || reason === 'server_error') {
      msg = `Microsoft Graph kept failing while ${doing} ${this.uri} (${detail}) after ${this.retry.maxAttempts} attempts: try again later or lower --concurrency.`;
    } else {
      msg = `Microsoft Graph request failed while ${doing} ${this.uri}: ${detail}.`;
    }
    return new UserError(msg.replace(/\s*[\r\n]+\s*/g, ' '), 2, { cause: err });
  }

  async close(): Promise<void> {
    /* fetch keeps no per-connector resources */
  }
}

/** An HTTP error from a raw response, with the Graph error code when the body has one. */
async function httpError(res: Response): Promise<GraphHttpError> {
  let code: string | null = null;
  let message = `HTTP ${res.status}`;
  try {
    const j = (await res.json()) as { error?: { code?: string; message?: string } | string; error_description?: string };
    if (j.error && typeof j.error === 'object') {
      code = j.error.code ?? null;
      message = j.error.message ?? message;
    } else if (typeof j.error === 'string') code = j.error;
  } catch {
    /* not JSON */
  }
  return new GraphHttpError(res.status, code, message, res.headers);
}

/** The connector factory for `onedrive://<tenant>` and `onedrive://<user@domain>`. */
export function createOnedriveConnector(uri: string, opts: OnedriveConnectorOptions = {}): Connector & OnedriveConnector {
  return new OnedriveConnector(parseOnedriveUri(uri), opts);
}

export default createOnedriveConnector;
