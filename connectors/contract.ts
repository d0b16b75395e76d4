/**
 * The connector contract. Modelled on rclone backends: a small required interface
 * (list + open), optional capabilities discovered at run time, and one error
 * classifier per connector that feeds the shared retry helper (src/util/retry.ts).
 *
 * Enumeration (list) is kept apart from scanning (open): the pipeline lists pages,
 * checkpoints at the low-water mark, and only then fetches bytes.
 */
import type { Readable } from 'node:stream';
import type { ErrorClass } from '../src/util/retry.js';

/** Who can see an object, as far as the source tells us. Ordered from widest to narrowest. */
export type ExposureLevel = 'public' | 'anyone_with_link' | 'domain' | 'external' | 'internal' | 'private' | 'unknown';

export interface Exposure {
  level: ExposureLevel;
  /** Human-readable grants behind the level, e.g. "AllUsers:READ" or "user:bob@example.org". Never secrets. */
  details?: string[];
}

/** One object as listed by a source. Unchanged = same externalId + etag at the same model/policy version. */
export interface ObjectRef {
  /** Stable id inside the source (S3 key, Drive file id, path relative to the local root). */
  externalId: string;
  /** Display path, for people. */
  path: string;
  size: number;
  /** ETag / version / content fingerprint; changes whenever content changes. */
  etag: string;
  modifiedAt?: Date;
  contentType?: string;
  exposure?: Exposure;
  /**
   * Set by the connector when the item must not be downloaded, e.g. `archived` for
   * S3 Glacier objects. The pipeline records `skipped:<reason>` for it.
   */
  skipReason?: string;
  /** Connector-private extras needed by open() (e.g. S3 version id). Must be JSON-serialisable. */
  extra?: Record<string, unknown>;
}

/** A page of refs plus the cursor that resumes listing right after this page. */
export interface Page {
  items: ObjectRef[];
  /** Opaque, JSON-serialisable. `undefined` on the last page. */
  nextCursor?: string;
  /**
   * Only on the last page, from connectors whose full listing itself ends in a change-feed
   * position (OneDrive: the delta walk's `@odata.deltaLink`): the cursor for the next
   * incremental run. The pipeline stores it once every item of the listing is committed.
   */
  changesCursor?: string;
  /**
   * Parts of the source this listing could not read and went past (a tenant user's drive that
   * answered access denied), one line each for people, e.g. `drive of bob@contoso.com (access_denied)`.
   * A listing with such gaps is not complete: the pipeline then marks nothing gone for not being
   * listed, and the summary reports the gaps.
   */
  incomplete?: string[];
}

/** A page of an incremental (change feed) listing. */
export interface ChangePage extends Page {
  /** externalIds removed (or trashed, or no longer visible) since the cursor; recorded as gone. */
  deleted?: string[];
}

/**
 * Thrown by `changes()` when the stored cursor is no longer accepted (Graph 410 resyncRequired,
 * Drive 400/410 on a stale page token). The pipeline then runs a full listing, which re-scans
 * only items whose etag changed since their last scan.
 */
export class CursorExpiredError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CursorExpiredError';
  }
}

export interface ListOptions {
  signal?: AbortSignal;
}

export interface OpenOptions {
  signal?: AbortSignal;
  /** The stream must fail (not truncate silently) once more than maxBytes arrive. */
  maxBytes?: number;
}

/** What to list: the part of a source after its scheme, e.g. bucket+prefix or a folder. */
export interface Scope {
  /** Canonical URI of the source, e.g. `s3://bucket/prefix` or `file:///abs/dir`. Used as the source's natural key. */
  uri: string;
}

/** Request counters a connector keeps; the scan summary reports them (throttle events, retries). */
export interface ConnectorStats {
  requests: number;
  retries: number;
  /** Retries caused by throttling (429, 503 with Retry-After, Drive 403 rate-limit reasons, S3 SlowDown). */
  throttled: number;
}

export interface Connector {
  /** Registry name: `local`, `s3`, ... */
  readonly kind: string;
  /** Canonical source URI (the natural key of the source row). */
  readonly uri: string;
  /** `signal`: stop waiting (a long Retry-After, a backoff) when the scan is interrupted. */
  list(cursor?: string, opts?: ListOptions): AsyncIterable<Page>;
  /** Optional: live request counters (see ConnectorStats). */
  readonly stats?: ConnectorStats;
  open(ref: ObjectRef, opts?: OpenOptions): Promise<Readable>;
  /** Sorts a thrown error into retryable / throttled / notFound / permanent. */
  classifyError(err: unknown): ErrorClass;
  /**
   * Optional: a short reason for an item outcome, e.g. `access_denied`, recorded as `failed:<reason>`.
   * Without it the pipeline derives one from classifyError.
   */
  errorReason?(err: unknown): string | undefined;
  /** Checks credentials and reachability before a scan starts; throws a UserError with one clear line. */
  probe?(): Promise<void>;
  close?(): Promise<void>;

  // Optional capabilities, filled in by later work. Discover them with the guards below.
  /**
   * Incremental listing from a cursor that an earlier run stored: pages of added/changed items
   * and deleted ids. `nextCursor` resumes mid-feed; the last page carries `changesCursor`, the
   * position for the next run. Throws CursorExpiredError when the cursor is no longer valid.
   */
  changes?(cursor: string, opts?: ListOptions): AsyncIterable<ChangePage>;
  /**
   * The change-feed position *now*, taken before a full listing starts (Drive:
   * changes.getStartPageToken), so that nothing changed during the listing is missed.
   */
  changesStart?(): Promise<string>;
  /**
   * Exposure read live for one item (S3: bucket policy status, Block Public Access, object ACL).
   * The pipeline calls it only for items that produced findings and whose listing carried no
   * exposure, so a tenant-wide scan does not pay one extra request per object.
   */
  describeSharing?(ref: ObjectRef): Promise<Exposure>;

  // Remediation capabilities (src/remediation/). A connector implements those its platform allows;
  // an action that needs a missing one is recorded `blocked:unsupported`.
  /** The object's live state: where it is, who can reach it, casb's tags. Never throws for a missing object: `exists: false`. */
  inspect?(ref: ObjectRef): Promise<LiveState>;
  /** Removes these grants (ids from inspect). A grant already gone counts as removed. */
  removeGrants?(ref: ObjectRef, grants: Grant[]): Promise<void>;
  /** Re-creates grants from a before-snapshot (restore). A grant that exists again counts as restored. */
  addGrants?(ref: ObjectRef, grants: Grant[]): Promise<void>;
  /**
   * Moves the object out of reach (S3: copy to the quarantine location, verify, delete the original;
   * Drive/OneDrive: move to a quarantine folder and drop its sharing; local: move). Returns the
   * object at its new place. Safe to call again after a failure part-way (no second copy).
   */
  quarantine?(ref: ObjectRef, target: QuarantineTarget): Promise<ObjectRef>;
  /** Refuses (UserError, one line) a quarantine location this source cannot use, before any item is touched or planned. */
  checkQuarantine?(to: string | undefined): Promise<void>;
  /** Undoes quarantine: puts the object at `quarantined` back where `before` says it was. Returns it there. */
  release?(quarantined: ObjectRef, before: LiveState): Promise<ObjectRef>;
  /** Sets casb's tags (S3 object tags, Drive appProperties, OneDrive description) so owners can see why; an empty value removes that key. */
  tag?(ref: ObjectRef, tags: Record<string, string>): Promise<void>;
}

/** One live grant on an object, as inspect() reads it. */
export interface Grant {
  /** Platform id: Drive/Graph permission id; S3 `acl:<grantee>:<permission>`; `bucket-policy` for a bucket policy. */
  id: string;
  /** What it exposes the object to (public, anyone_with_link, domain, external, internal, private). */
  level: ExposureLevel;
  /** For people: `anyone`, `domain:partner.org`, `user:bob@partner.org`, `AllUsers:READ`, `link:view:anonymous`. Never a secret or link token. */
  who: string;
  role: string;
  /** false when the object-level API cannot remove it (the owner, an inherited grant, a bucket policy). */
  revocable: boolean;
  /** When not revocable: why, and what to do instead. */
  note?: string;
  /** What re-creates it on restore (platform fields). JSON; never a secret. */
  spec?: Record<string, unknown>;
}

export interface LiveState {
  /** false: the object is not there (every other field then empty). */
  exists: boolean;
  /** Where it is, for people: `s3://bucket/key`, a Drive path, a local path. */
  location: string;
  /** Connector-private: what release() needs to put it back (parent ids, key, version). JSON. */
  place?: Record<string, unknown>;
  /** Content fingerprint now (quarantine must not move a file that changed since the scan). */
  etag?: string;
  grants: Grant[];
  /** Tags/properties casb set (`casb-*`). */
  tags?: Record<string, string>;
}

export interface QuarantineTarget {
  /** Where quarantined objects go: `s3://bucket/prefix` or a prefix (S3), a folder (local), a folder name (Drive, OneDrive). Connector default when absent. */
  to?: string;
  /** The finding that caused it (S3 tags the copy with it). */
  findingId: string;
}

export type Capability = 'changes' | 'changesStart' | 'describeSharing' | 'inspect' | 'removeGrants' | 'addGrants' | 'quarantine' | 'release' | 'tag';
const CAPABILITIES: readonly Capability[] = ['changes', 'changesStart', 'describeSharing', 'inspect', 'removeGrants', 'addGrants', 'quarantine', 'release', 'tag'];

export function hasCapability<C extends Capability>(c: Connector, cap: C): c is Connector & Required<Pick<Connector, C>> {
  return typeof (c as unknown as Record<string, unknown>)[cap] === 'function';
}

export function capabilities(c: Connector): Capability[] {
  return CAPABILITIES.filter((cap) => hasCapability(c, cap));
}

/** Options every connector factory receives from the CLI / config. */
export interface ConnectorOptions {
  /** S3-compatible endpoint override (`--endpoint`). */
  endpoint?: string;
  /** Force path-style addressing (S3-compatible stores). Defaults to true when endpoint is set. */
  forcePathStyle?: boolean;
  region?: string;
  /** Retry tuning; tests shorten the delays. */
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /**
   * Cloud APIs (gdrive, onedrive): a credentials file (Drive: a service-account key or an
   * authorized-user JSON with a refresh token; OneDrive: JSON with tenantId, clientId and
   * clientSecret or a refresh token). Default: the connector's environment variable. Secrets are
   * never stored in the database and never logged.
   */
  credentialsFile?: string;
  /** Cloud APIs: API root override (Drive `rootUrl`, Graph `baseUrl`) — local API servers in tests, sovereign clouds. */
  apiUrl?: string;
  /** Cloud APIs: OAuth token endpoint / authority override (tests). */
  tokenUrl?: string;
  /** Cloud tenant scans: scan these users instead of enumerating the directory. */
  users?: string[];
  /** Google Workspace tenant scans: the admin impersonated to read the user directory (default $GDRIVE_ADMIN_USER). */
  adminUser?: string;
  /** The organisation's own domains, for exposure (who counts as external); default: the tenant's domain. */
  domains?: string[];
  /**
   * Local folders: absolute paths never listed — casb's own data dir (embedded database, OCR cache, quarantine),
   * which `casb scan .` would otherwise scan while writing to it.
   */
  skipPaths?: string[];
}

export type ConnectorFactory = (uri: string, opts: ConnectorOptions) => Connector | Promise<Connector>;
