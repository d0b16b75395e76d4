/**
 * S3 remediation capabilities (connectors/s3/remediate.ts) called directly, against real servers:
 * s3rver by default, Ceph RGW when S3_ENDPOINT is set. s3rver has no object ACLs, bucket policies,
 * Block Public Access, versioning or stored tags: the cases that need them skip there and say so.
 * What changed is checked with a raw S3 client (and anonymous HTTP reads for real exposure), never
 * through the connector under test.
 */
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteObjectCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import type { Grant as S3Grant, S3Client } from '@aws-sdk/client-s3';
import { createS3Connector } from '../connectors/s3/index.js';
import type { S3Connector } from '../connectors/s3/index.js';
import {
  DEFAULT_QUARANTINE_PREFIX,
  S3Remediation,
  exposureOfReads,
  grantsOfReads,
  policyMayExpose,
  sameContent,
  tagValue,
} from '../connectors/s3/remediate.js';
import type { SharingReads } from '../connectors/s3/remediate.js';
import type { Grant, ObjectRef } from '../connectors/contract.js';
import { ItemError, UserError } from '../src/util/errors.js';
import { createBucket, s3Client, startS3, uniqueBucket } from './helpers/s3server.js';
import type { S3TestServer } from './helpers/s3server.js';
import { startFaultProxy } from './helpers/s3proxy.js';
import type { FaultProxy } from './helpers/s3proxy.js';
import { NEEDS_REAL_S3, otherAccount, rawCasbTags, rawExists, rawGrants, s3RemediationFixture } from './helpers/remediation-fixtures-s3.js';
import { rejectsWith } from './helpers/assert.js';

const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50 };
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';


function oneLineItemError(reason: string | RegExp, text?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ItemError, `an ItemError, got ${String(err)}`);
    if (typeof reason === 'string') assert.equal(err.reason, reason, err.message);
    else assert.match(err.reason, reason);
    assert.doesNotMatch(err.message, /[\r\n]/);
    if (text) assert.match(err.message, text);
  };
}

// ---------------------------------------------------------------------------------------------
// Pure parts.

describe('s3 remediation: grants and exposure from the reads', () => {
  const owner = { ID: 'owner-id' };
  const acl = (grants: S3Grant[]): SharingReads['acl'] => ({ state: 'ok', value: { owner, grants } });
  const none = { state: 'ok', value: undefined } as const;
  const notPublic = { state: 'ok', value: false } as const;
  const g = (grantee: S3Grant['Grantee'], p: S3Grant['Permission'] = 'READ'): S3Grant => ({ Grantee: grantee, Permission: p });

  test('AllUsers and AuthenticatedUsers are public, the owner private and kept, other accounts external, log delivery internal', () => {
    const grants = grantsOfReads(
      {
        bucket: 'b',
        acl: acl([
          g({ Type: 'CanonicalUser', ID: 'owner-id', DisplayName: 'me' }, 'FULL_CONTROL'),
          g({ Type: 'Group', URI: ALL_USERS }),
          g({ Type: 'Group', URI: AUTH_USERS }, 'READ_ACP'),
          g({ Type: 'CanonicalUser', ID: 'other-id' }),
          g({ Type: 'AmazonCustomerByEmail', EmailAddress: 'bob@partner.org' }),
          g({ Type: 'Group', URI: 'http://acs.amazonaws.com/groups/s3/LogDelivery' }, 'WRITE'),
          { Grantee: { Type: 'CanonicalUser', ID: 'abc' } }, // no permission (s3rver's fixed ACL): ignored
        ]),
        policyPublic: notPublic,
        bpa: none,
      },
      true,
    );
    assert.deepEqual(
      grants.map((x) => [x.id, x.who, x.level, x.revocable, x.role]),
      [
        ['acl:id=owner-id:FULL_CONTROL', 'owner:owner-id:FULL_CONTROL', 'private', false, 'FULL_CONTROL'],
        ['acl:AllUsers:READ', 'AllUsers:READ', 'public', true, 'READ'],
        ['acl:AuthenticatedUsers:READ_ACP', 'AuthenticatedUsers:READ_ACP', 'public', true, 'READ_ACP'],
        ['acl:id=other-id:READ', 'user:other-id:READ', 'external', true, 'READ'],
        ['acl:email=bob@partner.org:READ', 'email:bob@partner.org:READ', 'external', true, 'READ'],
        ['acl:LogDelivery:WRITE', 'group:LogDelivery:WRITE', 'internal', true, 'WRITE'],
      ],
    );
    assert.deepEqual(grants[1]!.spec, { grantee: { Type: 'Group', URI: ALL_USERS }, permission: 'READ' });
    assert.deepEqual(grants[0]!.spec, { grantee: { Type: 'CanonicalUser', ID: 'owner-id' }, permission: 'FULL_CONTROL' }, 'no DisplayName in the spec');
    const e = exposureOfReads(grants, { bpa: none });
    assert.equal(e.level, 'public');
    assert.deepEqual(e.details, ['AllUsers:READ', 'AuthenticatedUsers:READ_ACP', 'user:other-id:READ', 'email:bob@partner.org:READ', 'group:LogDelivery:WRITE']);
  });

  test('a public bucket policy is one grant that cannot be revoked on the object, with what to do', () => {
    const grants = grantsOfReads({ bucket: 'b', acl: acl([]), policyPublic: { state: 'ok', value: true }, bpa: none }, true);
    assert.equal(grants.length, 1);
    const p = grants[0]!;
    assert.equal(p.id, 'bucket-policy');
    assert.equal(p.level, 'public');
    assert.equal(p.revocable, false);
    assert.match(p.note ?? '', /remove the public statement from the bucket policy/);
    assert.match(p.note ?? '', /Block Public Access/);
    assert.equal(exposureOfReads(grants, { bpa: none }).level, 'public');
  });

  test('IgnorePublicAcls: public ACL grants are kept but not in effect; RestrictPublicBuckets is trusted on AWS only', () => {
    const bpa = { state: 'ok', value: { IgnorePublicAcls: true, BlockPublicAcls: true, RestrictPublicBuckets: true } } as const;
    const reads: SharingReads = { bucket: 'b', acl: acl([g({ Type: 'Group', URI: ALL_USERS }), g({ Type: 'CanonicalUser', ID: 'other-id' })]), policyPublic: { state: 'ok', value: true }, bpa };
    const aws = grantsOfReads(reads, true);
    const pub = aws.find((x) => x.who === 'AllUsers:READ')!;
    assert.equal(pub.level, 'private', 'not in effect');
    assert.equal(pub.revocable, true, 'still removable');
    assert.match(pub.note ?? '', /IgnorePublicAcls/);
    assert.equal(aws.find((x) => x.id === 'bucket-policy')!.level, 'internal');
    const e = exposureOfReads(aws, reads);
    assert.equal(e.level, 'external');
    assert.ok(e.details?.includes('AllUsers:READ (ignored: IgnorePublicAcls)'));

    const compat = grantsOfReads(reads, false);
    const policy = compat.find((x) => x.id === 'bucket-policy')!;
    assert.equal(policy.level, 'public', 'an S3-compatible server is not trusted to enforce RestrictPublicBuckets');
    assert.match(policy.note ?? '', /not known to enforce it/);

    // BlockPublicAcls alone blocks new public ACLs only: existing ones stay in effect.
    const blockOnly = grantsOfReads({ ...reads, policyPublic: { state: 'ok', value: false }, bpa: { state: 'ok', value: { BlockPublicAcls: true } } }, true);
    assert.equal(blockOnly.find((x) => x.who === 'AllUsers:READ')!.level, 'public');
  });

  test('refused reads are unknown grants saying which permission is missing; NotImplemented means the feature is absent', () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const reads: SharingReads = { bucket: 'b', acl: { state: 'failed', err: denied }, policyPublic: { state: 'failed', err: denied }, bpa: { state: 'failed', err: denied } };
    const grants = grantsOfReads(reads, true);
    assert.deepEqual(grants.map((x) => [x.id, x.level, x.revocable]), [['acl', 'unknown', false], ['bucket-policy', 'unknown', false]]);
    assert.match(grants[0]!.note ?? '', /AccessDenied.*s3:GetObjectAcl/);
    assert.match(grants[1]!.note ?? '', /s3:GetBucketPolicyStatus/);
    const e = exposureOfReads(grants, reads);
    assert.equal(e.level, 'unknown');
    assert.deepEqual(e.details, ['acl:unreadable (AccessDenied)', 'bucket-policy:unknown (AccessDenied)', 'block-public-access:unreadable (AccessDenied)']);

    const s3rver: SharingReads = { bucket: 'b', acl: acl([]), policyPublic: { state: 'unsupported', code: 'NotImplemented' }, bpa: { state: 'unsupported', code: 'NotImplemented' } };
    assert.deepEqual(grantsOfReads(s3rver, false), []);
    assert.deepEqual(exposureOfReads([], s3rver), { level: 'private' });
    // a wider known grant wins over an unknown part
    const mixed = grantsOfReads({ ...reads, acl: acl([g({ Type: 'Group', URI: ALL_USERS })]) }, true);
    assert.equal(exposureOfReads(mixed, reads).level, 'public');
  });

  test('policyMayExpose: public Allow statements covering the key for reading', () => {
    const pol = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
    const read = (Resource: unknown, extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource, ...extra });
    assert.equal(policyMayExpose(pol(read('arn:aws:s3:::b/*')), 'b', 'casb-quarantine/x.jpg'), true);
    assert.equal(policyMayExpose(pol(read('arn:aws:s3:::b/public/*')), 'b', 'casb-quarantine/x.jpg'), false);
    assert.equal(policyMayExpose(pol(read(['arn:aws:s3:::b/public/*', 'arn:aws:s3:::b/casb-*'])), 'b', 'casb-quarantine/x.jpg'), true);
    assert.equal(policyMayExpose(pol({ ...read('arn:aws:s3:::b/*'), Principal: { AWS: ['arn:aws:iam::1:root'] } }), 'b', 'k'), false);
    assert.equal(policyMayExpose(pol({ ...read('arn:aws:s3:::b/*'), Principal: { AWS: '*' }, Action: ['s3:Get*'] }), 'b', 'k'), true);
    assert.equal(policyMayExpose(pol({ ...read('arn:aws:s3:::b/*'), Action: 's3:PutObject' }), 'b', 'k'), false);
    assert.equal(policyMayExpose(pol({ Effect: 'Allow', Principal: '*', Action: '*', NotResource: 'arn:aws:s3:::b/casb-quarantine/*' }), 'b', 'casb-quarantine/k'), false);
    assert.equal(policyMayExpose(pol({ ...read('arn:aws:s3:::b/*'), Effect: 'Deny' }), 'b', 'k'), false);
    assert.equal(policyMayExpose('not json', 'b', 'k'), true, 'unreadable counts as exposing');
  });

  test('sameContent: ETags, then a common checksum, else size for multipart and SSE-KMS', () => {
    const h = (ETag: string, ContentLength: number, extra: Record<string, unknown> = {}) => ({ $metadata: {}, ETag: `"${ETag}"`, ContentLength, ...extra });
    const md5a = 'a'.repeat(32);
    const md5b = 'b'.repeat(32);
    assert.deepEqual(sameContent(h(md5a, 5), h(md5a, 5)), { same: true, by: 'etag' });
    assert.deepEqual(sameContent(h(md5a, 5), h(md5b, 5)), { same: false, by: 'etag' });
    assert.deepEqual(sameContent(h(md5a, 5), h(md5a, 6)), { same: false, by: 'size' });
    assert.deepEqual(sameContent(h(`${md5a}-3`, 5), h(md5b, 5)), { same: true, by: 'size' }, 'AWS copies a multipart object into a single-part one');
    assert.deepEqual(sameContent(h(`${md5a}-3`, 5, { ChecksumCRC64NVME: 'x', ChecksumType: 'FULL_OBJECT' }), h(md5b, 5, { ChecksumCRC64NVME: 'x', ChecksumType: 'FULL_OBJECT' })), { same: true, by: 'checksum' });
    assert.deepEqual(sameContent(h(`${md5a}-3`, 5, { ChecksumCRC64NVME: 'x', ChecksumType: 'FULL_OBJECT' }), h(md5b, 5, { ChecksumCRC64NVME: 'y', ChecksumType: 'FULL_OBJECT' })), { same: false, by: 'checksum' });
    assert.deepEqual(sameContent(h(md5a, 5, { ServerSideEncryption: 'aws:kms' }), h(md5b, 5, { ServerSideEncryption: 'aws:kms' })), { same: true, by: 'size' }, 'SSE-KMS ETags are not MD5s');
  });

  test('tag values are made acceptable to S3; quarantine locations are parsed and checked', () => {
    assert.equal(tagValue('photos/IMG (1).jpg'), 'photos/IMG _1_.jpg');
    assert.equal(tagValue('ünï cødé/x.jpg'), 'ünï cødé/x.jpg');
    const long = `${'d/'.repeat(200)}file.jpg`;
    assert.equal(Array.from(tagValue(long)).length, 256);
    assert.ok(tagValue(long).endsWith('file.jpg'));
    const r = new S3Remediation({ client: undefined as never, bucket: 'src', target: 'test', aws: false, retry: () => ({ classify: () => ({ kind: 'permanent' }) }), stats: { requests: 0 } });
    assert.deepEqual(r.quarantineLocation(undefined, 'src'), { bucket: 'src', prefix: DEFAULT_QUARANTINE_PREFIX });
    assert.deepEqual(r.quarantineLocation('hold', 'src'), { bucket: 'src', prefix: 'hold/' });
    assert.deepEqual(r.quarantineLocation('/hold/it/', 'src'), { bucket: 'src', prefix: 'hold/it/' });
    assert.deepEqual(r.quarantineLocation('s3://vault', 'src'), { bucket: 'vault', prefix: '' });
    assert.deepEqual(r.quarantineLocation('s3://vault/q', 'src'), { bucket: 'vault', prefix: 'q/' });
    assert.throws(() => r.quarantineLocation('s3://src', 'src'), (e: unknown) => e instanceof UserError && /give a prefix/.test(e.message));
    assert.throws(() => r.quarantineLocation('file:///tmp/q', 'src'), (e: unknown) => e instanceof UserError && /not an S3 location/.test(e.message));
    assert.throws(() => r.quarantineLocation('s3://Bad_Bucket/q', 'src'), UserError);
  });
});

// ---------------------------------------------------------------------------------------------
// Against a server.

describe('s3 remediation against a server', () => {
  let server: S3TestServer;
  let raw: S3Client;
  let proxy: FaultProxy;
  let rgw = false;
  const connectors: S3Connector[] = [];

  before(async () => {
    server = await startS3();
    raw = s3Client(server);
    proxy = await startFaultProxy(server.endpoint);
    rgw = server.kind === 'rgw';
  });
  after(async () => {
    for (const c of connectors) await c.close();
    raw?.destroy();
    await proxy?.stop();
    await server?.stop();
  });

  /** A fresh connector through the fault proxy. */
  function connector(bucket: string): S3Connector {
    const c = createS3Connector(`s3://${bucket}`, {
      endpoint: proxy.endpoint,
      region: server.region,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      retry: FAST_RETRY,
    });
    connectors.push(c);
    return c;
  }

  function needsRealS3(t: TestContext): boolean {
    if (rgw) return false;
    t.skip(NEEDS_REAL_S3);
    return true;
  }

  async function bucketWith(label: string, objects: Array<{ key: string; body?: string; tags?: string; meta?: Record<string, string> }>): Promise<string> {
    const bucket = uniqueBucket(label);
    await createBucket(raw, bucket);
    for (const o of objects) {
      await raw.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: Buffer.from(o.body ?? `bytes of ${o.key}`), ContentType: 'image/jpeg', Metadata: o.meta }));
      // PutObjectTagging rather than the x-amz-tagging header, which s3rver ignores.
      if (o.tags) await raw.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: o.key, Tagging: { TagSet: [...new URLSearchParams(o.tags)].map(([Key, Value]) => ({ Key, Value })) } }));
    }
    return bucket;
  }

  async function refOf(c: S3Connector, key: string): Promise<ObjectRef> {
    for await (const page of c.list()) {
      const r = page.items.find((i) => i.externalId === key);
      if (r) return r;
    }
    throw new Error(`${key} not listed`);
  }

  async function ownerOf(bucket: string, key: string): Promise<string> {
    return (await raw.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }))).Owner!.ID!;
  }

  async function setAcl(bucket: string, key: string, extra: S3Grant[]): Promise<void> {
    const ownerId = await ownerOf(bucket, key);
    await raw.send(
      new PutObjectAclCommand({
        Bucket: bucket, Key: key,
        AccessControlPolicy: { Owner: { ID: ownerId }, Grants: [{ Grantee: { Type: 'CanonicalUser', ID: ownerId }, Permission: 'FULL_CONTROL' }, ...extra] },
      }),
    );
  }

  /** An anonymous GET (no signature): what the public really sees. */
  async function anonymousStatus(bucket: string, key: string): Promise<number> {
    const res = await fetch(`${server.endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
    await res.arrayBuffer();
    return res.status;
  }

  /** CopyObject requests (PUTs without ?tagging / ?acl) to `key` seen by the proxy. */
  function copiesTo(bucket: string, key: string): number {
    return proxy.log.filter((r) => r.method === 'PUT' && r.bucket === bucket && r.key === key && !r.query.has('tagging') && !r.query.has('acl')).length;
  }

  test('inspect: a plain object, a missing one; describeSharing is private', async () => {
    const bucket = await bucketWith('inspect', [{ key: 'a/one.jpg' }]);
    const c = connector(bucket);
    const ref = await refOf(c, 'a/one.jpg');
    const s = await c.inspect(ref);
    assert.equal(s.exists, true);
    assert.equal(s.location, `s3://${bucket}/a/one.jpg`);
    assert.deepEqual(s.place, { bucket, key: 'a/one.jpg' });
    assert.equal(s.etag, ref.etag);
    assert.ok(s.grants.every((g) => g.level === 'private'), JSON.stringify(s.grants));
    assert.deepEqual(await c.describeSharing(ref), { level: 'private' });
    const gone = await c.inspect({ ...ref, externalId: 'a/none.jpg', path: `s3://${bucket}/a/none.jpg` });
    assert.deepEqual(gone, { exists: false, location: `s3://${bucket}/a/none.jpg`, grants: [] });
  });

  test('inspect and describeSharing degrade when the ACL or the policy status is refused', async () => {
    const bucket = await bucketWith('degrade', [{ key: 'x.jpg' }]);
    const c = connector(bucket);
    const ref = await refOf(c, 'x.jpg');
    proxy.faults.push({ match: (r) => r.bucket === bucket && r.method === 'GET' && (r.query.has('acl') || r.query.has('policyStatus')), action: 'deny' });
    try {
      const s = await c.inspect(ref);
      assert.equal(s.exists, true);
      const acl = s.grants.find((g) => g.id === 'acl')!;
      assert.equal(acl.level, 'unknown');
      assert.match(acl.note ?? '', /AccessDenied.*allow s3:GetObjectAcl/);
      if (rgw) assert.equal(s.grants.find((g) => g.id === 'bucket-policy')?.level, 'unknown');
      const e = await c.describeSharing(ref);
      assert.equal(e.level, 'unknown');
      assert.ok(e.details?.some((d) => /acl:unreadable \(AccessDenied\)/.test(d)), JSON.stringify(e));
    } finally {
      proxy.reset();
    }
  });

  test('inspect reads AllUsers, AuthenticatedUsers and other-account grants, and tags', async (t) => {
    if (needsRealS3(t)) return;
    const other = await otherAccount(server);
    if (!other) return void t.skip('no second account on this server (RGW admin API refused; set S3_OTHER_CANONICAL_ID)');
    const bucket = await bucketWith('grants', [{ key: 'p.jpg', tags: 'casb-label=passport&project=alpha' }]);
    await setAcl(bucket, 'p.jpg', [
      { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
      { Grantee: { Type: 'Group', URI: AUTH_USERS }, Permission: 'READ' },
      { Grantee: { Type: 'CanonicalUser', ID: other }, Permission: 'READ' },
    ]);
    const c = connector(bucket);
    const ref = await refOf(c, 'p.jpg');
    const s = await c.inspect(ref);
    const owner = await ownerOf(bucket, 'p.jpg');
    assert.deepEqual(
      s.grants.map((g) => [g.who, g.level, g.revocable]).sort(),
      [
        ['AllUsers:READ', 'public', true],
        ['AuthenticatedUsers:READ', 'public', true],
        [`owner:${owner}:FULL_CONTROL`, 'private', false],
        [`user:${other}:READ`, 'external', true],
      ],
    );
    assert.deepEqual(s.tags, { 'casb-label': 'passport' }, 'only casb-* tags');
    const e = await c.describeSharing(ref);
    assert.equal(e.level, 'public');
    assert.deepEqual([...(e.details ?? [])].sort(), ['AllUsers:READ', 'AuthenticatedUsers:READ', `user:${other}:READ`]);
    assert.equal(await anonymousStatus(bucket, 'p.jpg'), 200, 'really public');
  });

  test('a public bucket policy: a grant that cannot be revoked, with the note; quarantine will not go where it exposes', async (t) => {
    if (needsRealS3(t)) return;
    const bucket = await bucketWith('policy', [{ key: 'in/p.jpg' }, { key: 'in/q.jpg' }]);
    const c = connector(bucket);
    const statement = (resource: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: resource }] });
    await raw.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: statement(`arn:aws:s3:::${bucket}/*`) }));
    const ref = await refOf(c, 'in/p.jpg');
    const s = await c.inspect(ref);
    const pol = s.grants.find((g) => g.id === 'bucket-policy')!;
    assert.equal(pol.level, 'public');
    assert.equal(pol.revocable, false);
    assert.match(pol.note ?? '', /remove the public statement from the bucket policy, or turn on Block Public Access/);
    assert.equal((await c.describeSharing(ref)).level, 'public');
    await rejectsWith(c.removeGrants(ref, [pol]), oneLineItemError('not_revocable', /bucket-policy:public.*remove the public statement/));

    // The policy exposes every key, the quarantine prefix too: refused, nothing changed.
    await rejectsWith(c.quarantine(ref, { findingId: '7' }), oneLineItemError('quarantine_public', /lets anyone read objects there/));
    assert.equal(await rawExists(raw, bucket, 'in/p.jpg'), true);
    assert.equal(await rawExists(raw, bucket, `${DEFAULT_QUARANTINE_PREFIX}in/p.jpg`), false);

    // A policy for in/* only: the quarantine prefix is not exposed, and the copy is not readable.
    await raw.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: statement(`arn:aws:s3:::${bucket}/in/*`) }));
    assert.equal(await anonymousStatus(bucket, 'in/q.jpg'), 200);
    const q = await c.quarantine(await refOf(c, 'in/q.jpg'), { findingId: '8' });
    assert.equal(q.externalId, `${DEFAULT_QUARANTINE_PREFIX}in/q.jpg`);
    assert.equal(await anonymousStatus(bucket, q.externalId), 403);
    assert.equal(await rawExists(raw, bucket, 'in/q.jpg'), false);

    // RestrictPublicBuckets is trusted on AWS only (an --endpoint server may not enforce it).
    await raw.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    const restricted = (await connector(bucket).inspect(ref)).grants.find((g) => g.id === 'bucket-policy')!;
    assert.equal(restricted.level, 'public');
    assert.match(restricted.note ?? '', /RestrictPublicBuckets is on, but this S3-compatible server is not known to enforce it/);
    t.diagnostic(`anonymous GET under a public policy with RestrictPublicBuckets on: HTTP ${await anonymousStatus(bucket, 'in/p.jpg')}`);
  });

  test('keys with spaces, +, %, ?, # and non-ASCII survive quarantine and release', async (t) => {
    // s3rver mis-reads +, ? and # in an (URL-encoded, as S3 requires) x-amz-copy-source; RGW and AWS do not.
    const key = rgw ? 'odd/a+b %20 ? #ü 100%.jpg' : 'odd/a b %20 ü 100%.jpg';
    if (!rgw) t.diagnostic('s3rver: +, ? and # in keys are left out (its CopyObject mis-reads them in x-amz-copy-source)');
    const bucket = await bucketWith('oddkeys', [{ key, body: 'odd' }]);
    const c = connector(bucket);
    const ref = await refOf(c, key);
    const before = await c.inspect(ref);
    assert.equal(before.exists, true);
    const q = await c.quarantine(ref, { findingId: '1' });
    assert.equal(q.externalId, `${DEFAULT_QUARANTINE_PREFIX}${key}`);
    assert.equal(await rawExists(raw, bucket, q.externalId), true);
    assert.equal(await rawExists(raw, bucket, key), false);
    const back = await c.release(q, before);
    assert.equal(back.externalId, key);
    assert.equal(await rawExists(raw, bucket, key), true);
    assert.equal(await rawExists(raw, bucket, q.externalId), false);
  });

  test('Block Public Access: IgnorePublicAcls neutralises public ACL grants; BlockPublicAcls refuses to grant them again', async (t) => {
    if (needsRealS3(t)) return;
    const bucket = await bucketWith('bpa', [{ key: 'p.jpg' }]);
    await setAcl(bucket, 'p.jpg', [{ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' }]);
    const c = connector(bucket);
    const ref = await refOf(c, 'p.jpg');
    const pub = (await c.inspect(ref)).grants.find((g) => g.who === 'AllUsers:READ')!;
    assert.equal(pub.level, 'public');

    await raw.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { IgnorePublicAcls: true } }));
    assert.equal(await anonymousStatus(bucket, 'p.jpg'), 403, 'the server ignores the public ACL');
    const ignored = (await c.inspect(ref)).grants.find((g) => g.who === 'AllUsers:READ')!;
    assert.equal(ignored.level, 'private', 'kept, but not in effect');
    assert.equal(ignored.revocable, true);
    assert.match(ignored.note ?? '', /IgnorePublicAcls/);
    const e = await connector(bucket).describeSharing(ref);
    assert.equal(e.level, 'private');
    assert.deepEqual(e.details, ['AllUsers:READ (ignored: IgnorePublicAcls)']);

    // BlockPublicAcls: existing public ACLs stay in effect, new ones are refused.
    await raw.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true } }));
    assert.equal(await anonymousStatus(bucket, 'p.jpg'), 200);
    assert.equal((await c.inspect(ref)).grants.find((g) => g.who === 'AllUsers:READ')!.level, 'public');
    await c.removeGrants(ref, [pub]);
    assert.equal(await anonymousStatus(bucket, 'p.jpg'), 403);
    await rejectsWith(c.addGrants(ref, [pub]), oneLineItemError('blocked', /BlockPublicAcls.*refuses public ACLs/));
  });

  test('removeGrants removes exactly the asked grants (again: a no-op); addGrants restores them (again: a no-op)', async (t) => {
    if (needsRealS3(t)) return;
    const other = await otherAccount(server);
    const bucket = await bucketWith('revoke', [{ key: 'p.jpg' }]);
    const extra: S3Grant[] = [
      { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
      { Grantee: { Type: 'Group', URI: AUTH_USERS }, Permission: 'READ' },
    ];
    if (other) extra.push({ Grantee: { Type: 'CanonicalUser', ID: other }, Permission: 'READ' });
    await setAcl(bucket, 'p.jpg', extra);
    const c = connector(bucket);
    const ref = await refOf(c, 'p.jpg');
    const before = await rawGrants(raw, bucket, 'p.jpg');
    const grants = (await c.inspect(ref)).grants;
    const pub = grants.filter((g) => g.level === 'public');
    assert.equal(pub.length, 2);

    await c.removeGrants(ref, pub);
    const after = await rawGrants(raw, bucket, 'p.jpg');
    assert.deepEqual(after, before.filter((w) => !/^(AllUsers|AuthenticatedUsers):/.test(w)), 'exactly those are gone; owner and the other account kept');
    assert.equal(await anonymousStatus(bucket, 'p.jpg'), 403);

    proxy.log.length = 0;
    await c.removeGrants(ref, pub);
    assert.equal(proxy.log.filter((r) => r.method === 'PUT').length, 0, 'a second removal writes nothing');
    assert.deepEqual(await rawGrants(raw, bucket, 'p.jpg'), after);

    const owner = grants.find((g) => g.who.startsWith('owner:'))!;
    await rejectsWith(c.removeGrants(ref, [owner]), oneLineItemError('not_revocable', /owner/));

    await c.addGrants(ref, pub);
    assert.deepEqual(await rawGrants(raw, bucket, 'p.jpg'), before, 'restored');
    assert.equal(await anonymousStatus(bucket, 'p.jpg'), 200);
    proxy.log.length = 0;
    await c.addGrants(ref, [...pub, owner, ...grants.filter((g) => g.id === 'bucket-policy')]);
    assert.equal(proxy.log.filter((r) => r.method === 'PUT').length, 0, 'granting again what is there writes nothing');

    if (other) {
      const ext = grants.filter((g) => g.level === 'external');
      assert.equal(ext.length, 1);
      await connector(bucket).removeGrants(ref, ext);
      assert.deepEqual(await rawGrants(raw, bucket, 'p.jpg'), before.filter((w) => !w.startsWith('user:')));
      await connector(bucket).addGrants(ref, ext);
      assert.deepEqual(await rawGrants(raw, bucket, 'p.jpg'), before);
    }
  });

  test('quarantine: copy with metadata and tags (+ casb tags), private, original deleted; release brings it back', async (t) => {
    const bucket = await bucketWith('quarantine', [{ key: 'scans/IMG (1).jpg', body: 'the image', tags: 'project=alpha', meta: { camera: 'x100' } }]);
    const key = 'scans/IMG (1).jpg';
    if (rgw) await setAcl(bucket, key, [{ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' }]);
    const c = connector(bucket);
    const ref = await refOf(c, key);
    const before = await c.inspect(ref);

    const q = await c.quarantine(ref, { findingId: '42' });
    const qkey = `${DEFAULT_QUARANTINE_PREFIX}${key}`;
    assert.equal(q.externalId, qkey);
    assert.equal(q.path, `s3://${bucket}/${qkey}`);
    assert.equal(q.size, ref.size);
    assert.equal(q.etag, ref.etag);
    assert.equal(q.extra, undefined, 'unversioned, same bucket: no extra');
    assert.equal(await rawExists(raw, bucket, key), false, 'the original is gone');
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: qkey }));
    assert.deepEqual(head.Metadata, { camera: 'x100' });
    assert.equal(head.ContentType, 'image/jpeg');
    const body = await (await raw.send(new GetObjectCommand({ Bucket: bucket, Key: qkey }))).Body!.transformToString();
    assert.equal(body, 'the image');
    const tags = await raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: qkey }));
    assert.deepEqual(Object.fromEntries((tags.TagSet ?? []).map((x) => [x.Key, x.Value])), { project: 'alpha', 'casb-finding': '42', 'casb-quarantined-from': 'scans/IMG _1_.jpg' });
    assert.deepEqual((await c.inspect(q)).tags, { 'casb-finding': '42', 'casb-quarantined-from': 'scans/IMG _1_.jpg' });
    if (rgw) {
      assert.deepEqual(await rawGrants(raw, bucket, qkey), [`owner:${await ownerOf(bucket, qkey)}:FULL_CONTROL`], 'the copy is private');
      assert.equal(await anonymousStatus(bucket, qkey), 403);
    } else {
      t.diagnostic('s3rver has no ACLs: the private-copy checks run on RGW only');
    }

    // Called again (the runner retrying): finds the done state, copies nothing.
    proxy.log.length = 0;
    const again = await c.quarantine(ref, { findingId: '42' });
    assert.deepEqual(again, q);
    assert.equal(copiesTo(bucket, qkey), 0);

    const back = await c.release(q, before);
    assert.equal(back.externalId, key);
    assert.equal(back.etag, ref.etag);
    assert.equal(await rawExists(raw, bucket, qkey), false, 'the quarantined copy is gone');
    const bhead = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    assert.deepEqual(bhead.Metadata, { camera: 'x100' });
    const btags = await raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
    assert.deepEqual(Object.fromEntries((btags.TagSet ?? []).map((x) => [x.Key, x.Value])), { project: 'alpha' }, 'quarantine tags taken off, its own kept');
    if (rgw) {
      assert.equal(await anonymousStatus(bucket, key), 403, 'release is location only: grants are the runner’s addGrants');
      await c.addGrants(back, before.grants.filter((g) => g.revocable));
      assert.equal(await anonymousStatus(bucket, key), 200);
    }
    // release again: already back
    proxy.log.length = 0;
    const back2 = await c.release(q, before);
    assert.equal(back2.externalId, key);
    assert.equal(copiesTo(bucket, key), 0);
  });

  test('quarantine: a failure between copy and delete leaves the original; the second call completes with exactly one copy', async () => {
    const bucket = await bucketWith('qfail', [{ key: 'p.jpg', body: 'image bytes' }]);
    const c = connector(bucket);
    const ref = await refOf(c, 'p.jpg');
    const qkey = `${DEFAULT_QUARANTINE_PREFIX}p.jpg`;
    proxy.log.length = 0;
    proxy.faults.push({ match: (r) => r.method === 'DELETE' && r.bucket === bucket && r.key === 'p.jpg', action: 'deny', times: 1 });
    await rejectsWith(c.quarantine(ref, { findingId: '9' }), oneLineItemError('access_denied', new RegExp(`delete the original of quarantined s3://${bucket}/p.jpg.*s3:DeleteObject`)));
    assert.equal(await rawExists(raw, bucket, 'p.jpg'), true, 'the original is in place');
    assert.equal(await rawExists(raw, bucket, qkey), true, 'the verified copy is there');

    const q = await connector(bucket).quarantine(ref, { findingId: '9' });
    assert.equal(q.externalId, qkey);
    assert.equal(await rawExists(raw, bucket, 'p.jpg'), false);
    assert.equal(copiesTo(bucket, qkey), 1, 'one CopyObject over both calls');
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: DEFAULT_QUARANTINE_PREFIX }));
    assert.equal(listed.KeyCount, 1);
    proxy.reset();
  });

  test('release: a failure between copy-back and delete; the second call completes', async () => {
    const bucket = await bucketWith('rfail', [{ key: 'p.jpg', body: 'image bytes' }]);
    const c = connector(bucket);
    const ref = await refOf(c, 'p.jpg');
    const before = await c.inspect(ref);
    const q = await c.quarantine(ref, { findingId: '3' });
    proxy.log.length = 0;
    proxy.faults.push({ match: (r) => r.method === 'DELETE' && r.bucket === bucket && r.key === q.externalId, action: 'deny', times: 1 });
    await rejectsWith(c.release(q, before), oneLineItemError('access_denied'));
    assert.equal(await rawExists(raw, bucket, 'p.jpg'), true);
    assert.equal(await rawExists(raw, bucket, q.externalId), true, 'the quarantined copy is kept until the copy back is verified and deleted');
    const back = await c.release(q, before);
    assert.equal(back.externalId, 'p.jpg');
    assert.equal(await rawExists(raw, bucket, q.externalId), false);
    assert.equal(copiesTo(bucket, 'p.jpg'), 1, 'copied back once');
    proxy.reset();
  });

  test('quarantine refuses a changed object, a conflicting copy, a missing one, and a quarantined one; to another bucket and prefix works', async () => {
    const bucket = await bucketWith('qrefuse', [{ key: 'a.jpg' }, { key: 'b.jpg' }, { key: `${DEFAULT_QUARANTINE_PREFIX}b.jpg`, body: 'something else' }]);
    const c = connector(bucket);
    const a = await refOf(c, 'a.jpg');
    await rejectsWith(c.quarantine({ ...a, etag: 'f'.repeat(32) }, { findingId: '1' }), oneLineItemError('changed', /changed since it was scanned/));
    await rejectsWith(c.quarantine(await refOf(c, 'b.jpg'), { findingId: '1' }), oneLineItemError('conflict', /already holds a different object/));
    assert.equal(await rawExists(raw, bucket, 'b.jpg'), true);
    await rejectsWith(c.quarantine({ ...a, externalId: 'none.jpg', path: `s3://${bucket}/none.jpg` }, { findingId: '1' }), oneLineItemError('not_found'));
    await rejectsWith(c.quarantine(await refOf(c, `${DEFAULT_QUARANTINE_PREFIX}b.jpg`), { findingId: '1' }), oneLineItemError('already_quarantined'));

    const vault = await bucketWith('vault', []);
    const q = await c.quarantine(a, { findingId: '1', to: `s3://${vault}/held` });
    assert.equal(q.externalId, 'held/a.jpg');
    assert.deepEqual(q.extra, { bucket: vault });
    assert.equal(await rawExists(raw, vault, 'held/a.jpg'), true);
    assert.equal(await rawExists(raw, bucket, 'a.jpg'), false);
    const s = await c.inspect(q);
    assert.equal(s.location, `s3://${vault}/held/a.jpg`);
    const back = await c.release(q, { exists: true, location: `s3://${bucket}/a.jpg`, place: { bucket, key: 'a.jpg' }, grants: [] });
    assert.equal(back.externalId, 'a.jpg');
    assert.equal(await rawExists(raw, vault, 'held/a.jpg'), false);
    assert.equal(await rawExists(raw, bucket, 'a.jpg'), true);

    const p = await c.quarantine(await refOf(c, 'a.jpg'), { findingId: '2', to: 'hold' });
    assert.equal(p.externalId, 'hold/a.jpg');
  });

  test('versioned bucket: quarantine deletes exactly the listed version; older versions stay and are counted', async (t) => {
    if (needsRealS3(t)) return;
    const bucket = await bucketWith('versioned', []);
    await raw.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'one.jpg', Body: 'only version' }));
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'two.jpg', Body: 'old content' }));
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: 'two.jpg', Body: 'flagged content' }));
    const c = connector(bucket);
    const versions = async (key: string) => {
      const v = await raw.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
      return { versions: (v.Versions ?? []).filter((x) => x.Key === key).length, markers: (v.DeleteMarkers ?? []).filter((x) => x.Key === key).length };
    };

    const one = await refOf(c, 'one.jpg');
    const s1 = await c.inspect(one);
    assert.equal(typeof s1.place?.versionId, 'string');
    assert.equal(s1.place?.otherVersions, undefined);
    const q1 = await c.quarantine(one, { findingId: '5' });
    assert.equal(typeof q1.extra?.versionId, 'string', 'the copy names its version');
    assert.deepEqual(await versions('one.jpg'), { versions: 0, markers: 0 }, 'the data left the key: no version, no delete marker');
    const back = await c.release(q1, s1);
    assert.equal(await rawExists(raw, bucket, 'one.jpg'), true);
    assert.deepEqual(await versions(q1.externalId), { versions: 0, markers: 0 }, 'release removes the quarantine copy for good too');
    assert.notEqual(back.extra?.versionId, s1.place?.versionId, 'back as a new version');

    const two = await refOf(c, 'two.jpg');
    const s2 = await c.inspect(two);
    assert.equal(s2.place?.otherVersions, 1, 'inspect counts the older version');
    const q2 = await c.quarantine(two, { findingId: '6' });
    const body = await (await raw.send(new GetObjectCommand({ Bucket: bucket, Key: q2.externalId }))).Body!.transformToString();
    assert.equal(body, 'flagged content');
    assert.deepEqual(await versions('two.jpg'), { versions: 1, markers: 0 }, 'only the flagged version was deleted');
    const now = await (await raw.send(new GetObjectCommand({ Bucket: bucket, Key: 'two.jpg' }))).Body!.transformToString();
    assert.equal(now, 'old content', 'the older version is current again (documented: quarantine moves one version)');

    // A listed version id is honoured: the older version itself.
    const listedOld = { ...(await refOf(c, 'two.jpg')), extra: { versionId: (await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: 'two.jpg' }))).VersionId } };
    const q3 = await c.quarantine(listedOld, { findingId: '6', to: 'older' });
    assert.equal(q3.externalId, 'older/two.jpg');
    assert.deepEqual(await versions('two.jpg'), { versions: 0, markers: 0 });
  });

  test('tag merges into the object tags; again is a no-op; more than 10 is a clear error', async () => {
    const bucket = await bucketWith('tag', [{ key: 'p.jpg', tags: 'project=alpha&casb-label=old' }, { key: 'full.jpg' }]);
    const c = connector(bucket);
    const ref = await refOf(c, 'p.jpg');
    await c.tag(ref, { 'casb-finding': '17', 'casb-label': 'passport' });
    const all = await raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'p.jpg' }));
    assert.deepEqual(Object.fromEntries((all.TagSet ?? []).map((x) => [x.Key, x.Value])), { project: 'alpha', 'casb-finding': '17', 'casb-label': 'passport' });
    assert.deepEqual((await c.inspect(ref)).tags, await rawCasbTags(raw, bucket, 'p.jpg'));
    proxy.log.length = 0;
    await c.tag(ref, { 'casb-finding': '17' });
    assert.equal(proxy.log.filter((r) => r.method === 'PUT').length, 0, 'nothing to change, nothing written');

    await raw.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'full.jpg', Tagging: { TagSet: Array.from({ length: 9 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) } }));
    const full = await refOf(c, 'full.jpg');
    await rejectsWith(c.tag(full, { 'casb-finding': '1', 'casb-label': 'passport' }), oneLineItemError('too_many_tags', /has 9 tags.*at most 10.*remove some of its tags/));
    await c.tag(full, { 'casb-finding': '1' }); // exactly 10 is fine
    assert.equal(((await raw.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'full.jpg' }))).TagSet ?? []).length, 10);
    await rejectsWith(c.quarantine(full, { findingId: '1' }), oneLineItemError('too_many_tags', /nothing was changed/));
    assert.equal(await rawExists(raw, bucket, 'full.jpg'), true);
    await rejectsWith(c.tag(ref, { 'bad key;': 'x' }), oneLineItemError('bad_tag'));
  });

  test('the contract fixture: view() reads the fixture object with a raw client', async (t) => {
    const why = await s3RemediationFixture.unavailable?.();
    if (why) return void t.skip(why);
    const src = await s3RemediationFixture.create();
    try {
      const v = await src.view();
      assert.equal(v.atOrigin, true);
      assert.equal(v.quarantinedCopies, 0);
      assert.ok(v.grants.includes('AllUsers:READ'), JSON.stringify(v.grants));
      const inspected = (await src.connector().inspect!(src.ref)).grants.map((g) => g.who).sort();
      assert.deepEqual(inspected, v.grants, 'the fixture spells grants as the connector does');
      src.failNextOriginalDelete!();
      await rejectsWith(src.connector().quarantine!(src.ref, { findingId: '1' }), oneLineItemError('server_error', /try again later/));
      const mid = await src.view();
      assert.equal(mid.atOrigin, true);
      assert.equal(mid.quarantinedCopies, 1);
      await src.connector().quarantine!(src.ref, { findingId: '1' });
      const end = await src.view();
      assert.equal(end.atOrigin, false);
      assert.equal(end.quarantinedCopies, 1);
      assert.equal(end.grants.length, 1, 'private copy: the owner only');
      assert.equal(end.tags['casb-finding'], '1');
    } finally {
      await src.close();
    }
  });

  test('deleting the object behind a quarantined ref: release says so in one line', async () => {
    const bucket = await bucketWith('rgone', [{ key: 'p.jpg' }]);
    const c = connector(bucket);
    const ref = await refOf(c, 'p.jpg');
    const before = await c.inspect(ref);
    const q = await c.quarantine(ref, { findingId: '1' });
    await raw.send(new DeleteObjectCommand({ Bucket: bucket, Key: q.externalId }));
    await rejectsWith(c.release(q, before), oneLineItemError('not_found', /quarantined copy is not there any more/));
  });
});
