/**
 * S3 remediation capabilities (connectors/contract.ts): inspect, describeSharing, removeGrants,
 * addGrants, quarantine, release, tag. The runner (src/remediation/) decides what to do; this file
 * only does the platform operations, faithfully, and says in one line what failed and what to do.
 *
 * Every request goes through the connector's retry helper (`ctx.call` → withRetry + classifyS3Error).
 *
 * Where an object can be reached from, as far as S3 says:
 *  - its ACL (GetObjectAcl): one Grant per ACL grant, id `acl:<grantee>:<permission>` with grantee
 *    `AllUsers`, `AuthenticatedUsers`, `LogDelivery`, `id=<canonical id>`, `email=<address>` or
 *    `uri=<group uri>`. AllUsers and AuthenticatedUsers (any AWS account) are `public`, the owner's
 *    own grants `private` (never removed), other canonical users and e-mail grantees `external`
 *    (another account: S3 cannot tell an account of the same organisation), other groups
 *    (log delivery) `internal`;
 *  - the bucket policy (GetBucketPolicyStatus IsPublic): one Grant `bucket-policy`, not revocable on
 *    the object, with a note saying what to do instead;
 *  - Block Public Access of the bucket (GetPublicAccessBlock). IgnorePublicAcls makes S3 ignore
 *    public ACL grants: they are kept (removing them is still right: they come back into force when
 *    the setting is turned off) but at level `private`, with a note, so exposure computed from the
 *    grants is the effective one. BlockPublicAcls only refuses *new* public ACLs (addGrants says so);
 *    it does not neutralise existing ones, so it does not change a level. RestrictPublicBuckets
 *    limits a public policy to AWS services and the owner's account: the `bucket-policy` grant is
 *    then `internal`, but only on AWS itself. S3-compatible servers are not trusted with it: Ceph RGW
 *    16 was measured to keep serving anonymous reads allowed by a public policy with
 *    RestrictPublicBuckets on (IgnorePublicAcls it does enforce).
 *  - Account-level Block Public Access is NOT checked: it needs s3control and the account id, which
 *    S3-compatible servers do not have and the connector's credentials may not be allowed to read.
 *    A public grant is reported public even if the account's settings happen to neutralise it
 *    (conservative: an overstatement, never an understatement).
 * A read the server does not implement (NotImplemented) means the feature does not exist there
 * (s3rver has no bucket policies): nothing is exposed through it. A read that is refused
 * (AccessDenied) or fails is reported as a grant of level `unknown` with a note naming the missing
 * permission; describeSharing's level is then `unknown` unless a known grant is wider than private.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectAclCommand,
  GetObjectTaggingCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectAclCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import type {
  CopyObjectCommandInput,
  Grant as S3Grant,
  Grantee,
  HeadObjectCommandOutput,
  Owner,
  PublicAccessBlockConfiguration,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Exposure, ExposureLevel, Grant, LiveState, ObjectRef, QuarantineTarget } from '../contract.js';
import type { RetryOptions } from '../../src/util/retry.js';
import { withRetry } from '../../src/util/retry.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { describeS3Error, errorFacts, s3ErrorReason } from './errors.js';
import { isS3Uri, objectPath, parseS3Uri } from './uri.js';

/**
 * Where quarantine puts objects when QuarantineTarget.to is not given: this prefix in the
 * object's own bucket (`s3://bucket/casb-quarantine/<original key>`). Scans of the whole bucket list
 * it too: exclude it in the policy (`exclude.paths`) or quarantine into another bucket.
 */
export const DEFAULT_QUARANTINE_PREFIX = 'casb-quarantine/';
/** S3 allows at most 10 tags per object. */
export const MAX_TAGS = 10;
/** Tags casb puts on a quarantined copy (and takes off again on release). */
export const TAG_FINDING = 'casb-finding';
export const TAG_QUARANTINED_FROM = 'casb-quarantined-from';
/** CopyObject copies at most 5 GiB; larger objects need a multipart copy, which this does not do. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;
/** How long describeSharing (scan time) reuses a bucket's policy status and Block Public Access. */
const BUCKET_CACHE_MS = 60_000;

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

const RANK: Record<ExposureLevel, number> = { public: 6, anyone_with_link: 5, domain: 4, external: 3, internal: 2, private: 1, unknown: 0 };

/** What the S3 connector hands this file: its client, bucket, and retry policy. */
export interface S3RemediationContext {
  client: S3Client;
  /** The connector's bucket (refs without `extra.bucket` are in it). */
  bucket: string;
  /** Where requests go, for messages (never credentials). */
  target: string;
  /** true on AWS itself (no --endpoint): Block Public Access RestrictPublicBuckets is trusted only there. */
  aws: boolean;
  /** Fresh retry options (counting into the connector's stats). */
  retry(): RetryOptions;
  stats: { requests: number };
}

/** Where an object is: LiveState.place, and what release() needs. */
export interface S3Place {
  bucket: string;
  key: string;
  versionId?: string;
}

/** The outcome of one optional read. */
export type Read<T> = { state: 'ok'; value: T } | { state: 'unsupported'; code: string } | { state: 'failed'; err: unknown };

export interface SharingReads {
  bucket: string;
  acl: Read<{ owner?: Owner | undefined; grants: S3Grant[] }>;
  /** GetBucketPolicyStatus IsPublic; false when the bucket has no policy. */
  policyPublic: Read<boolean>;
  /** The bucket's Block Public Access; undefined when none is configured. */
  bpa: Read<PublicAccessBlockConfiguration | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Pure parts: ACL grants → Grants, Grants → Exposure, tag values, policy matching.

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function unquote(etag: string | undefined): string {
  if (!etag) return '';
  return etag.replace(/^W\//, '').replace(/^"+|"+$/g, '');
}

function codeOf(err: unknown): string {
  const f = errorFacts(err);
  return f.code ?? (f.status !== undefined ? `HTTP ${f.status}` : 'error');
}

/** NotImplemented: the server has no such feature at all (s3rver: ACL writes, policies, Block Public Access). */
function isNotImplemented(err: unknown): boolean {
  const f = errorFacts(err);
  return f.code === 'NotImplemented' || f.status === 501;
}

function isNotFound(err: unknown): boolean {
  const f = errorFacts(err);
  return f.code === 'NoSuchKey' || f.code === 'NotFound' || f.code === 'NoSuchVersion' || (f.status === 404 && f.code !== 'NoSuchBucket');
}

/** The grantee part of a grant id, or undefined for a grant that names nobody. */
function granteeKey(g: Grantee | undefined): string | undefined {
  if (!g) return undefined;
  if (g.URI) {
    if (g.URI === ALL_USERS) return 'AllUsers';
    if (g.URI === AUTHENTICATED_USERS) return 'AuthenticatedUsers';
    if (g.URI === LOG_DELIVERY) return 'LogDelivery';
    return `uri=${g.URI}`;
  }
  if (g.ID) return `id=${g.ID}`;
  if (g.EmailAddress) return `email=${g.EmailAddress}`;
  return undefined;
}

/** The Grant id of one ACL entry (`acl:<grantee>:<permission>`), or undefined when malformed. */
export function aclGrantId(g: S3Grant): string | undefined {
  const key = granteeKey(g.Grantee);
  return key && g.Permission ? `acl:${key}:${g.Permission}` : undefined;
}

/** Only the fields S3 accepts back in PutObjectAcl (no DisplayName). */
function cleanGrantee(g: Grantee): Grantee {
  const out: Grantee = { Type: g.Type ?? (g.URI ? 'Group' : g.ID ? 'CanonicalUser' : 'AmazonCustomerByEmail') };
  if (g.URI) out.URI = g.URI;
  else if (g.ID) out.ID = g.ID;
  else if (g.EmailAddress) out.EmailAddress = g.EmailAddress;
  return out;
}

function isPublicAcl(g: S3Grant): boolean {
  return g.Grantee?.URI === ALL_USERS || g.Grantee?.URI === AUTHENTICATED_USERS;
}

/** One ACL entry as a Grant; undefined for entries without grantee or permission (s3rver's fixed ACL). */
export function grantOfAcl(g: S3Grant, ownerId: string | undefined, ignorePublicAcls: boolean, bucket: string): Grant | undefined {
  const id = aclGrantId(g);
  const grantee = g.Grantee;
  const perm = g.Permission;
  if (!id || !grantee || !perm) return undefined;
  const spec = { grantee: cleanGrantee(grantee), permission: perm };
  const base = { id, role: perm, spec };
  if (grantee.URI === ALL_USERS || grantee.URI === AUTHENTICATED_USERS) {
    const who = `${grantee.URI === ALL_USERS ? 'AllUsers' : 'AuthenticatedUsers'}:${perm}`;
    if (ignorePublicAcls) {
      return {
        ...base, who, level: 'private', revocable: true,
        note: `not in effect: Block Public Access (IgnorePublicAcls) on bucket ${bucket} makes S3 ignore public ACLs; it exposes the object again if that setting is turned off`,
      };
    }
    return grantee.URI === ALL_USERS
      ? { ...base, who, level: 'public', revocable: true }
      : { ...base, who, level: 'public', revocable: true, note: 'AuthenticatedUsers is anyone with any AWS account' };
  }
  if (grantee.URI) {
    const name = grantee.URI === LOG_DELIVERY ? 'LogDelivery' : grantee.URI;
    return { ...base, who: `group:${name}:${perm}`, level: 'internal', revocable: true };
  }
  if (grantee.ID && grantee.ID === ownerId) {
    return { ...base, who: `owner:${grantee.ID}:${perm}`, level: 'private', revocable: false, note: "the object owner's own grant: it is always kept" };
  }
  if (grantee.ID) return { ...base, who: `user:${grantee.ID}:${perm}`, level: 'external', revocable: true, note: 'another AWS account (canonical user)' };
  return { ...base, who: `email:${grantee.EmailAddress}:${perm}`, level: 'external', revocable: true, note: 'another AWS account (by e-mail address)' };
}

function readProblem(r: Read<unknown>): string | undefined {
  return r.state === 'failed' ? codeOf(r.err) : undefined;
}

/**
 * The Grants behind what the reads say. `aws`: whether RestrictPublicBuckets is trusted (see the
 * file comment). The bucket-level part is the same for every object of the bucket.
 */
export function grantsOfReads(r: SharingReads, aws: boolean): Grant[] {
  const bpa = r.bpa.state === 'ok' ? r.bpa.value : undefined;
  const out: Grant[] = [];
  if (r.acl.state === 'ok') {
    const ownerId = r.acl.value.owner?.ID;
    for (const g of r.acl.value.grants) {
      const grant = grantOfAcl(g, ownerId, bpa?.IgnorePublicAcls === true, r.bucket);
      if (grant && !out.some((o) => o.id === grant.id)) out.push(grant);
    }
  } else if (r.acl.state === 'failed') {
    out.push({
      id: 'acl', level: 'unknown', who: 'acl:unreadable', role: 'acl', revocable: false,
      note: `the object ACL could not be read (${codeOf(r.acl.err)}): allow s3:GetObjectAcl to see who it is shared with`,
    });
  }
  if (r.policyPublic.state === 'ok' && r.policyPublic.value) {
    const restricted = bpa?.RestrictPublicBuckets === true;
    if (restricted && aws) {
      out.push({
        id: 'bucket-policy', level: 'internal', who: 'bucket-policy:public', role: 'policy', revocable: false,
        note: `restricted: Block Public Access (RestrictPublicBuckets) on bucket ${r.bucket} limits the bucket policy's public statements to AWS services and the bucket owner's account; remove the public statement from the bucket policy to drop it for good`,
      });
    } else {
      out.push({
        id: 'bucket-policy', level: 'public', who: 'bucket-policy:public', role: 'policy', revocable: false,
        note:
          `the bucket policy of ${r.bucket} makes its objects public and cannot be changed on the object: remove the public statement from the bucket policy, or turn on Block Public Access (RestrictPublicBuckets) for the bucket` +
          (restricted ? ' (RestrictPublicBuckets is on, but this S3-compatible server is not known to enforce it)' : ''),
      });
    }
  } else if (r.policyPublic.state === 'failed') {
    out.push({
      id: 'bucket-policy', level: 'unknown', who: 'bucket-policy:unknown', role: 'policy', revocable: false,
      note: `the policy status of bucket ${r.bucket} could not be read (${codeOf(r.policyPublic.err)}): allow s3:GetBucketPolicyStatus to see whether its policy makes objects public`,
    });
  }
  return out;
}

/** Exposure from the effective grants: the widest level; `unknown` when nothing wider than private is known but a read failed. */
export function exposureOfReads(grants: Grant[], r: Pick<SharingReads, 'bpa'>): Exposure {
  let level: ExposureLevel = 'private';
  for (const g of grants) if (g.level !== 'unknown' && RANK[g.level] > RANK[level]) level = g.level;
  if (level === 'private' && grants.some((g) => g.level === 'unknown')) level = 'unknown';
  const details: string[] = [];
  for (const g of grants) {
    if (g.level === 'unknown') details.push(`${g.who} (${codeFromNote(g.note)})`);
    else if (g.level !== 'private') details.push(g.who);
    else if (g.revocable && /^(AllUsers|AuthenticatedUsers):/.test(g.who)) details.push(`${g.who} (ignored: IgnorePublicAcls)`);
  }
  const bpaProblem = readProblem(r.bpa);
  if (bpaProblem) details.push(`block-public-access:unreadable (${bpaProblem})`);
  return details.length ? { level, details } : { level };
}

function codeFromNote(note: string | undefined): string {
  return /\(([^)]+)\)/.exec(note ?? '')?.[1] ?? 'not read';
}

/**
 * A tag value S3 accepts: letters, digits, spaces and `+ - = . _ : / @` (anything else becomes
 * `_`), at most 256 characters (a longer one keeps its end, where the file name is, after `..`).
 */
export function tagValue(s: string): string {
  const clean = s.replace(/[^\p{L}\p{N} +\-=._:/@]/gu, '_');
  const chars = Array.from(clean);
  return chars.length <= 256 ? clean : `..${chars.slice(-254).join('')}`;
}

function tagKeyProblem(k: string): string | undefined {
  if (!k || Array.from(k).length > 128) return 'tag keys are 1 to 128 characters';
  if (/[^\p{L}\p{N} +\-=._:/@]/u.test(k)) return 'tag keys may hold only letters, digits, spaces and + - = . _ : / @';
  if (/^aws:/i.test(k)) return 'the aws: prefix is reserved';
  return undefined;
}

function toArray(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

function wildcard(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, caseInsensitive ? 'is' : 's');
  return re.test(value);
}

function isPublicPrincipal(p: unknown): boolean {
  if (p === '*') return true;
  if (p && typeof p === 'object') return Object.values(p as Record<string, unknown>).some((v) => toArray(v).includes('*'));
  return false;
}

/**
 * Whether a bucket policy may let anyone read `key`: an Allow statement for everyone (`*`, or a
 * NotPrincipal) whose actions cover s3:GetObject and whose resources cover the key. Conditions
 * and Deny statements are not evaluated (conservative: they can only narrow it); an unreadable
 * policy counts as exposing.
 */
export function policyMayExpose(policy: string, bucket: string, key: string): boolean {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(policy) as { Statement?: unknown };
  } catch {
    return true;
  }
  const arn = `arn:aws:s3:::${bucket}/${key}`;
  for (const raw of toArray(doc.Statement)) {
    const s = raw as Record<string, unknown>;
    if (s.Effect !== 'Allow') continue;
    if (!isPublicPrincipal(s.Principal) && s.NotPrincipal === undefined) continue;
    const actions = toArray(s.Action ?? s.NotAction).map(String);
    const actionHit = actions.some((a) => wildcard(a, 's3:GetObject', true));
    if (s.NotAction !== undefined ? actionHit : !actionHit) continue;
    const resources = toArray(s.Resource ?? s.NotResource).map(String);
    const resourceHit = resources.some((r) => wildcard(r, arn, false));
    if (s.NotResource !== undefined ? !resourceHit : resourceHit) return true;
  }
  return false;
}

type Head = HeadObjectCommandOutput;

function isKms(h: Head): boolean {
  return Boolean(h.SSEKMSKeyId) || h.ServerSideEncryption === 'aws:kms' || h.ServerSideEncryption === 'aws:kms:dsse';
}

const CHECKSUMS = ['ChecksumCRC64NVME', 'ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumSHA1', 'ChecksumSHA256'] as const;

/**
 * Whether `b` holds the same bytes as `a`, from HeadObject alone (nothing is downloaded):
 *  - sizes must be equal;
 *  - equal ETags: the same;
 *  - an equal-typed checksum both carry decides (AWS keeps full-object CRC checksums across a copy);
 *  - two plain MD5 ETags (single-part, not SSE-KMS) that differ: different;
 *  - otherwise (a multipart `<md5>-<parts>` ETag, which AWS's CopyObject turns into a single-part
 *    MD5, or SSE-KMS, whose ETags are not MD5s) only the size can be compared. That is accepted:
 *    CopyObject is a server-side copy that either completes or fails, and it was made with
 *    x-amz-copy-source-if-match on the ETag just read, so it copied exactly that source.
 */
export function sameContent(a: Head, b: Head): { same: boolean; by: 'etag' | 'checksum' | 'size' } {
  if (Number(a.ContentLength ?? -1) !== Number(b.ContentLength ?? -2)) return { same: false, by: 'size' };
  const ea = unquote(a.ETag);
  const eb = unquote(b.ETag);
  if (ea && ea === eb) return { same: true, by: 'etag' };
  for (const alg of CHECKSUMS) {
    const ca = a[alg];
    const cb = b[alg];
    if (ca && cb && (a.ChecksumType ?? 'x') === (b.ChecksumType ?? 'x')) return { same: ca === cb, by: 'checksum' };
  }
  const md5 = /^[0-9a-f]{32}$/i;
  if (md5.test(ea) && md5.test(eb) && !isKms(a) && !isKms(b)) return { same: false, by: 'etag' };
  return { same: true, by: 'size' };
}

/** The x-amz-copy-source value: bucket/key URL-encoded per segment, plus the version. */
function copySource(p: S3Place, versionId: string | undefined): string {
  const src = `${p.bucket}/${p.key.split('/').map(encodeURIComponent).join('/')}`;
  return versionId ? `${src}?versionId=${encodeURIComponent(versionId)}` : src;
}

function loc(p: { bucket: string; key: string }): string {
  return objectPath(p.bucket, p.key);
}

/** A version id that pins one version of a versioned bucket (not the `null` version of an unversioned one). */
function realVersion(v: string | undefined): string | undefined {
  return v && v !== 'null' ? v : undefined;
}

function casbTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => k.startsWith('casb-')));
}

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

// ---------------------------------------------------------------------------------------------

/** The remediation half of the S3 connector. */
export class S3Remediation {
  private readonly bucketCache = new Map<string, { at: number; value: Promise<Pick<SharingReads, 'policyPublic' | 'bpa'>> }>();

  constructor(private readonly ctx: S3RemediationContext) {}

  /** One request, through the connector's retry helper. */
  private call<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(async () => {
      this.ctx.stats.requests++;
      return fn();
    }, this.ctx.retry());
  }

  /** An error that escaped all retries as one line: what, on which object, and what to do. */
  private fail(err: unknown, doing: string, where: string, permission?: string): ItemError {
    if (err instanceof ItemError && err.cause === undefined) return err;
    if (err instanceof UserError) return new ItemError('error', err.message, { cause: err });
    const reason = s3ErrorReason(err);
    let hint = '';
    if (reason === 'access_denied') hint = permission ? `allow ${permission} for these credentials` : 'check the permissions of these credentials';
    else if (reason === 'not_found') hint = 'it is not there any more; scan the source again';
    else if (reason === 'throttled' || reason === 'server_error' || reason === 'network') hint = `S3 at ${this.ctx.target} kept failing; try again later`;
    else if (reason === 'archived') hint = 'it is archived; restore it first';
    const detail = describeS3Error(err).replace(/[.\s]+$/, '');
    return new ItemError(reason, oneLine(`Cannot ${doing} ${where}: ${detail}${hint ? `; ${hint}` : ''}.`), { cause: err });
  }

  placeOf(ref: ObjectRef): S3Place {
    const bucket = typeof ref.extra?.bucket === 'string' && ref.extra.bucket ? ref.extra.bucket : this.ctx.bucket;
    const versionId = typeof ref.extra?.versionId === 'string' && ref.extra.versionId ? ref.extra.versionId : undefined;
    return versionId ? { bucket, key: ref.externalId, versionId } : { bucket, key: ref.externalId };
  }

  /** The object at `p` as an ObjectRef (extra: versionId in a versioned bucket, bucket when not the connector's). */
  private refAt(p: { bucket: string; key: string }, head: Head): ObjectRef {
    const ref: ObjectRef = { externalId: p.key, path: loc(p), size: Number(head.ContentLength ?? 0), etag: unquote(head.ETag) };
    if (head.LastModified) ref.modifiedAt = head.LastModified;
    if (head.ContentType) ref.contentType = head.ContentType;
    const extra: Record<string, unknown> = {};
    const v = realVersion(head.VersionId);
    if (v) extra.versionId = v;
    if (p.bucket !== this.ctx.bucket) extra.bucket = p.bucket;
    if (Object.keys(extra).length) ref.extra = extra;
    return ref;
  }

  /** HeadObject; undefined when there is no such object (or version). */
  private async head(p: S3Place, doing: string): Promise<Head | undefined> {
    try {
      return await this.call(() =>
        this.ctx.client.send(new HeadObjectCommand({ Bucket: p.bucket, Key: p.key, VersionId: p.versionId, ChecksumMode: 'ENABLED' })),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.fail(err, doing, loc(p), 's3:GetObject (and s3:ListBucket, so that a missing object reads as missing)');
    }
  }

  private async optional<T>(fn: () => Promise<T>, absent: (code: string | undefined) => T | undefined): Promise<Read<T>> {
    try {
      return { state: 'ok', value: await this.call(fn) };
    } catch (err) {
      const code = errorFacts(err).code;
      const value = absent(code);
      if (value !== undefined) return { state: 'ok', value };
      if (isNotImplemented(err)) return { state: 'unsupported', code: code ?? 'NotImplemented' };
      return { state: 'failed', err };
    }
  }

  /** The bucket's Block Public Access (bucket level only: see the file comment on the account level). */
  private async readBpa(bucket: string): Promise<SharingReads['bpa']> {
    // `null` stands for "no configuration" inside optional() (undefined there means "not absent").
    const b = await this.optional<PublicAccessBlockConfiguration | null>(
      async () => (await this.ctx.client.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration ?? null,
      (code) => (code === 'NoSuchPublicAccessBlockConfiguration' ? null : undefined),
    );
    return b.state === 'ok' ? { state: 'ok', value: b.value ?? undefined } : b;
  }

  private async readBucketSharing(bucket: string): Promise<Pick<SharingReads, 'policyPublic' | 'bpa'>> {
    const [policyPublic, bpa] = await Promise.all([
      this.optional(
        async () => (await this.ctx.client.send(new GetBucketPolicyStatusCommand({ Bucket: bucket }))).PolicyStatus?.IsPublic === true,
        (code) => (code === 'NoSuchBucketPolicy' ? false : undefined),
      ),
      this.readBpa(bucket),
    ]);
    return { policyPublic, bpa };
  }

  private bucketSharing(bucket: string, cached: boolean): Promise<Pick<SharingReads, 'policyPublic' | 'bpa'>> {
    if (!cached) return this.readBucketSharing(bucket);
    const hit = this.bucketCache.get(bucket);
    if (hit && Date.now() - hit.at < BUCKET_CACHE_MS) return hit.value;
    const value = this.readBucketSharing(bucket);
    this.bucketCache.set(bucket, { at: Date.now(), value });
    return value;
  }

  /** ACL + bucket policy status + Block Public Access; `gone` when the ACL read says there is no such object. */
  private async readSharing(p: S3Place, cached: boolean): Promise<SharingReads & { gone: boolean }> {
    let gone = false;
    const acl = this.optional(
      async () => {
        const res = await this.ctx.client.send(new GetObjectAclCommand({ Bucket: p.bucket, Key: p.key, VersionId: p.versionId }));
        return { owner: res.Owner, grants: res.Grants ?? [] };
      },
      () => undefined,
    ).then((r) => {
      if (r.state === 'failed' && isNotFound(r.err)) gone = true;
      return r;
    });
    const [a, b] = await Promise.all([acl, this.bucketSharing(p.bucket, cached)]);
    return { bucket: p.bucket, acl: a, ...b, gone };
  }

  /** The object's tags; undefined when the server does not keep tags or they cannot be read. */
  private async readTags(p: S3Place): Promise<Record<string, string> | undefined> {
    const r = await this.optional(
      async () => (await this.ctx.client.send(new GetObjectTaggingCommand({ Bucket: p.bucket, Key: p.key, VersionId: p.versionId }))).TagSet ?? [],
      () => undefined,
    );
    if (r.state !== 'ok') return undefined;
    return Object.fromEntries(r.value.filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']));
  }

  private async putTags(p: S3Place, tags: Record<string, string>, doing: string): Promise<void> {
    try {
      await this.call(() =>
        this.ctx.client.send(
          new PutObjectTaggingCommand({
            Bucket: p.bucket, Key: p.key, VersionId: p.versionId,
            Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
          }),
        ),
      );
    } catch (err) {
      if (isNotImplemented(err)) return; // a server without object tags: nothing to keep them in
      throw this.fail(err, doing, loc(p), 's3:PutObjectTagging');
    }
  }

  /** How many other versions (and delete markers) a versioned bucket keeps at the key (of the first 100 listed). */
  private async otherVersions(p: S3Place, current: string | undefined): Promise<number | undefined> {
    const r = await this.optional(
      () => this.ctx.client.send(new ListObjectVersionsCommand({ Bucket: p.bucket, Prefix: p.key, MaxKeys: 100 })),
      () => undefined,
    );
    if (r.state !== 'ok') return undefined;
    const versions = (r.value.Versions ?? []).filter((v) => v.Key === p.key && v.VersionId !== current).length;
    const markers = (r.value.DeleteMarkers ?? []).filter((m) => m.Key === p.key).length;
    return versions + markers;
  }

  // -------------------------------------------------------------------------------------------

  async inspect(ref: ObjectRef): Promise<LiveState> {
    const p = this.placeOf(ref);
    const location = loc(p);
    const head = await this.head(p, 'read the state of');
    if (!head) return { exists: false, location, grants: [] };
    const version = realVersion(p.versionId ?? head.VersionId);
    const pinned: S3Place = version ? { ...p, versionId: version } : p;
    const [sharing, tags, others] = await Promise.all([
      this.readSharing(pinned, false),
      this.readTags(pinned),
      version ? this.otherVersions(p, version) : Promise.resolve(undefined),
    ]);
    const place: Record<string, unknown> = { bucket: p.bucket, key: p.key };
    if (version) place.versionId = version;
    // A versioned bucket keeps earlier versions at the key; quarantine moves only this one.
    if (others) place.otherVersions = others;
    const state: LiveState = { exists: true, location, place, etag: unquote(head.ETag), grants: grantsOfReads(sharing, this.ctx.aws) };
    if (tags) state.tags = casbTags(tags);
    return state;
  }

  async describeSharing(ref: ObjectRef): Promise<Exposure> {
    const p = this.placeOf(ref);
    const reads = await this.readSharing(p, true);
    if (reads.gone) return { level: 'unknown', details: ['object not found'] };
    return exposureOfReads(grantsOfReads(reads, this.ctx.aws), reads);
  }

  private async readAcl(p: S3Place, doing: string): Promise<{ owner?: Owner | undefined; grants: S3Grant[] }> {
    try {
      const res = await this.call(() => this.ctx.client.send(new GetObjectAclCommand({ Bucket: p.bucket, Key: p.key, VersionId: p.versionId })));
      return { owner: res.Owner, grants: res.Grants ?? [] };
    } catch (err) {
      throw this.fail(err, doing, loc(p), 's3:GetObjectAcl');
    }
  }

  private async writeAcl(p: S3Place, owner: Owner | undefined, grants: S3Grant[], doing: string, permission = 's3:PutObjectAcl'): Promise<void> {
    const Owner: Owner | undefined = owner?.ID ? { ID: owner.ID } : undefined;
    const Grants = grants.map((g) => ({ Grantee: g.Grantee ? cleanGrantee(g.Grantee) : undefined, Permission: g.Permission }));
    try {
      await this.call(() =>
        this.ctx.client.send(new PutObjectAclCommand({ Bucket: p.bucket, Key: p.key, VersionId: p.versionId, AccessControlPolicy: { Owner, Grants } })),
      );
    } catch (err) {
      if (errorFacts(err).code === 'AccessControlListNotSupported') {
        throw new ItemError('unsupported', `Cannot ${doing} ${loc(p)}: ACLs are disabled on bucket ${p.bucket} (Object Ownership: bucket owner enforced); access is set by the bucket policy only.`, { cause: err });
      }
      throw this.fail(err, doing, loc(p), permission);
    }
  }

  async removeGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    const p = this.placeOf(ref);
    const where = loc(p);
    const fixed = grants.find((g) => !g.revocable);
    if (fixed) throw new ItemError('not_revocable', `Cannot remove ${fixed.who} from ${where}: ${fixed.note ?? 'it cannot be removed on the object'}.`);
    const foreign = grants.find((g) => !g.id.startsWith('acl:'));
    if (foreign) throw new ItemError('unsupported', `Cannot remove ${foreign.who} from ${where}: it is not an object ACL grant.`);
    if (!grants.length) return;
    const ids = new Set(grants.map((g) => g.id));
    const acl = await this.readAcl(p, 'read the ACL of');
    const keep = acl.grants.filter((g) => {
      const id = aclGrantId(g);
      // The owner's grants are never revocable, so never in `ids`: the owner keeps full control.
      return !id || !ids.has(id);
    });
    if (keep.length === acl.grants.length) return; // all already gone
    await this.writeAcl(p, acl.owner, keep, 'remove grants from');
  }

  async addGrants(ref: ObjectRef, grants: Grant[]): Promise<void> {
    const p = this.placeOf(ref);
    const where = loc(p);
    const acls: S3Grant[] = [];
    for (const g of grants) {
      const spec = g.spec as { grantee?: Grantee; permission?: string } | undefined;
      if (g.id.startsWith('acl:') && spec?.grantee && spec.permission) {
        acls.push({ Grantee: cleanGrantee(spec.grantee), Permission: spec.permission as S3Grant['Permission'] });
      } else if (g.revocable) {
        throw new ItemError('unsupported', `Cannot grant ${g.who} again on ${where}: the grant carries no S3 ACL spec to re-create it from.`);
      }
      // Not revocable and not an ACL entry (the bucket policy, an unread ACL): never removed here, so nothing to restore.
    }
    if (!acls.length) return;
    const acl = await this.readAcl(p, 'read the ACL of');
    const present = new Set(acl.grants.map(aclGrantId).filter(Boolean));
    const add = acls.filter((g, i) => {
      const id = aclGrantId(g)!;
      return !present.has(id) && acls.findIndex((o) => aclGrantId(o) === id) === i;
    });
    if (!add.length) return; // all granted again already
    const pub = add.find(isPublicAcl);
    if (pub) {
      const bpa = await this.readBpa(p.bucket);
      if (bpa.state === 'ok' && bpa.value?.BlockPublicAcls) {
        throw new ItemError(
          'blocked',
          `Cannot grant ${aclGrantId(pub)!.slice(4)} again on ${where}: Block Public Access (BlockPublicAcls) on bucket ${p.bucket} refuses public ACLs; turn it off first if the object really must be public again.`,
        );
      }
    }
    await this.writeAcl(p, acl.owner, [...acl.grants, ...add], 'restore grants on', pub ? 's3:PutObjectAcl (and no Block Public Access refusing public ACLs)' : undefined);
  }

  async tag(ref: ObjectRef, tags: Record<string, string>): Promise<void> {
    const p = this.placeOf(ref);
    const where = loc(p);
    for (const k of Object.keys(tags)) {
      const problem = tagKeyProblem(k);
      if (problem) throw new ItemError('bad_tag', `Cannot tag ${where} with "${k}": ${problem}.`);
    }
    const wanted = Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, tagValue(String(v))]));
    let current: Record<string, string>;
    try {
      const res = await this.call(() => this.ctx.client.send(new GetObjectTaggingCommand({ Bucket: p.bucket, Key: p.key, VersionId: p.versionId })));
      current = Object.fromEntries((res.TagSet ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']));
    } catch (err) {
      if (isNotImplemented(err)) throw new ItemError('unsupported', `Cannot tag ${where}: the S3 server at ${this.ctx.target} does not support object tags.`, { cause: err });
      throw this.fail(err, 'read the tags of', where, 's3:GetObjectTagging');
    }
    const merged = { ...current, ...wanted };
    // an empty value removes the key (restore of a tag action)
    for (const [k, v] of Object.entries(tags)) if (String(v) === '') delete merged[k];
    if (sameTags(merged, current)) return;
    const n = Object.keys(merged).length;
    if (n > MAX_TAGS) {
      const added = Object.keys(wanted).filter((k) => !(k in current));
      throw new ItemError(
        'too_many_tags',
        `Cannot tag ${where}: it has ${Object.keys(current).length} tags and ${added.join(', ')} would make ${n}, but S3 allows at most ${MAX_TAGS} per object; remove some of its tags first.`,
      );
    }
    await this.putTags(p, merged, 'tag');
  }

  /** `s3://bucket/prefix`, a bare prefix in `bucket`, or the default; the prefix always ends in `/`. */
  quarantineLocation(to: string | undefined, bucket: string): { bucket: string; prefix: string } {
    let out: { bucket: string; prefix: string };
    if (!to) out = { bucket, prefix: DEFAULT_QUARANTINE_PREFIX };
    else if (isS3Uri(to)) {
      const l = parseS3Uri(to);
      out = { bucket: l.bucket, prefix: l.prefix };
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(to)) {
      throw new UserError(`Quarantine location "${to}" is not an S3 location: write s3://bucket/prefix or a prefix in the same bucket.`);
    } else out = { bucket, prefix: to.replace(/^\/+/, '') };
    if (out.prefix && !out.prefix.endsWith('/')) out.prefix += '/';
    if (!out.prefix && out.bucket === bucket) {
      throw new UserError(`Quarantine location "${to}" is the bucket ${bucket} itself: give a prefix (e.g. s3://${bucket}/${DEFAULT_QUARANTINE_PREFIX}) or another bucket.`);
    }
    return out;
  }

  /** Refuses a quarantine place that the bucket policy lets anyone read. */
  private async checkNotPublic(dst: S3Place, where: string): Promise<void> {
    const { policyPublic, bpa } = await this.readBucketSharing(dst.bucket);
    if (policyPublic.state !== 'ok' || !policyPublic.value) return;
    if (this.ctx.aws && bpa.state === 'ok' && bpa.value?.RestrictPublicBuckets) return;
    let policy: string | undefined;
    try {
      policy = (await this.call(() => this.ctx.client.send(new GetBucketPolicyCommand({ Bucket: dst.bucket })))).Policy;
    } catch (err) {
      throw new ItemError(
        'quarantine_public',
        `Cannot quarantine ${where} to ${loc(dst)}: the bucket policy of ${dst.bucket} is public and could not be read to check the quarantine prefix (${codeOf(err)}); quarantine into a private bucket (s3://bucket/prefix) or allow s3:GetBucketPolicy.`,
        { cause: err },
      );
    }
    if (policy && policyMayExpose(policy, dst.bucket, dst.key)) {
      throw new ItemError(
        'quarantine_public',
        `Cannot quarantine ${where} to ${loc(dst)}: the bucket policy of ${dst.bucket} lets anyone read objects there; quarantine into a prefix or bucket the policy does not expose (s3://bucket/prefix), or remove the public statement.`,
      );
    }
  }

  /** Makes an existing copy private (owner only); a server without ACLs has nothing to change. */
  private async makePrivate(p: S3Place, doing: string): Promise<void> {
    try {
      await this.call(() => this.ctx.client.send(new PutObjectAclCommand({ Bucket: p.bucket, Key: p.key, VersionId: p.versionId, ACL: 'private' })));
    } catch (err) {
      const code = errorFacts(err).code;
      if (isNotImplemented(err) || code === 'AccessControlListNotSupported') return;
      throw this.fail(err, doing, loc(p), 's3:PutObjectAcl');
    }
  }

  /**
   * Server-side copy of exactly `srcVersion` of `src` (x-amz-copy-source-if-match on its ETag),
   * with its metadata, content headers, tags, storage class and SSE-KMS key, and a private ACL
   * (CopyObject never copies the source's ACL). Where ACLs are disabled (bucket owner enforced)
   * the ACL header is refused and the copy is made without it: only the policy decides there.
   */
  private async copy(src: S3Place, srcVersion: string | undefined, srcHead: Head, dst: S3Place, doing: string): Promise<void> {
    const input: CopyObjectCommandInput = {
      Bucket: dst.bucket,
      Key: dst.key,
      CopySource: copySource(src, srcVersion),
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      ACL: 'private',
    };
    if (srcHead.ETag) input.CopySourceIfMatch = srcHead.ETag;
    if (srcHead.StorageClass && srcHead.StorageClass !== 'STANDARD') input.StorageClass = srcHead.StorageClass as CopyObjectCommandInput['StorageClass'];
    if (isKms(srcHead)) {
      input.ServerSideEncryption = srcHead.ServerSideEncryption ?? 'aws:kms';
      if (srcHead.SSEKMSKeyId) input.SSEKMSKeyId = srcHead.SSEKMSKeyId;
      if (srcHead.BucketKeyEnabled !== undefined) input.BucketKeyEnabled = srcHead.BucketKeyEnabled;
    }
    try {
      try {
        await this.call(() => this.ctx.client.send(new CopyObjectCommand(input)));
      } catch (err) {
        if (errorFacts(err).code !== 'AccessControlListNotSupported') throw err;
        delete input.ACL;
        await this.call(() => this.ctx.client.send(new CopyObjectCommand(input)));
      }
    } catch (err) {
      if (s3ErrorReason(err) === 'changed') {
        throw new ItemError('changed', `Cannot ${doing} ${loc(src)}: it changed while being copied; scan it again.`, { cause: err });
      }
      throw this.fail(err, doing, loc(src), `s3:GetObject on it, and s3:PutObject and s3:PutObjectAcl on ${loc(dst)},`);
    }
  }

  private async deleteObject(p: S3Place, doing: string): Promise<void> {
    try {
      await this.call(() => this.ctx.client.send(new DeleteObjectCommand({ Bucket: p.bucket, Key: p.key, VersionId: p.versionId })));
    } catch (err) {
      if (isNotFound(err)) return; // already gone: that is what was wanted
      throw this.fail(err, doing, loc(p), p.versionId ? 's3:DeleteObjectVersion (Object Lock retention and MFA delete refuse it too)' : 's3:DeleteObject');
    }
  }

  private copyable(h: Head, where: string, doing: string): void {
    if (h.SSECustomerAlgorithm) {
      throw new ItemError('unsupported', `Cannot ${doing} ${where}: it is encrypted with a customer-provided key (SSE-C), which casb does not hold.`);
    }
    if (Number(h.ContentLength ?? 0) > MAX_COPY_BYTES) {
      throw new ItemError('too_large', `Cannot ${doing} ${where}: it is larger than 5 GiB, the most a single S3 CopyObject copies.`);
    }
  }

  /**
   * Copy to the quarantine place, verify, delete the original; returns the copy.
   *
   * - The copy is at `<prefix><original key>` (deterministic, so a second call finds the first
   *   call's copy); it keeps metadata and tags, gets `casb-finding` and `casb-quarantined-from`,
   *   and a private ACL. A quarantine place the bucket policy exposes is refused.
   * - Verified with HeadObject before the original is deleted: see sameContent (size + ETag; for
   *   multipart or SSE-KMS ETags, size + a common checksum where both have one, else size).
   * - Versioned buckets: the copy is made from, and the delete removes, exactly one version: the
   *   listed one (ref.extra.versionId) or else the current one as HeadObject saw it. Deleting by
   *   version id removes the data for good (a plain DELETE would only stack a delete marker on top
   *   and keep every byte). Other versions at the key — earlier contents, never scanned, since a
   *   listing reads current versions only — are kept: removing history is not this action's call.
   *   If there are some, the previous one becomes current again; inspect() counts them in
   *   `place.otherVersions`. A lifecycle rule (NoncurrentVersionExpiration) or a deliberate version
   *   purge removes them.
   * - Safe to call again after a failure part-way: a copy already there with the same content is
   *   finished (tags, ACL) and reused, not made again; an original already gone with our copy in
   *   place (casb-quarantined-from) returns the copy.
   */
  async quarantine(ref: ObjectRef, target: QuarantineTarget): Promise<ObjectRef> {
    const src = this.placeOf(ref);
    const where = loc(src);
    const q = this.quarantineLocation(target.to, src.bucket);
    if (q.bucket === src.bucket && src.key.startsWith(q.prefix)) {
      throw new ItemError('already_quarantined', `Cannot quarantine ${where}: it is already in the quarantine location s3://${q.bucket}/${q.prefix}.`);
    }
    const dst: S3Place = { bucket: q.bucket, key: `${q.prefix}${src.key}` };
    if (Buffer.byteLength(dst.key, 'utf8') > 1024) {
      throw new ItemError('bad_request', `Cannot quarantine ${where}: its key with the quarantine prefix ${q.prefix} is longer than the 1024 bytes S3 allows.`);
    }
    const from = tagValue(src.key);
    const doing = 'quarantine';

    const srcHead = await this.head(src, doing);
    if (!srcHead) {
      // The original is gone: done already if our copy is there (a call that failed after the delete).
      const dstHead = await this.head(dst, doing);
      if (dstHead) {
        const tags = await this.readTags(dst);
        const ours = tags ? tags[TAG_QUARANTINED_FROM] === from : true;
        const same = (!ref.etag || unquote(dstHead.ETag) === ref.etag || !/^[0-9a-f]{32}$/i.test(ref.etag)) && (!ref.size || Number(dstHead.ContentLength) === ref.size);
        if (ours && same) return this.refAt(dst, dstHead);
      }
      throw new ItemError('not_found', `Cannot quarantine ${where}: it is not there any more and ${loc(dst)} holds no quarantined copy of it; scan the source again.`);
    }
    if (ref.etag && unquote(srcHead.ETag) !== ref.etag) {
      throw new ItemError('changed', `Cannot quarantine ${where}: it changed since it was scanned (ETag ${unquote(srcHead.ETag)}, scanned ${ref.etag}); scan it again first.`);
    }
    this.copyable(srcHead, where, doing);
    const srcVersion = realVersion(src.versionId ?? srcHead.VersionId);
    const pinned: S3Place = srcVersion ? { ...src, versionId: srcVersion } : src;

    // Tags that cannot be read (a server without tagging, or no s3:GetObjectTagging) are left to
    // TaggingDirective COPY: writing a tag set then would drop the object's own tags.
    const srcTags = await this.readTags(pinned);
    const copyTags = { ...(srcTags ?? {}), [TAG_FINDING]: tagValue(target.findingId), [TAG_QUARANTINED_FROM]: from };
    if (srcTags && Object.keys(copyTags).length > MAX_TAGS) {
      throw new ItemError(
        'too_many_tags',
        `Cannot quarantine ${where}: it has ${Object.keys(srcTags).length} tags and the quarantined copy needs ${TAG_FINDING} and ${TAG_QUARANTINED_FROM} as well, but S3 allows at most ${MAX_TAGS}; remove some of its tags first (nothing was changed).`,
      );
    }

    const existing = await this.head(dst, doing);
    if (existing) {
      if (!sameContent(srcHead, existing).same) {
        throw new ItemError('conflict', `Cannot quarantine ${where}: ${loc(dst)} already holds a different object; release or remove it, or quarantine to another place (nothing was changed).`);
      }
      // Our copy from an earlier call that failed part-way: finish it instead of copying again.
      await this.makePrivate(dst, doing);
    } else {
      await this.checkNotPublic(dst, where);
      await this.copy(src, srcVersion, srcHead, dst, doing);
    }
    if (srcTags) await this.putTags(dst, copyTags, 'tag the quarantined copy of');

    const copyHead = await this.head(dst, doing);
    const check = copyHead ? sameContent(srcHead, copyHead) : undefined;
    if (!copyHead || !check?.same) {
      throw new ItemError('verify', `Cannot quarantine ${where}: the copy at ${loc(dst)} ${copyHead ? 'does not match the original' : 'is not there'} after copying; the original was left in place.`);
    }
    if (!srcVersion) {
      // Unversioned: a DELETE removes whatever is at the key now, so make sure it is still what was copied.
      const now = await this.head(src, doing);
      if (now && !sameContent(srcHead, now).same) {
        throw new ItemError('changed', `Cannot quarantine ${where}: it changed after being copied to ${loc(dst)}; the new content was left in place and not deleted; scan it again.`);
      }
    }
    await this.deleteObject(pinned, 'delete the original of quarantined');
    return this.refAt(dst, copyHead);
  }

  /**
   * Puts a quarantined object back at `before.place` (its key; in a versioned bucket as a new
   * version, since quarantine deleted the old one), with the tags it had (casb-finding and
   * casb-quarantined-from taken off, the casb tags of the before-snapshot put back) and a private
   * ACL: the runner restores grants with addGrants. Verified, then the quarantined copy is deleted.
   * Safe to call again after a failure part-way; refuses to overwrite a new object at the place.
   */
  async release(quarantined: ObjectRef, before: LiveState): Promise<ObjectRef> {
    const qp = this.placeOf(quarantined);
    const dst = this.releasePlace(before);
    const where = loc(qp);
    const doing = 'release';

    const qHead = await this.head(qp, doing);
    const dstHead = await this.head(dst, doing);
    if (!qHead) {
      if (dstHead && (!quarantined.etag || unquote(dstHead.ETag) === quarantined.etag || !/^[0-9a-f]{32}$/i.test(quarantined.etag)) && (!quarantined.size || Number(dstHead.ContentLength) === quarantined.size)) {
        return this.refAt(dst, dstHead); // released by an earlier call
      }
      throw new ItemError('not_found', `Cannot release ${where}: the quarantined copy is not there any more${dstHead ? ` and ${loc(dst)} holds another object` : ''}.`);
    }
    if (quarantined.etag && unquote(qHead.ETag) !== quarantined.etag) {
      throw new ItemError('changed', `Cannot release ${where}: it changed while in quarantine (ETag ${unquote(qHead.ETag)}, quarantined ${quarantined.etag}).`);
    }
    this.copyable(qHead, where, doing);
    const qVersion = realVersion(qp.versionId ?? qHead.VersionId);
    const qPinned: S3Place = qVersion ? { ...qp, versionId: qVersion } : qp;
    const qTags = await this.readTags(qPinned);
    let restored: Record<string, string> | undefined;
    if (qTags) {
      restored = { ...qTags, ...(before.tags ?? {}) };
      if (!before.tags || !(TAG_FINDING in before.tags)) delete restored[TAG_FINDING];
      if (!before.tags || !(TAG_QUARANTINED_FROM in before.tags)) delete restored[TAG_QUARANTINED_FROM];
    }
    if (dstHead) {
      if (!sameContent(qHead, dstHead).same) {
        throw new ItemError('conflict', `Cannot release ${where}: ${loc(dst)} holds a new object since the quarantine; move it away first (nothing was changed).`);
      }
      // Copied back by an earlier call that failed part-way.
    } else {
      await this.copy(qp, qVersion, qHead, dst, doing);
    }
    if (restored) await this.putTags(dst, restored, 'restore the tags of');
    const back = await this.head(dst, doing);
    if (!back || !sameContent(qHead, back).same) {
      throw new ItemError('verify', `Cannot release ${where}: the copy at ${loc(dst)} ${back ? 'does not match the quarantined object' : 'is not there'}; the quarantined copy was kept.`);
    }
    await this.deleteObject(qPinned, 'delete the quarantined copy after releasing');
    return this.refAt(dst, back);
  }

  private releasePlace(before: LiveState): S3Place {
    const place = before.place as { bucket?: unknown; key?: unknown } | undefined;
    if (typeof place?.bucket === 'string' && typeof place.key === 'string' && place.bucket && place.key) return { bucket: place.bucket, key: place.key };
    const m = /^s3:\/\/([^/]+)\/(.+)$/s.exec(before.location);
    if (m) return { bucket: m[1]!, key: m[2]! };
    throw new UserError(`Cannot release to "${before.location}": the before-snapshot names no S3 bucket and key.`);
  }
}
