/**
 * The Google Drive connector.
 *
 *  - `gdrive://<domain>`: tenant-wide. Every (non-suspended) user of the domain, from the
 *    Admin SDK Directory users.list (impersonating `adminUser`) or from `opts.users`, each
 *    impersonated by a service account with domain-wide delegation; then every shared drive
 *    any of those users is a member of, each listed ONCE (through its first member found).
 *    A user's pass lists only files that user owns (`'me' in owners`), so a file shared
 *    among colleagues is listed once, by its owner.
 *  - `gdrive://<user@domain>`: one user's corpus (owned and shared-with-me files) plus the
 *    shared drives that user is a member of. Works with a service-account key (impersonating
 *    the user) or with that user's authorized-user JSON (refresh token).
 *
 * Listing: files.list with q = images or shortcuts, not trashed; `supportsAllDrives` and
 * `includeItemsFromAllDrives` on every call; corpora `user` (shared-drive items skipped there:
 * they are listed by their drive) or `drive` + driveId; minimal `fields`; nextPageToken to
 * the end. A shortcut is resolved with files.get on its target; the target is listed once per
 * run (dedupe by file id across the whole run). A shortcut whose target is not an image, is
 * trashed, or cannot be read yields no item (nothing to scan, nothing to record).
 *
 * Exposure: from the `permissions` embedded in the file resource (My Drive), or from
 * permissions.list for shared-drive items (Drive does not embed them there).
 *
 * Cursors (opaque JSON):
 *  - list: `{"v":1,"p":"u"|"d","k":<user email | drive id>,"t"?:<files.list pageToken>}`;
 *    resumes at that user / drive and page. Users are walked in sorted order and drives by
 *    id, so a cursor whose user/drive has vanished resumes at the next one.
 *  - changes: `{"v":1,"f":[{"u":<user>,"d"?:<driveId>,"t":<token>}...],"i"?:<feed index>}`:
 *    one change feed per user and per shared drive; feeds before `i` hold their new start
 *    tokens, feed `i` the page token to resume from, later feeds their old start tokens.
 *
 * Errors: gaxios retries are off; every call goes through withRetry with classifyDriveError
 * (403 rate-limit reasons and 429 throttled, Retry-After honoured; 5xx retryable; other
 * 403s / 404 final).
 *
 * Remediation (inspect, removeGrants, addGrants, quarantine, release, tag): remediate.ts, on the
 * same clients and retrying call; writes use the full `drive` scope, which the domain-wide
 * delegation must then list (scanning needs only drive.readonly). The quarantine admin is
 * `adminUser` (--admin / GDRIVE_ADMIN_USER).
 */
import { Readable } from 'node:stream';
import { drive as driveApi } from '@googleapis/drive';
import type { drive_v3 } from '@googleapis/drive';
import { admin as adminApi } from '@googleapis/admin';
import type { admin_directory_v1 } from '@googleapis/admin';
import type { ChangePage, Connector, ConnectorOptions, Grant, ListOptions, LiveState, ConnectorStats, ObjectRef, OpenOptions, Page, QuarantineTarget } from '../contract.js';
import { CursorExpiredError } from '../contract.js';
import type { ErrorClass, RetryOptions } from '../../src/util/retry.js';
import { DEFAULT_RETRY, countingRetry, withRetry } from '../../src/util/retry.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { limitStream } from '../stream-limit.js';
import { AuthFactory, GOOGLE_TOKEN_URL, loadCredentials, parseCredentials, SCOPE_DIRECTORY_USERS_READONLY, SCOPE_DRIVE_READONLY } from './auth.js';
import type { GdriveCredentials } from './auth.js';
import {
  UNREACHABLE_CODES,
  classifyDriveError,
  describeDriveError,
  driveErrorFacts,
  driveErrorReason,
  isCredentialError,
  isExpiredTokenError,
  toItemError,
} from './errors.js';
import { exposureOf } from './exposure.js';
import type { DrivePermission } from './exposure.js';
import { GdriveRemediation, SCOPE_DRIVE } from './remediate.js';
import { parseGdriveUri, withUsers } from './uri.js';
import type { GdriveLocation } from './uri.js';

export { parseGdriveUri, isGdriveUri } from './uri.js';
export { classifyDriveError, driveErrorReason } from './errors.js';
export { exposureOf, permissionLevel } from './exposure.js';

export const PAGE_SIZE = 1000;
export const SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';
export const LIST_QUERY = `(mimeType contains 'image/' or mimeType = '${SHORTCUT_MIME}') and trashed = false`;
const FILE_FIELDS =
  'id,name,mimeType,size,md5Checksum,modifiedTime,version,trashed,driveId,shortcutDetails(targetId,targetMimeType),permissions(id,type,role,emailAddress,domain,allowFileDiscovery)';
const PERMISSION_FIELDS = 'id,type,role,emailAddress,domain,allowFileDiscovery';

export interface GdriveConnectorOptions extends ConnectorOptions {
  /** Parsed credentials (programmatic use); otherwise credentialsFile / GOOGLE_APPLICATION_CREDENTIALS. */
  credentials?: GdriveCredentials | Record<string, unknown>;
  /** Tenant-wide: scan these users instead of asking the Directory API. */
  users?: string[];
  /** More domains counted as internal for exposure (aliases, secondary domains). */
  domains?: string[];
  /** Include shared drives (default true). */
  sharedDrives?: boolean;
  /** files.list / changes.list pageSize (1..1000, default 1000). */
  pageSize?: number;
  /** Per-request timeout in ms (default 120000). */
  requestTimeoutMs?: number;
}

interface ListCursor {
  v: 1;
  p: 'u' | 'd';
  k?: string;
  t?: string;
}

/** One pass of a listing: a user's own files, or a shared drive. */
interface ListTarget {
  p: 'u' | 'd';
  /** user address or drive id: the cursor key */
  key: string;
  /** path prefix of its items */
  label: string;
  /** who is impersonated */
  user: string;
  query: { q: string; corpora: 'user' | 'drive'; driveId?: string };
  /** for gap lines and messages */
  what: string;
  doing: string;
}

interface Feed {
  u: string;
  d?: string;
  t: string;
}
interface ChangesCursor {
  v: 1;
  f: Feed[];
  i?: number;
}

interface DriveTarget {
  id: string;
  name: string;
  /** A member to impersonate. */
  user: string;
}

type DriveFile = drive_v3.Schema$File;

function lc(s: string): string {
  return s.trim().toLowerCase();
}

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

export class GdriveConnector implements Connector {
  readonly kind = 'gdrive';
  readonly uri: string;
  readonly stats: ConnectorStats = { requests: 0, retries: 0, throttled: 0 };
  readonly location: GdriveLocation;
  private readonly opts: GdriveConnectorOptions;
  private readonly retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  private readonly pageSize: number;
  private readonly tenantDomains: string[];
  private authPromise: Promise<AuthFactory> | undefined;
  private readonly drives = new Map<string, drive_v3.Drive>();
  private usersPromise: Promise<string[]> | undefined;
  private drivesPromise: Promise<DriveTarget[]> | undefined;
  /** The running listing's abort signal: every call of the listing stops waiting on it. */
  private listSignal: AbortSignal | undefined;
  /** Gaps found outside a page (a user's feed position, a user's shared drives): reported on the next page. */
  private readonly pendingGaps: string[] = [];
  private remediationImpl: GdriveRemediation | undefined;

  constructor(given: GdriveLocation, opts: GdriveConnectorOptions = {}) {
    // A configured user list narrows a tenant scan, and so becomes part of the source URI.
    const loc = opts.users?.length && !given.user && !given.users ? withUsers(given, opts.users) : given;
    this.location = loc;
    this.uri = loc.uri;
    this.opts = opts;
    this.retry = {
      maxAttempts: opts.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      baseDelayMs: opts.retry?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: opts.retry?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    };
    this.pageSize = Math.max(1, Math.min(PAGE_SIZE, Math.floor(opts.pageSize ?? PAGE_SIZE)));
    this.tenantDomains = [...new Set([loc.domain, ...(opts.domains ?? []).map(lc)])];
    if (opts.apiUrl) {
      try {
        const u = new URL(opts.apiUrl);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      } catch {
        throw new UserError(`Invalid Google API URL "${opts.apiUrl.replace(/\/\/[^@/]*@/, '//')}": write it as http(s)://host[:port]/.`);
      }
    }
  }

  get tenantWide(): boolean {
    return this.location.user === undefined;
  }

  classifyError(err: unknown): ErrorClass {
    return classifyDriveError(err);
  }

  errorReason(err: unknown): string {
    return driveErrorReason(err);
  }

  // --- plumbing --------------------------------------------------------------------

  private auth(): Promise<AuthFactory> {
    this.authPromise ??= (async () => {
      const creds = this.opts.credentials ? parseCredentials(this.opts.credentials, '(given programmatically)') : await loadCredentials(this.opts.credentialsFile);
      if (creds.type === 'authorized_user' && this.tenantWide) {
        throw new UserError(
          `${this.uri} is a whole Google Workspace domain, which needs a service-account key with domain-wide delegation; the credentials given are one user's OAuth grant (authorized_user). Use gdrive://user@${this.location.domain} or a service-account key.`,
        );
      }
      const f: { tokenUrl?: string } = {};
      if (this.opts.tokenUrl) f.tokenUrl = this.opts.tokenUrl;
      return new AuthFactory(creds, f);
    })();
    return this.authPromise;
  }

  private rootUrl(): string | undefined {
    const u = this.opts.apiUrl;
    if (!u) return undefined;
    return u.endsWith('/') ? u : `${u}/`;
  }

  /** A Drive client acting as `user`: read-only, or (`write`, remediation) with the full drive scope. */
  private async driveFor(user: string, write = false): Promise<drive_v3.Drive> {
    const key = write ? `w|${user}` : user;
    let d = this.drives.get(key);
    if (d) return d;
    const auth = (await this.auth()).client(user, [write ? SCOPE_DRIVE : SCOPE_DRIVE_READONLY]);
    const o: drive_v3.Options = { version: 'v3', auth, retry: false, timeout: this.opts.requestTimeoutMs ?? 120_000 };
    const root = this.rootUrl();
    if (root) o.rootUrl = root;
    d = driveApi(o);
    this.drives.set(key, d);
    return d;
  }

  private async directory(adminUser: string): Promise<admin_directory_v1.Admin> {
    const auth = (await this.auth()).client(adminUser, [SCOPE_DIRECTORY_USERS_READONLY]);
    const o: admin_directory_v1.Options = { version: 'directory_v1', auth, retry: false, timeout: this.opts.requestTimeoutMs ?? 120_000 };
    const root = this.rootUrl();
    if (root) o.rootUrl = root;
    return adminApi(o);
  }

  private retryOptions(signal?: AbortSignal): RetryOptions {
    const opts: RetryOptions = { classify: classifyDriveError, maxAttempts: this.retry.maxAttempts, baseDelayMs: this.retry.baseDelayMs, maxDelayMs: this.retry.maxDelayMs };
    if (signal) opts.signal = signal;
    return countingRetry(this.stats, opts);
  }

  /**
   * One API call, counted and retried; a 401 (token revoked early) gets one try with new tokens.
   * `signal` defaults to the running listing's; `null`: none (remediation calls).
   */
  private call<T>(fn: () => Promise<T>, given: AbortSignal | null | undefined = this.listSignal): Promise<T> {
    const signal = given ?? undefined;
    let reauthed = false;
    return withRetry(async () => {
      this.stats.requests++;
      try {
        return await fn();
      } catch (err) {
        const f = driveErrorFacts(err);
        // Only the API's 401: a token endpoint refusal (oauthError) is about the credentials.
        if (reauthed || f.status !== 401 || f.oauthError || !this.authPromise) throw err;
        reauthed = true;
        (await this.authPromise).dropTokens();
        this.stats.requests++;
        return await fn();
      }
    }, this.retryOptions(signal));
  }

  private target(): string {
    return this.opts.apiUrl ? this.opts.apiUrl.replace(/\/\/[^@/]*@/, '//').replace(/\/$/, '') : 'Google APIs';
  }

  /** A final listing/probe failure as one line for a person. */
  private userError(err: unknown, doing: string, who?: string): UserError {
    if (err instanceof UserError || err instanceof CursorExpiredError) return err as UserError;
    const f = driveErrorFacts(err);
    const detail = describeDriveError(err);
    const as = who ? ` as ${who}` : '';
    let msg: string;
    if (isCredentialError(err)) {
      const principal = this.authPromise ? 'these credentials' : 'the credentials';
      msg =
        f.oauthError === 'unauthorized_client'
          ? `Google refused to issue a token${as} while ${doing} ${this.uri} (${detail}): grant the service account domain-wide delegation for the scopes ${SCOPE_DRIVE_READONLY}${this.tenantWide ? ` and ${SCOPE_DIRECTORY_USERS_READONLY}` : ''} in the Admin console, and check that the user exists.`
          : `Google rejected ${principal}${as} while ${doing} ${this.uri} (${detail}): check the credentials file (a revoked refresh token or deleted key cannot be used).`;
    } else if (f.code?.startsWith('ERR_OSSL') || /DECODER routines|PEM/i.test(f.message ?? '')) {
      msg = `The private_key of the Google service-account key cannot be read (${f.code ?? 'bad key'}): download a new JSON key for the service account.`;
    } else if (f.code && UNREACHABLE_CODES.has(f.code)) {
      // the token endpoint and the API are different hosts: say which one did not answer
      const url = String((err as { config?: { url?: unknown } } | undefined)?.config?.url ?? '');
      const token = this.opts.tokenUrl !== undefined && url.startsWith(this.opts.tokenUrl.replace(/\/+$/, '')) ? this.opts.tokenUrl : url.startsWith(GOOGLE_TOKEN_URL) ? GOOGLE_TOKEN_URL : undefined;
      msg = token
        ? `Cannot reach the Google token endpoint ${token.replace(/\/\/[^@/]*@/, '//')} while ${doing} ${this.uri} (${f.code}): check the network${this.opts.tokenUrl ? ' and --token-url' : ''}.`
        : `Cannot reach ${this.target()} while ${doing} ${this.uri} (${f.code}): check the network${this.opts.apiUrl ? ' and --api-url' : ''}.`;
    } else if (f.status === 403) {
      const fix = doing.startsWith('listing the users')
        ? `: ${who ?? 'the admin'} must be a Workspace admin allowed to read users, and the delegation must include ${SCOPE_DIRECTORY_USERS_READONLY}`
        : `: check that the Drive API is enabled for the project and that the delegation includes ${SCOPE_DRIVE_READONLY}`;
      msg = `Access denied${as} while ${doing} ${this.uri} (${detail})${fix}.`;
    } else if (f.status === 404) {
      msg = `Not found${as} while ${doing} ${this.uri} (${detail}).`;
    } else if (classifyDriveError(err).kind !== 'permanent') {
      msg = `Google Drive kept failing${as} while ${doing} ${this.uri} (${detail}) after ${this.retry.maxAttempts} attempts: try again later or lower --concurrency.`;
    } else {
      msg = `Google Drive request failed${as} while ${doing} ${this.uri}: ${detail}.`;
    }
    return new UserError(msg.replace(/\s*[\r\n]+\s*/g, ' '), 2, { cause: err });
  }

  /**
   * A final error that leaves a gap in a tenant listing instead of ending it: this user or drive
   * refused (403, 404, a token refused for this one user). Network failures, exhausted retries
   * and single-user sources still end the scan.
   */
  private isGap(err: unknown): boolean {
    if (!this.tenantWide || err instanceof UserError || this.listSignal?.aborted) return false;
    const f = driveErrorFacts(err);
    if (f.aborted) return false;
    if (f.network || (f.code && UNREACHABLE_CODES.has(f.code))) return false;
    const kind = classifyDriveError(err).kind;
    return kind === 'permanent' || kind === 'notFound';
  }

  private gapLine(what: string, err: unknown): string {
    return `${what} (${driveErrorReason(err)}: ${describeDriveError(err)})`;
  }

  /** The page with any pending gaps attached. */
  private withGaps<P extends Page>(p: P): P {
    if (!this.pendingGaps.length) return p;
    return { ...p, incomplete: [...this.pendingGaps.splice(0), ...(p.incomplete ?? [])] };
  }

  // --- targets ---------------------------------------------------------------------

  /** The users to scan, sorted. */
  private users(): Promise<string[]> {
    this.usersPromise ??= (async () => {
      if (this.location.user) return [this.location.user];
      if (this.location.users?.length) return this.location.users;
      const adminUser = this.opts.adminUser || process.env.GDRIVE_ADMIN_USER;
      if (!adminUser) {
        throw new UserError(
          `${this.uri} scans every user of ${this.location.domain}: name a Workspace admin to impersonate for the user directory (--admin <email> or GDRIVE_ADMIN_USER), or list the users to scan (casb source add ... --users).`,
        );
      }
      const dir = await this.directory(lc(adminUser));
      const out: string[] = [];
      let pageToken: string | undefined;
      do {
        let res;
        try {
          res = await this.call(() =>
            dir.users.list({ domain: this.location.domain, maxResults: 500, pageToken, fields: 'nextPageToken,users(primaryEmail,suspended)' }),
          );
        } catch (err) {
          throw this.userError(err, 'listing the users of', lc(adminUser));
        }
        for (const u of res.data.users ?? []) if (u.primaryEmail && !u.suspended) out.push(lc(u.primaryEmail));
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
      return [...new Set(out)].sort();
    })();
    this.usersPromise.catch(() => {
      this.usersPromise = undefined;
    });
    return this.usersPromise;
  }

  /** Shared drives of the scanned users, each once (first member found impersonated), by id. */
  private sharedDrives(): Promise<DriveTarget[]> {
    this.drivesPromise ??= (async () => {
      if (this.opts.sharedDrives === false) return [];
      const seen = new Map<string, DriveTarget>();
      for (const user of await this.users()) {
        const api = await this.driveFor(user);
        let pageToken: string | undefined;
        do {
          let res;
          try {
            res = await this.call(() => api.drives.list({ pageSize: 100, pageToken, fields: 'nextPageToken,drives(id,name)' }));
          } catch (err) {
            if (!this.isGap(err)) throw this.userError(err, 'listing the shared drives of', user);
            this.pendingGaps.push(this.gapLine(`shared drives of ${user}`, err));
            break;
          }
          for (const d of res.data.drives ?? []) if (d.id && !seen.has(d.id)) seen.set(d.id, { id: d.id, name: d.name ?? d.id, user });
          pageToken = res.data.nextPageToken ?? undefined;
        } while (pageToken);
      }
      return [...seen.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    })();
    this.drivesPromise.catch(() => {
      this.drivesPromise = undefined;
    });
    return this.drivesPromise;
  }

  // --- probe -----------------------------------------------------------------------

  async probe(): Promise<void> {
    const auth = await this.auth();
    const users = await this.users();
    const first = users[0];
    if (!first) throw new UserError(`${this.uri}: the directory lists no active users in ${this.location.domain}.`);
    const api = await this.driveFor(first);
    let res;
    try {
      res = await this.call(() => api.about.get({ fields: 'user(emailAddress)' }));
    } catch (err) {
      throw this.userError(err, 'checking access to', first);
    }
    const me = res.data.user?.emailAddress ? lc(res.data.user.emailAddress) : undefined;
    if (auth.kind === 'authorized_user' && this.location.user && me && me !== this.location.user) {
      throw new UserError(`The OAuth credentials belong to ${me}, not ${this.location.user}: use gdrive://${me} or that user's credentials.`);
    }
  }

  // --- listing ---------------------------------------------------------------------

  private parseListCursor(cursor: string): ListCursor {
    try {
      const c = JSON.parse(cursor) as ListCursor;
      if (c && c.v === 1 && (c.p === 'u' || c.p === 'd')) return c;
    } catch {
      /* below */
    }
    throw new UserError(`The saved listing cursor for ${this.uri} is not a Google Drive cursor; start the scan again without resuming.`);
  }

  private async exposure(api: drive_v3.Drive, f: DriveFile): Promise<ObjectRef['exposure']> {
    if (f.permissions) return exposureOf(f.permissions as DrivePermission[], this.tenantDomains);
    if (!f.driveId || !f.id) return { level: 'unknown' };
    // Shared-drive items: Drive does not embed permissions; ask permissions.list.
    const perms: DrivePermission[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.call(() =>
          api.permissions.list({ fileId: f.id!, supportsAllDrives: true, pageSize: 100, pageToken, fields: `nextPageToken,permissions(${PERMISSION_FIELDS})` }),
        );
        perms.push(...((res.data.permissions ?? []) as DrivePermission[]));
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (err) {
      if (classifyDriveError(err).kind === 'permanent' || classifyDriveError(err).kind === 'notFound') return { level: 'unknown' };
      throw err;
    }
    return exposureOf(perms, this.tenantDomains);
  }

  private async toRef(api: drive_v3.Drive, f: DriveFile, label: string, user: string): Promise<ObjectRef | undefined> {
    if (!f.id || !f.mimeType?.startsWith('image/') || f.trashed) return undefined;
    const ref: ObjectRef = {
      externalId: f.id,
      path: `${label}/${f.name ?? f.id}`,
      size: Number(f.size ?? 0),
      etag: f.md5Checksum ?? (f.version ? `v${f.version}` : f.modifiedTime ?? ''),
      contentType: f.mimeType,
      extra: f.driveId ? { user, driveId: f.driveId } : { user },
    };
    if (f.modifiedTime) ref.modifiedAt = new Date(f.modifiedTime);
    const exposure = await this.exposure(api, f);
    if (exposure) ref.exposure = exposure;
    return ref;
  }

  /** Resolves a shortcut to its target file, or undefined when there is nothing to scan. */
  private async resolveShortcut(api: drive_v3.Drive, f: DriveFile): Promise<DriveFile | undefined> {
    const targetId = f.shortcutDetails?.targetId;
    if (!targetId) return undefined;
    const tm = f.shortcutDetails?.targetMimeType;
    if (tm && !tm.startsWith('image/')) return undefined;
    try {
      const res = await this.call(() => api.files.get({ fileId: targetId, supportsAllDrives: true, fields: FILE_FIELDS }));
      return res.data;
    } catch (err) {
      const cls = classifyDriveError(err);
      if (cls.kind === 'notFound' || (cls.kind === 'permanent' && driveErrorFacts(err).status === 403)) return undefined;
      throw err;
    }
  }

  /** Maps one files.list page to refs (shortcuts resolved, each file id once per run). */
  private async pageRefs(api: drive_v3.Drive, files: DriveFile[], label: string, user: string, seen: Set<string>, skipSharedDriveItems: boolean): Promise<ObjectRef[]> {
    const out: ObjectRef[] = [];
    for (const f of files) {
      let file: DriveFile | undefined = f;
      if (f.mimeType === SHORTCUT_MIME) {
        const tid = f.shortcutDetails?.targetId;
        if (!tid || seen.has(tid)) continue;
        file = await this.resolveShortcut(api, f);
        if (!file) continue;
      } else if (skipSharedDriveItems && f.driveId) {
        continue; // listed with its shared drive
      }
      if (!file.id || seen.has(file.id)) continue;
      const ref = await this.toRef(api, file, label, user);
      if (!ref) continue;
      seen.add(file.id);
      out.push(ref);
    }
    return out;
  }

  /** One files.list page: the all-drives flags, our page size and the minimal field mask, always. */
  private filesPage(api: drive_v3.Drive, p: { q: string; corpora: 'user' | 'drive'; driveId?: string; pageToken: string | undefined }) {
    return this.call(() =>
      api.files.list({
        ...p,
        includeItemsFromAllDrives: true,
        supportsAllDrives: true,
        pageSize: this.pageSize,
        fields: `nextPageToken,files(${FILE_FIELDS})`,
      }),
    );
  }

  /**
   * What a listing walks, in cursor order: each user's files (sorted by address), then each
   * shared drive once (sorted by id), with the query, label and impersonated user of each.
   */
  private async listTargets(): Promise<ListTarget[]> {
    const q = this.tenantWide ? `${LIST_QUERY} and 'me' in owners` : LIST_QUERY;
    const users: ListTarget[] = (await this.users()).map((user) => ({
      p: 'u', key: user, label: user, user, query: { q, corpora: 'user' }, what: `files of ${user}`, doing: 'listing',
    }));
    const drives: ListTarget[] = (await this.sharedDrives()).map((d) => ({
      p: 'd', key: d.id, label: d.name, user: d.user, query: { q: LIST_QUERY, corpora: 'drive', driveId: d.id }, what: `shared drive "${d.name}"`, doing: `listing shared drive "${d.name}" of`,
    }));
    return [...users, ...drives];
  }

  async *list(cursor?: string, opts: ListOptions = {}): AsyncIterable<Page> {
    this.listSignal = opts.signal;
    const start = cursor ? this.parseListCursor(cursor) : undefined;
    const seen = new Set<string>();
    const targets = await this.listTargets();
    const mkCursor = (c: ListCursor) => JSON.stringify(c);
    // Resume at the cursor's target, or the next one when it has gone (targets are sorted).
    const phase = (p: 'u' | 'd') => (p === 'u' ? 0 : 1);
    let i = start ? targets.findIndex((t) => phase(t.p) > phase(start.p) || (t.p === start.p && (start.k === undefined || t.key >= start.k))) : 0;
    if (i < 0) i = targets.length;
    let pageToken = start?.k !== undefined && targets[i]?.p === start.p && targets[i]?.key === start.k ? start.t : undefined;
    if (i >= targets.length) {
      yield this.withGaps({ items: [] });
      return;
    }
    for (; i < targets.length; i++) {
      const tg = targets[i]!;
      const api = await this.driveFor(tg.user);
      const following = targets[i + 1];
      const nextTarget = following ? mkCursor({ v: 1, p: following.p, k: following.key }) : undefined;
      for (;;) {
        let res;
        try {
          res = await this.filesPage(api, { ...tg.query, pageToken });
        } catch (err) {
          if (!this.isGap(err)) throw this.userError(err, pageToken && tg.p === 'u' ? 'listing (resuming from a saved cursor)' : tg.doing, tg.user);
          // One user or drive we may not read does not stop a tenant scan; the listing reports the gap.
          yield this.withGaps({ items: [], incomplete: [this.gapLine(tg.what, err)], ...(nextTarget ? { nextCursor: nextTarget } : {}) });
          break;
        }
        let items: ObjectRef[];
        try {
          // a user's pass leaves shared-drive items to their drive's own pass
          items = await this.pageRefs(api, res.data.files ?? [], tg.label, tg.user, seen, tg.p === 'u');
        } catch (err) {
          throw this.userError(err, tg.doing, tg.user);
        }
        const next = res.data.nextPageToken ?? undefined;
        if (next !== undefined && next === pageToken) throw new UserError(`Drive listing of ${tg.what} returned the same page token twice; stopping instead of looping.`);
        const nextCursor = next ? mkCursor({ v: 1, p: tg.p, k: tg.key, t: next }) : nextTarget;
        yield this.withGaps({ items, ...(nextCursor ? { nextCursor } : {}) });
        if (!next) break;
        pageToken = next;
      }
      pageToken = undefined;
    }
  }

  // --- open ------------------------------------------------------------------------

  async open(ref: ObjectRef, opts: OpenOptions = {}): Promise<Readable> {
    const { signal, maxBytes } = opts;
    if (maxBytes !== undefined && ref.size > maxBytes) {
      throw new ItemError('too_large', `${ref.path} is ${ref.size} bytes, above the ${maxBytes}-byte limit`);
    }
    const user = typeof ref.extra?.user === 'string' ? ref.extra.user : (this.location.user ?? (await this.users())[0]);
    if (!user) throw new ItemError('not_found', `${ref.path}: no user to read it as`);
    const api = await this.driveFor(user);
    let res;
    try {
      res = await this.call(
        () => api.files.get({ fileId: ref.externalId, alt: 'media', supportsAllDrives: true }, signal ? { responseType: 'stream', signal } : { responseType: 'stream' }),
        signal,
      );
    } catch (err) {
      if (driveErrorFacts(err).status === 404) throw new ItemError('not_found', `${ref.path} is gone (HTTP 404 notFound)`, { cause: err });
      throw toItemError(err, `cannot read ${ref.path}`);
    }
    const data = res.data as unknown;
    const body: Readable =
      data instanceof Readable ? data : Readable.fromWeb(data as import('node:stream/web').ReadableStream<Uint8Array>);
    const headers = res.headers as unknown as { get?: (n: string) => string | null } | Record<string, string> | undefined;
    const rawLength = typeof headers?.get === 'function' ? headers.get('content-length') : (headers as Record<string, string> | undefined)?.['content-length'];
    const length = Number(rawLength ?? NaN);
    if (maxBytes !== undefined && Number.isFinite(length) && length > maxBytes) {
      body.destroy();
      throw new ItemError('too_large', `${ref.path} is ${length} bytes, above the ${maxBytes}-byte limit`);
    }
    return maxBytes !== undefined ? limitStream(body, maxBytes) : body;
  }

  // --- changes ---------------------------------------------------------------------

  /** Start tokens for every user's feed and every shared drive's feed, taken now. */
  async changesStart(): Promise<string> {
    const feeds: Feed[] = [];
    for (const user of await this.users()) {
      const api = await this.driveFor(user);
      try {
        const res = await this.call(() => api.changes.getStartPageToken({ supportsAllDrives: true }));
        feeds.push({ u: user, t: String(res.data.startPageToken) });
      } catch (err) {
        if (!this.isGap(err)) throw this.userError(err, 'taking the change-feed position of', user);
        // the listing that follows reports it, so this position is never stored
        this.pendingGaps.push(this.gapLine(`change feed of ${user}`, err));
      }
    }
    for (const d of await this.sharedDrives()) {
      const api = await this.driveFor(d.user);
      try {
        const res = await this.call(() => api.changes.getStartPageToken({ supportsAllDrives: true, driveId: d.id }));
        feeds.push({ u: d.user, d: d.id, t: String(res.data.startPageToken) });
      } catch (err) {
        if (!this.isGap(err)) throw this.userError(err, `taking the change-feed position of shared drive "${d.name}" of`, d.user);
        this.pendingGaps.push(this.gapLine(`change feed of shared drive "${d.name}"`, err));
      }
    }
    const c: ChangesCursor = { v: 1, f: feeds };
    return JSON.stringify(c);
  }

  private parseChangesCursor(cursor: string): ChangesCursor {
    try {
      const c = JSON.parse(cursor) as ChangesCursor;
      if (c && c.v === 1 && Array.isArray(c.f) && c.f.every((f) => typeof f.u === 'string' && typeof f.t === 'string')) return c;
    } catch {
      /* below */
    }
    throw new CursorExpiredError(`the stored change cursor for ${this.uri} is not a Google Drive change cursor`);
  }

  async *changes(cursor: string, opts: ListOptions = {}): AsyncIterable<ChangePage> {
    this.listSignal = opts.signal;
    const c = this.parseChangesCursor(cursor);
    const feeds = c.f.map((f) => ({ ...f }));
    const seen = new Set<string>();
    // Tenant-wide, a removal in a user's feed may only mean that user lost access (the owner
    // unshared it), not that the file is gone. Such removals wait for the end of the run and are
    // dropped when any feed showed the file still present (an unshare is a change in the owner's
    // feed). Shared-drive feeds and trashing are authoritative. An interrupted run loses the
    // waiting removals; the next complete full listing marks those items gone instead.
    const waiting = new Set<string>();
    const present = new Set<string>();
    // A feed that could not be read may be the owner's: then no waiting removal is trusted.
    let feedGap = false;
    const lateDeleted = () => (feedGap ? [] : [...waiting].filter((id) => !present.has(id) && !seen.has(id)));
    const names = new Map((await this.sharedDrives().catch(() => [] as DriveTarget[])).map((d) => [d.id, d.name]));
    for (let i = c.i ?? 0; i < feeds.length; i++) {
      const feed = feeds[i]!;
      const api = await this.driveFor(feed.u);
      const label = feed.d ? (names.get(feed.d) ?? feed.d) : feed.u;
      /** The last page of this feed: where the next feed starts, or (last feed) the next run's cursor. */
      const endOfFeed = (page: ChangePage): ChangePage => {
        if (i + 1 < feeds.length) page.nextCursor = JSON.stringify({ v: 1, f: feeds, i: i + 1 } satisfies ChangesCursor);
        else {
          page.changesCursor = JSON.stringify({ v: 1, f: feeds } satisfies ChangesCursor);
          const now = page.deleted ?? [];
          const late = lateDeleted().filter((id) => !now.includes(id));
          if (late.length) page.deleted = [...now, ...late];
        }
        return page;
      };
      for (;;) {
        let res;
        try {
          res = await this.call(() =>
            api.changes.list({
              pageToken: feed.t,
              driveId: feed.d,
              includeItemsFromAllDrives: true,
              supportsAllDrives: true,
              includeRemoved: true,
              pageSize: this.pageSize,
              fields: `nextPageToken,newStartPageToken,changes(changeType,removed,fileId,driveId,file(${FILE_FIELDS}))`,
            }),
          );
        } catch (err) {
          if (isExpiredTokenError(err)) {
            throw new CursorExpiredError(`Drive no longer accepts the change token of ${feed.d ? `shared drive ${label}` : feed.u} (${describeDriveError(err)})`, { cause: err });
          }
          if (!this.isGap(err)) throw this.userError(err, 'reading the change feed of', feed.u);
          // This feed keeps its position (feed.t), so the next run reads what this one could not.
          feedGap = true;
          yield this.withGaps(endOfFeed({ items: [], incomplete: [this.gapLine(`change feed of ${feed.d ? `shared drive "${label}"` : feed.u}`, err)] }));
          break;
        }
        const items: ObjectRef[] = [];
        const deleted: string[] = [];
        try {
          for (const ch of res.data.changes ?? []) {
            if (ch.changeType && ch.changeType !== 'file') continue;
            const id = ch.fileId ?? ch.file?.id;
            if (!id) continue;
            const f = ch.file;
            if (f && !ch.removed && !f.trashed) present.add(id);
            // A user's feed also carries shared-drive changes; those come from the drive's own feed.
            if (!feed.d && f?.driveId && this.opts.sharedDrives !== false) continue;
            if (ch.removed || !f || f.trashed) {
              if (seen.has(id)) continue;
              if (this.tenantWide && !feed.d && !f?.trashed) waiting.add(id);
              else deleted.push(id);
              continue;
            }
            if (f.mimeType === SHORTCUT_MIME) {
              const tid = f.shortcutDetails?.targetId;
              if (!tid || seen.has(tid)) continue;
              const target = await this.resolveShortcut(api, f);
              if (!target?.id) continue;
              const ref = await this.toRef(api, target, label, feed.u);
              if (ref) {
                seen.add(target.id);
                items.push(ref);
              }
              continue;
            }
            if (seen.has(id)) continue;
            const ref = await this.toRef(api, f, label, feed.u);
            if (ref) {
              seen.add(id);
              items.push(ref);
            }
          }
        } catch (err) {
          throw this.userError(err, 'reading the change feed of', feed.u);
        }
        const page: ChangePage = { items };
        if (deleted.length) page.deleted = deleted;
        if (res.data.nextPageToken) {
          feed.t = res.data.nextPageToken;
          page.nextCursor = JSON.stringify({ v: 1, f: feeds, i } satisfies ChangesCursor);
          yield this.withGaps(page);
          continue;
        }
        feed.t = String(res.data.newStartPageToken ?? feed.t);
        yield this.withGaps(endOfFeed(page));
        break;
      }
    }
    if (feeds.length === 0 || (c.i ?? 0) >= feeds.length) yield this.withGaps({ items: [], changesCursor: JSON.stringify({ v: 1, f: feeds } satisfies ChangesCursor) });
  }

  // --- remediation (remediate.ts) -----------------------------------------------

  private remediation(): GdriveRemediation {
    this.remediationImpl ??= new GdriveRemediation({
      uri: this.uri,
      tenantDomains: this.tenantDomains,
      api: (user, write) => this.driveFor(lc(user), write),
      call: (fn) => this.call(fn, null),
      adminUser: () => {
        const a = this.opts.adminUser || process.env.GDRIVE_ADMIN_USER;
        return a ? lc(a) : undefined;
      },
      canImpersonate: async () => (await this.auth()).kind === 'service_account',
      defaultUser: async () => this.location.user ?? (await this.users())[0],
    });
    return this.remediationImpl;
  }

  /** Live state: parents, etag, every permission as a Grant (owner and inherited ones not revocable), casb-* appProperties. */
  inspect(ref: ObjectRef): Promise<LiveState> {
    return this.remediation().inspect(ref);
  }

  /** permissions.delete for each grant (already gone = done), as the file's owner (My Drive) or its listing member (shared drive). */
  removeGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    return this.remediation().removeGrants(ref, grants);
  }

  /** permissions.create from each grant's spec, without notification e-mails; an equal permission counts as restored. */
  addGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    return this.remediation().addGrants(ref, grants);
  }

  /** Ownership to the admin, into the admin's unshared quarantine folder, every other permission dropped (see remediate.ts). */
  quarantine(ref: ObjectRef, target: QuarantineTarget): Promise<ObjectRef> {
    return this.remediation().quarantine(ref, target);
  }

  /** Back to the before-snapshot's folders (and owner, or shared drive); the admin's leftover access removed. */
  release(quarantined: ObjectRef, before: LiveState): Promise<ObjectRef> {
    return this.remediation().release(quarantined, before);
  }

  /** appProperties merge (30 per app, 124 bytes per key + value). */
  tag(ref: ObjectRef, tags: Record<string, string>): Promise<void> {
    return this.remediation().tag(ref, tags);
  }

  async close(): Promise<void> {
    this.drives.clear();
  }
}

/** The connector factory for `gdrive://<domain>` and `gdrive://<user@domain>`. */
export function createGdriveConnector(uri: string, opts: GdriveConnectorOptions = {}): GdriveConnector {
  return new GdriveConnector(parseGdriveUri(uri), opts);
}

export default createGdriveConnector;
