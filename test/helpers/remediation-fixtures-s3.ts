/**
 * The S3 remediation fixture (test/helpers/remediation-fixture.ts) on a real S3 server: Ceph RGW
 * from S3_ENDPOINT. s3rver has no object ACLs (PutObjectAcl answers NotImplemented), so the
 * fixture is unavailable there.
 *
 * One bucket per create(), one object (`scans/passport 1.jpg`, with metadata and a user tag)
 * whose ACL grants the owner FULL_CONTROL, AllUsers READ and READ to a second account
 * (`casb-other`, created through RGW's admin API, or S3_OTHER_CANONICAL_ID on other servers).
 * The connector goes through the fault proxy, so failNextOriginalDelete can fail the DeleteObject
 * after a quarantine copy (one call's worth of attempts). view() reads with a raw S3Client, never
 * the connector.
 */
import { createHash, createHmac } from 'node:crypto';
import {
  GetObjectAclCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectAclCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { Grant as S3Grant, S3Client } from '@aws-sdk/client-s3';
import type { Connector, ObjectRef } from '../../connectors/contract.js';
import { createS3Connector } from '../../connectors/s3/index.js';
import type { PlatformView, RemediationFixture, RemediationSource } from './remediation-fixture.js';
import { createBucket, s3Client, startS3, uniqueBucket } from './s3server.js';
import type { S3TestServer } from './s3server.js';
import { startFaultProxy } from './s3proxy.js';

export const FIXTURE_KEY = 'scans/passport 1.jpg';
export const QUARANTINE_PREFIX = 'casb-quarantine/';
const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50 };
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

export const NEEDS_REAL_S3 =
  'needs real S3 (S3_ENDPOINT, e.g. Ceph RGW from ../shared/scripts/start-rgw.sh): s3rver has no object ACLs, bucket policies, Block Public Access or versioning';

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** SigV4 headers for a body-less request (RGW's admin API takes S3 signatures). */
function signV4(method: string, url: URL, server: Pick<S3TestServer, 'accessKeyId' | 'secretAccessKey' | 'region'>): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const payload = createHash('sha256').update('').digest('hex');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': payload, 'x-amz-date': amzDate };
  const names = Object.keys(headers).sort();
  const canonical = [method, url.pathname, query, ...names.map((h) => `${h}:${headers[h]}`), '', names.join(';'), payload].join('\n');
  const scope = `${day}/${server.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${server.secretAccessKey}`).update(day).digest();
  for (const part of [server.region, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${server.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` };
}

const others = new Map<string, Promise<string | undefined>>();

/**
 * The canonical id of a second account to grant to: on RGW a user `casb-other` made through the
 * admin API (the CI user has users=* caps; its keys in the answer are never read or logged), else
 * S3_OTHER_CANONICAL_ID; undefined when neither works.
 */
export function otherAccount(server: S3TestServer): Promise<string | undefined> {
  let p = others.get(server.endpoint);
  if (!p) {
    p = (async () => {
      if (process.env.S3_OTHER_CANONICAL_ID) return process.env.S3_OTHER_CANONICAL_ID;
      const url = new URL(`${server.endpoint}/admin/user`);
      url.searchParams.set('uid', 'casb-other');
      url.searchParams.set('display-name', 'casb other account');
      url.searchParams.set('format', 'json');
      try {
        const res = await fetch(url, { method: 'PUT', headers: signV4('PUT', url, server), signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        return res.status === 200 || res.status === 409 ? 'casb-other' : undefined;
      } catch {
        return undefined;
      }
    })();
    others.set(server.endpoint, p);
  }
  return p;
}

/** An ACL entry as the connector spells Grant.who (written separately here, so that a bug there shows). */
export function whoOf(g: S3Grant, ownerId: string | undefined): string | undefined {
  const e = g.Grantee;
  const perm = g.Permission;
  if (!e || !perm) return undefined;
  if (e.URI === ALL_USERS) return `AllUsers:${perm}`;
  if (e.URI === AUTHENTICATED_USERS) return `AuthenticatedUsers:${perm}`;
  if (e.URI) return `group:${e.URI === LOG_DELIVERY ? 'LogDelivery' : e.URI}:${perm}`;
  if (e.ID) return `${e.ID === ownerId ? 'owner' : 'user'}:${e.ID}:${perm}`;
  if (e.EmailAddress) return `email:${e.EmailAddress}:${perm}`;
  return undefined;
}

/** The grants on an object as sorted who-strings, read with a raw client. */
export async function rawGrants(client: S3Client, bucket: string, key: string): Promise<string[]> {
  const acl = await client.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }));
  return (acl.Grants ?? [])
    .map((g) => whoOf(g, acl.Owner?.ID))
    .filter((w): w is string => w !== undefined)
    .sort();
}

/** casb-* tags on an object, read with a raw client. */
export async function rawCasbTags(client: S3Client, bucket: string, key: string): Promise<Record<string, string>> {
  const res = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return Object.fromEntries((res.TagSet ?? []).filter((t) => t.Key?.startsWith('casb-')).map((t) => [t.Key!, t.Value ?? '']));
}

export async function rawExists(client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

export const s3RemediationFixture: RemediationFixture = {
  name: 's3',
  unavailable: async () => (process.env.S3_ENDPOINT ? undefined : NEEDS_REAL_S3),
  async create(): Promise<RemediationSource> {
    const server = await startS3();
    const raw = s3Client(server);
    const proxy = await startFaultProxy(server.endpoint);
    const opened: Connector[] = [];
    try {
      const other = await otherAccount(server);
      const bucket = uniqueBucket('remediation');
      await createBucket(raw, bucket);
      await raw.send(
        new PutObjectCommand({
          Bucket: bucket, Key: FIXTURE_KEY, Body: Buffer.from('pretend jpeg bytes'), ContentType: 'image/jpeg',
          Metadata: { scanner: 'fixture' }, Tagging: 'project=alpha',
        }),
      );
      const acl = await raw.send(new GetObjectAclCommand({ Bucket: bucket, Key: FIXTURE_KEY }));
      const ownerId = acl.Owner?.ID;
      const grants: S3Grant[] = [
        { Grantee: { Type: 'CanonicalUser', ID: ownerId }, Permission: 'FULL_CONTROL' },
        { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
      ];
      if (other) grants.push({ Grantee: { Type: 'CanonicalUser', ID: other }, Permission: 'READ' });
      await raw.send(new PutObjectAclCommand({ Bucket: bucket, Key: FIXTURE_KEY, AccessControlPolicy: { Owner: { ID: ownerId }, Grants: grants } }));

      const connector = (): Connector => {
        const c = createS3Connector(`s3://${bucket}`, {
          endpoint: proxy.endpoint,
          region: server.region,
          credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
          retry: FAST_RETRY,
        });
        opened.push(c);
        return c;
      };
      let ref: ObjectRef | undefined;
      const lister = connector();
      for await (const page of lister.list()) ref ??= page.items.find((r) => r.externalId === FIXTURE_KEY);
      if (!ref) throw new Error(`the fixture object ${FIXTURE_KEY} was not listed`);

      const copyKey = `${QUARANTINE_PREFIX}${FIXTURE_KEY}`;
      return {
        connector,
        ref,
        supports: { revokePublic: true, revokeExternal: other !== undefined, tag: true, quarantine: true },
        async view(): Promise<PlatformView> {
          const atOrigin = await rawExists(raw, bucket, FIXTURE_KEY);
          const listed = await raw.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: QUARANTINE_PREFIX }));
          const quarantinedCopies = (listed.Contents ?? []).length;
          const here = atOrigin ? FIXTURE_KEY : quarantinedCopies ? copyKey : undefined;
          if (!here) return { atOrigin, quarantinedCopies, grants: [], tags: {} };
          return { atOrigin, quarantinedCopies, grants: await rawGrants(raw, bucket, here), tags: await rawCasbTags(raw, bucket, here) };
        },
        failNextOriginalDelete() {
          // A server error on every attempt the connector's retry makes: the quarantine fails
          // (failed:server_error; an AccessDenied would be recorded as blocked) and the next one goes through.
          proxy.faults.push({ match: (r) => r.method === 'DELETE' && r.bucket === bucket && r.key === FIXTURE_KEY, action: 'error500', times: FAST_RETRY.maxAttempts });
        },
        async close() {
          for (const c of opened.splice(0)) await c.close?.();
          raw.destroy();
          await proxy.stop();
          await server.stop();
        },
      };
    } catch (err) {
      for (const c of opened.splice(0)) await c.close?.();
      raw.destroy();
      await proxy.stop();
      await server.stop();
      throw err;
    }
  },
};
