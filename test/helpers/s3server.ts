/**
 * An S3 server for tests.
 *
 * - `S3_ENDPOINT` set (CI ran `eval $(bash ../shared/scripts/start-rgw.sh)`): use that real
 *   Ceph RGW with S3_ACCESS_KEY / S3_SECRET_KEY / S3_REGION; stop() leaves it running.
 * - Otherwise: start `s3rver` as a child process under `node --openssl-legacy-provider`
 *   (its ListObjectsV2 continuation tokens use DES) on a free loopback port with a temp
 *   directory; stop() kills it and removes the directory. The child also exits when
 *   this process goes away (its stdin closes).
 *
 * Each test makes its own uniquely named bucket (`uniqueBucket`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { StorageClass } from '@aws-sdk/client-s3';


// Node 20 is supported on purpose; keep the SDK's upgrade notice out of test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface S3TestServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  kind: 's3rver' | 'rgw';
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

export async function startS3(): Promise<S3TestServer> {
  const envEndpoint = process.env.S3_ENDPOINT;
  if (envEndpoint) {
    const accessKeyId = process.env.S3_ACCESS_KEY;
    const secretAccessKey = process.env.S3_SECRET_KEY;
    if (!accessKeyId || !secretAccessKey) throw new Error('S3_ENDPOINT is set but S3_ACCESS_KEY / S3_SECRET_KEY are not');
    return {
      endpoint: envEndpoint.replace(/\/$/, ''),
      accessKeyId,
      secretAccessKey,
      region: process.env.S3_REGION || 'us-east-1',
      kind: 'rgw',
      stop: async () => {},
    };
  }
  return startS3rver();
}

async function startS3rver(): Promise<S3TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'casb-s3rver-'));
  const main = require.resolve('s3rver');
  const script = `
    const S3rver = require(${JSON.stringify(main)});
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
    process.stdin.resume();
    new S3rver({ directory: ${JSON.stringify(dir)}, address: '127.0.0.1', port: 0, silent: true })
      .run()
      .then((addr) => process.stdout.write('LISTENING ' + JSON.stringify(addr) + '\\n'))
      .catch((err) => { console.error(err); process.exit(1); });
  `;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`s3rver did not start within 20 s: ${stderr}`)), 20_000);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /LISTENING (\{.*\})/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve((JSON.parse(m[1]!) as { port: number }).port);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited with ${code}: ${stderr}`));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    await waitUntilAnswers(endpoint);
    return {
      endpoint,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      region: 'us-east-1',
      kind: 's3rver',
      stop: async () => {
        await killChild(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await killChild(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

async function waitUntilAnswers(endpoint: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(endpoint + '/', { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return; // any HTTP answer (even 403) means it is up
    } catch (err) {
      if (Date.now() > until) throw new Error(`S3 server at ${endpoint} does not answer: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A raw SDK client for seeding (not the connector under test). */
export function s3Client(server: Pick<S3TestServer, 'endpoint' | 'accessKeyId' | 'secretAccessKey' | 'region'>, endpoint = server.endpoint): S3Client {
  return new S3Client({
    endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

/** A bucket name no other test (or earlier run against the same RGW) uses. */
export function uniqueBucket(label: string): string {
  const clean = label.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').slice(0, 30).replace(/^-|-$/g, '');
  return `casb-${clean}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

export interface SeedObject {
  key: string;
  body: string | Uint8Array;
  contentType?: string;
  storageClass?: StorageClass;
}

/** PUTs objects with a small, bounded concurrency. */
export async function seedBucket(client: S3Client, bucket: string, objects: SeedObject[], concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= objects.length) return;
      const o = objects[i]!;
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: o.key,
          Body: typeof o.body === 'string' ? Buffer.from(o.body) : o.body,
          ContentType: o.contentType ?? 'application/octet-stream',
          StorageClass: o.storageClass,
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, objects.length) }, worker));
}

/** Creates a fresh bucket and seeds it. */
export async function createSeededBucket(client: S3Client, label: string, objects: SeedObject[], concurrency = 16): Promise<string> {
  const bucket = uniqueBucket(label);
  await createBucket(client, bucket);
  await seedBucket(client, bucket, objects, concurrency);
  return bucket;
}

/**
 * Points the standard AWS credential chain (env first) at the test server, as a user would.
 * Returns a function that restores the previous environment.
 */
export function useS3Env(server: Pick<S3TestServer, 'accessKeyId' | 'secretAccessKey' | 'region'>): () => void {
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3'] as const;
  const saved = new Map(names.map((n) => [n, process.env[n]]));
  for (const n of names) delete process.env[n];
  process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
  process.env.AWS_REGION = server.region;
  return () => {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  };
}
