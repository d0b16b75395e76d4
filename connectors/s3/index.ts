/**
 * The S3 connector: `s3://bucket[/prefix]` on AWS S3 or any S3-compatible store
 * (`--endpoint`, path-style by default there).
 *
 * - Credentials come from the standard AWS chain (env, shared config/SSO, web identity,
 *   container/instance roles). None are taken on the command line and none are logged.
 * - The SDK's own retries are off (`maxAttempts: 1`): every call goes through the shared
 *   `withRetry`, fed by this connector's `classifyError`.
 * - list() walks ListObjectsV2 pages and follows NextContinuationToken until IsTruncated
 *   is false; the cursor is that token.
 * - open() streams GetObject (never buffered) with If-Match on the listed ETag, so the bytes
 *   scanned are the bytes whose ETag gets recorded; a changed object fails with
 *   `changed` instead of being stored under a stale ETag.
 * - Remediation (describeSharing, inspect, removeGrants, addGrants, quarantine, release, tag) is in
 *   remediate.ts, on the same client and retry policy.
 */
import { Transform, Readable } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig, _Object as S3Object, ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import type { Connector, ConnectorOptions, Exposure, Grant, LiveState, ObjectRef, OpenOptions, Page, QuarantineTarget } from '../contract.js';
import type { ErrorClass, RetryOptions } from '../../src/util/retry.js';
import { DEFAULT_RETRY, countingRetry, withRetry } from '../../src/util/retry.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { objectPath, parseS3Uri } from './uri.js';
import type { S3Location } from './uri.js';
import {
  UNREACHABLE_CODES,
  classifyS3Error,
  describeS3Error,
  errorFacts,
  s3ErrorReason,
  toItemError,
} from './errors.js';
import { DEFAULT_QUARANTINE_PREFIX, S3Remediation } from './remediate.js';

export { parseS3Uri, isS3Uri, bucketNameProblem } from './uri.js';
export { classifyS3Error, s3ErrorReason, describeS3Error } from './errors.js';
export { DEFAULT_QUARANTINE_PREFIX, MAX_TAGS } from './remediate.js';

// casb-scan supports Node 20 on purpose (the lock file pins an SDK that runs on it). The SDK's
// multi-line "upgrade to Node 22" warning would otherwise land in every scan's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const DEFAULT_REGION = 'us-east-1';
/** ListObjectsV2 page size; S3 never returns more than 1000 keys per page. */
export const PAGE_SIZE = 1000;

/**
 * Storage classes whose objects cannot be read without a restore. GLACIER_IR (Instant
 * Retrieval) is readable at once and so is not here.
 */
export const ARCHIVE_STORAGE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export interface S3ConnectorOptions extends ConnectorOptions {
  /**
   * Credentials for programmatic use (tests, embedding). The CLI never sets this: it relies on
   * the standard AWS credential chain.
   */
  credentials?: S3ClientConfig['credentials'];
  /** ListObjectsV2 MaxKeys (1..1000); default 1000. */
  pageSize?: number;
  /** Socket connect / idle timeouts in ms. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** Counters for logs and metrics. */
export interface S3Stats {
  requests: number;
  retries: number;
  throttled: number;
}

type ListEntry = Pick<S3Object, 'Key' | 'Size' | 'ETag' | 'LastModified' | 'StorageClass' | 'RestoreStatus'>;

/** Strips the quotes (and a weak `W/` marker) S3 puts around ETags. */
export function cleanEtag(etag: string | undefined): string {
  if (!etag) return '';
  return etag.replace(/^W\//, '').replace(/^"+|"+$/g, '');
}

/**
 * True when the object must be restored before it can be read: an archive storage class
 * and no completed, unexpired restore.
 */
export function isArchived(entry: Pick<ListEntry, 'StorageClass' | 'RestoreStatus'>, now = Date.now()): boolean {
  const cls = entry.StorageClass;
  if (!cls || !ARCHIVE_STORAGE_CLASSES.has(String(cls))) return false;
  const rs = entry.RestoreStatus;
  if (rs && rs.IsRestoreInProgress === false) {
    // A completed restore leaves a temporary readable copy until RestoreExpiryDate.
    const expiry = rs.RestoreExpiryDate instanceof Date ? rs.RestoreExpiryDate.getTime() : rs.RestoreExpiryDate ? Date.parse(String(rs.RestoreExpiryDate)) : NaN;
    if (Number.isNaN(expiry) || expiry > now) return false;
  }
  return true;
}

/**
 * Decodes a key from a ListObjectsV2 response made with `encoding-type=url`. AWS encodes a
 * space as `+` and a literal `+` as `%2B`, so `+` is decoded first.
 */
export function decodeListedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/**
 * Maps one ListObjectsV2 entry to an ObjectRef, or undefined for entries that are not
 * objects to scan (folder markers: keys ending in `/`).
 */
export function toObjectRef(bucket: string, entry: ListEntry, opts: { urlEncoded?: boolean; now?: number } = {}): ObjectRef | undefined {
  if (entry.Key === undefined) return undefined;
  const key = opts.urlEncoded ? decodeListedKey(entry.Key) : entry.Key;
  if (key.endsWith('/')) return undefined;
  const ref: ObjectRef = {
    externalId: key,
    path: objectPath(bucket, key),
    size: Number(entry.Size ?? 0),
    etag: cleanEtag(entry.ETag),
  };
  if (entry.LastModified) ref.modifiedAt = entry.LastModified instanceof Date ? entry.LastModified : new Date(entry.LastModified);
  if (isArchived(entry, opts.now)) ref.skipReason = 'archived';
  // casb's own quarantine (the default place, in the object's bucket) is not scanned again: its
  // copies would come back as new findings of the very files that were put away
  else if (key.startsWith(DEFAULT_QUARANTINE_PREFIX)) ref.skipReason = 'quarantined';
  return ref;
}

/** Where requests go, for messages: the endpoint (without any userinfo) or AWS and the region. */
function describeTarget(endpoint: string | undefined, region: string): string {
  if (!endpoint) return `AWS S3 (region ${region})`;
  try {
    const u = new URL(endpoint);
    u.username = '';
    u.password = '';
    return `endpoint ${u.toString().replace(/\/$/, '')}`;
  } catch {
    return `endpoint ${endpoint.replace(/\/\/[^@/]*@/, '//')}`;
  }
}

/**
 * Wraps a GetObject body: fails (never truncates silently) once more than maxBytes arrive
 * or when the body ends short of Content-Length; destroying the wrapper releases the
 * connection; body errors become ItemErrors with an outcome reason.
 */
export function limitStream(
  body: Readable,
  opts: { maxBytes?: number; expectedBytes?: number; signal?: AbortSignal; what: string },
): Readable {
  let seen = 0;
  const { maxBytes, expectedBytes, signal, what } = opts;
  const out = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (maxBytes !== undefined && seen > maxBytes) {
        cb(new ItemError('too_large', `${what}: more than ${maxBytes} bytes arrived (limit ${maxBytes})`));
        return;
      }
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (expectedBytes !== undefined && seen < expectedBytes) {
        cb(new ItemError('network', `${what}: body ended after ${seen} of ${expectedBytes} bytes`));
        return;
      }
      cb();
    },
  });
  const onAbort = () => out.destroy(new ItemError('aborted', `${what}: aborted`, { cause: signal?.reason }));
  body.on('error', (err) => out.destroy(toItemError(err, what)));
  out.once('close', () => {
    signal?.removeEventListener('abort', onAbort);
    if (!body.destroyed) body.destroy();
  });
  if (signal) {
    if (signal.aborted) queueMicrotask(onAbort);
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  body.pipe(out);
  return out;
}

export class S3Connector implements Connector {
  readonly kind = 's3';
  readonly uri: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly stats: S3Stats = { requests: 0, retries: 0, throttled: 0 };
  private readonly client: S3Client;
  private readonly retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  private readonly pageSize: number;
  /** Whether to ask ListObjectsV2 for RestoreStatus; dropped if a server refuses the header. */
  private askRestoreStatus = true;
  /** The remediation capabilities (remediate.ts), made on first use. */
  private remediationImpl: S3Remediation | undefined;

  constructor(loc: S3Location, opts: S3ConnectorOptions = {}) {
    this.uri = loc.uri;
    this.bucket = loc.bucket;
    this.prefix = loc.prefix;
    this.endpoint = opts.endpoint || undefined;
    this.region = opts.region || process.env.AWS_REGION || DEFAULT_REGION;
    this.retry = {
      maxAttempts: opts.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
      baseDelayMs: opts.retry?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
      maxDelayMs: opts.retry?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
    };
    this.pageSize = Math.max(1, Math.min(PAGE_SIZE, Math.floor(opts.pageSize ?? PAGE_SIZE)));
    if (this.endpoint) {
      try {
        const u = new URL(this.endpoint);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      } catch {
        throw new UserError(`Invalid S3 endpoint "${describeTarget(this.endpoint, this.region).replace(/^endpoint /, '')}": write it as http(s)://host[:port].`);
      }
    }
    const config: S3ClientConfig = {
      region: this.region,
      maxAttempts: 1, // all retrying goes through withRetry + classifyError
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: opts.connectionTimeoutMs ?? 10_000,
        requestTimeout: opts.requestTimeoutMs ?? 120_000,
      },
    };
    if (this.endpoint) {
      config.endpoint = this.endpoint;
      config.forcePathStyle = opts.forcePathStyle ?? true;
    } else {
      if (opts.forcePathStyle !== undefined) config.forcePathStyle = opts.forcePathStyle;
      // On AWS a bucket in another region answers 301; let the SDK re-sign for the right one.
      config.followRegionRedirects = true;
    }
    if (opts.credentials) config.credentials = opts.credentials;
    this.client = new S3Client(config);
  }

  classifyError(err: unknown): ErrorClass {
    return classifyS3Error(err);
  }

  /** The outcome reason for an item that failed with `err` (`failed:<reason>`). */
  errorReason(err: unknown): string {
    return s3ErrorReason(err);
  }

  /** Where requests go, for messages. */
  get target(): string {
    return describeTarget(this.endpoint, this.region);
  }

  private retryOptions(signal?: AbortSignal, classify: (err: unknown) => ErrorClass = classifyS3Error, maxAttempts = this.retry.maxAttempts): RetryOptions {
    const opts: RetryOptions = { classify, maxAttempts, baseDelayMs: this.retry.baseDelayMs, maxDelayMs: this.retry.maxDelayMs };
    if (signal) opts.signal = signal;
    return countingRetry(this.stats, opts);
  }

  private async listPage(token: string | undefined, maxKeys: number, retry: RetryOptions): Promise<ListObjectsV2CommandOutput> {
    return withRetry(async () => {
      this.stats.requests++;
      try {
        return await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix || undefined,
            MaxKeys: maxKeys,
            ContinuationToken: token,
            // Keys are returned URL-encoded so that any key survives XML; decoded below
            // only when the response says it applied the encoding.
            EncodingType: 'url',
            OptionalObjectAttributes: this.askRestoreStatus ? ['RestoreStatus'] : undefined,
          }),
        );
      } catch (err) {
        // A store that does not know x-amz-optional-object-attributes: ask once more without it.
        const f = errorFacts(err);
        if (this.askRestoreStatus && (f.code === 'NotImplemented' || f.status === 501 || (f.code === 'InvalidArgument' && /optional|attribute/i.test(String((err as Error).message))))) {
          this.askRestoreStatus = false;
          this.stats.requests++;
          return await this.client.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix || undefined, MaxKeys: maxKeys, ContinuationToken: token, EncodingType: 'url' }),
          );
        }
        throw err;
      }
    }, retry);
  }

  async *list(cursor?: string): AsyncIterable<Page> {
    let token = cursor || undefined;
    const retry = this.retryOptions();
    for (;;) {
      let res: ListObjectsV2CommandOutput;
      try {
        res = await this.listPage(token, this.pageSize, retry);
      } catch (err) {
        throw this.userError(err, token ? 'listing (resuming from a saved cursor)' : 'listing');
      }
      const urlEncoded = String(res.EncodingType ?? '').toLowerCase() === 'url';
      const now = Date.now();
      const items: ObjectRef[] = [];
      for (const entry of res.Contents ?? []) {
        const ref = toObjectRef(this.bucket, entry, { urlEncoded, now });
        if (ref) items.push(ref);
      }
      // Never stop on a key count: only IsTruncated says whether more pages follow.
      const next = res.IsTruncated ? res.NextContinuationToken : undefined;
      if (res.IsTruncated && !next) {
        throw new UserError(`S3 listing of ${this.uri} at ${this.target} is truncated but carries no NextContinuationToken; the server is not S3-compatible enough to list.`);
      }
      if (next !== undefined && next === token) {
        throw new UserError(`S3 listing of ${this.uri} at ${this.target} returned the same continuation token twice; stopping instead of looping.`);
      }
      const page: Page = { items };
      if (next !== undefined) page.nextCursor = next;
      yield page;
      if (next === undefined) return;
      token = next;
    }
  }

  async open(ref: ObjectRef, opts: OpenOptions = {}): Promise<Readable> {
    const { signal, maxBytes } = opts;
    const what = `cannot read ${ref.path}`;
    if (maxBytes !== undefined && ref.size > maxBytes) {
      throw new ItemError('too_large', `${ref.path} is ${ref.size} bytes, above the ${maxBytes}-byte limit`);
    }
    const versionId = typeof ref.extra?.versionId === 'string' ? ref.extra.versionId : undefined;
    let res;
    try {
      res = await withRetry(async () => {
        this.stats.requests++;
        return this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: ref.externalId,
            VersionId: versionId,
            // Read exactly the version that was listed; a newer one is picked up by the next scan.
            IfMatch: ref.etag && !versionId ? `"${ref.etag}"` : undefined,
          }),
          signal ? { abortSignal: signal } : {},
        );
      }, this.retryOptions(signal));
    } catch (err) {
      if (errorFacts(err).code === 'InvalidObjectState') {
        throw new ItemError('archived', `${ref.path} is archived (InvalidObjectState) and must be restored before it can be read`, { cause: err });
      }
      throw toItemError(err, what);
    }
    const body = res.Body as Readable | undefined;
    const length = res.ContentLength;
    if (maxBytes !== undefined && length !== undefined && length > maxBytes) {
      body?.destroy();
      throw new ItemError('too_large', `${ref.path} is ${length} bytes, above the ${maxBytes}-byte limit`);
    }
    if (!body) return Readable.from([]);
    const limit: Parameters<typeof limitStream>[1] = { what };
    if (maxBytes !== undefined) limit.maxBytes = maxBytes;
    if (length !== undefined) limit.expectedBytes = length;
    if (signal) limit.signal = signal;
    return limitStream(body, limit);
  }

  /** Checks reachability, credentials, the bucket and the list permission with a one-key list. */
  async probe(): Promise<void> {
    // Fail fast when the host cannot be reached at all; otherwise retry a little.
    const classify = (err: unknown): ErrorClass => {
      const f = errorFacts(err);
      if (f.network && f.code && UNREACHABLE_CODES.has(f.code)) return { kind: 'permanent' };
      return classifyS3Error(err);
    };
    try {
      await this.listPage(undefined, 1, this.retryOptions(undefined, classify, Math.min(3, this.retry.maxAttempts)));
    } catch (err) {
      throw this.userError(err, 'checking');
    }
  }

  /** One clear line: what failed, for which bucket and endpoint, and what to do. */
  userError(err: unknown, doing: string): UserError {
    if (err instanceof UserError) return err;
    const f = errorFacts(err);
    const where = this.target;
    const src = this.uri;
    const code = f.code ?? 'error';
    const detail = describeS3Error(err);
    const reason = s3ErrorReason(err);
    let msg: string;
    if (f.network || (f.code && UNREACHABLE_CODES.has(f.code))) {
      msg = this.endpoint
        ? `Cannot reach the S3 ${where} while ${doing} ${src} (${code}): check --endpoint and that the server is running and reachable.`
        : `Cannot reach ${where} while ${doing} ${src} (${code}): check the network, proxy settings and --region.`;
    } else if (code === 'CredentialsProviderError' || /could not load credentials/i.test(detail)) {
      msg = `No AWS credentials found while ${doing} ${src}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an instance/container role.`;
    } else if (code === 'InvalidAccessKeyId') {
      msg = `The access key was not recognised by ${where} while ${doing} ${src} (InvalidAccessKeyId): check AWS_ACCESS_KEY_ID / AWS_PROFILE and that the key belongs to this endpoint.`;
    } else if (code === 'SignatureDoesNotMatch') {
      msg = `The secret key does not match the access key at ${where} while ${doing} ${src} (SignatureDoesNotMatch): check AWS_SECRET_ACCESS_KEY / AWS_PROFILE.`;
    } else if (code === 'ExpiredToken' || code === 'InvalidToken' || code === 'TokenRefreshRequired') {
      msg = `The AWS session credentials were refused by ${where} while ${doing} ${src} (${code}): refresh them (e.g. aws sso login) and try again.`;
    } else if (reason === 'wrong_region') {
      msg = f.bucketRegion
        ? `S3 bucket "${this.bucket}" is in region ${f.bucketRegion}, not ${this.region}: pass --region ${f.bucketRegion} or set AWS_REGION=${f.bucketRegion}.`
        : `S3 bucket "${this.bucket}" is not in region ${this.region} (${code}): pass the bucket's region with --region or AWS_REGION.`;
    } else if (reason === 'access_denied') {
      msg = `Access denied while ${doing} ${src} at ${where} (${code}): allow s3:ListBucket on bucket "${this.bucket}" and s3:GetObject on its objects for these credentials, or use other credentials.`;
    } else if (reason === 'not_found') {
      msg = `S3 bucket "${this.bucket}" does not exist at ${where} (${code}): check the bucket name in ${src}${this.endpoint ? ' and --endpoint' : ' and --region'}.`;
    } else if (reason === 'throttled' || reason === 'server_error') {
      msg = `S3 at ${where} kept failing while ${doing} ${src} (${detail}) after ${this.retry.maxAttempts} attempts: try again later or lower --concurrency.`;
    } else {
      msg = `S3 request failed while ${doing} ${src} at ${where}: ${detail}.`;
    }
    return new UserError(msg.replace(/\s*[\r\n]+\s*/g, ' '), 2, { cause: err });
  }

  private get remediation(): S3Remediation {
    this.remediationImpl ??= new S3Remediation({
      client: this.client,
      bucket: this.bucket,
      target: this.target,
      aws: !this.endpoint,
      retry: () => this.retryOptions(),
      stats: this.stats,
    });
    return this.remediationImpl;
  }

  // Remediation capabilities: see remediate.ts.
  /** Exposure of one object: its ACL, the bucket policy status and Block Public Access. */
  describeSharing(ref: ObjectRef): Promise<Exposure> {
    return this.remediation.describeSharing(ref);
  }

  inspect(ref: ObjectRef): Promise<LiveState> {
    return this.remediation.inspect(ref);
  }

  removeGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    return this.remediation.removeGrants(ref, grants);
  }

  addGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    return this.remediation.addGrants(ref, grants);
  }

  /** Copy to the quarantine place (default `casb-quarantine/` in the same bucket), verify, delete the original. */
  quarantine(ref: ObjectRef, target: QuarantineTarget): Promise<ObjectRef> {
    return this.remediation.quarantine(ref, target);
  }

  /** A quarantine location that cannot work (not S3, the bucket itself) is refused before any item. */
  async checkQuarantine(to: string | undefined): Promise<void> {
    this.remediation.quarantineLocation(to, this.bucket);
  }

  release(quarantined: ObjectRef, before: LiveState): Promise<ObjectRef> {
    return this.remediation.release(quarantined, before);
  }

  tag(ref: ObjectRef, tags: Record<string, string>): Promise<void> {
    return this.remediation.tag(ref, tags);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** The connector factory for `s3://bucket[/prefix]`. */
export function createS3Connector(uri: string, opts: S3ConnectorOptions = {}): Connector & S3Connector {
  return new S3Connector(parseS3Uri(uri), opts);
}

export default createS3Connector;
