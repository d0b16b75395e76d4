/**
 * Contract-suite fixtures for the cloud connectors (Google Drive, OneDrive), each over its local
 * documented-API server in test/fakes/, reached through the official client library (Drive:
 * @googleapis/drive with rootUrl; Graph: @microsoft/microsoft-graph-client with baseUrl). Kept
 * apart from the suite so that the suite reads as the contract alone.
 *
 * Throttling: Drive answers 403 userRateLimitExceeded or 429 (alternating), Graph 429/503 with
 * Retry-After, on a seeded ~share of API requests (never the token endpoint).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { after } from 'node:test';
import type { ContractFixture, SourceFixture } from '../connector-contract.test.js';
import { createGdriveConnector } from '../../connectors/gdrive/index.js';
import { createOnedriveConnector } from '../../connectors/onedrive/index.js';
import { startDriveServer, type FakeDriveServer } from '../fakes/drive-server.js';
import { GraphFake } from '../fakes/graph-server.js';

const FAST_RETRY = { maxAttempts: 10, baseDelayMs: 1, maxDelayMs: 20 };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = (i: number) => Buffer.from(`cloud contract item ${i}\n`.repeat(1 + (i % 7)));

/** One RSA key for every Drive fixture: generating one costs ~100 ms. */
let saKey: { privatePem: string; publicPem: string } | undefined;
export function serviceAccountKey(): { privatePem: string; publicPem: string } {
  if (!saKey) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    saKey = { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  }
  return saKey;
}

export const SA_EMAIL = 'casb-scan@casb-test.iam.gserviceaccount.com';

/** A Drive tenant: alice and bob (alice a Workspace admin), a shared drive of both; files spread over the three. */
export async function driveTenant(): Promise<{ server: FakeDriveServer; sharedDriveId: string }> {
  const server = await startDriveServer({ domain: 'example.com' });
  server.addUser('alice@example.com', { admin: true });
  server.addUser('bob@example.com');
  server.addServiceAccount(SA_EMAIL, serviceAccountKey().publicPem, { delegation: true });
  const d = server.addDrive('Finance', ['alice@example.com', 'bob@example.com']);
  return { server, sharedDriveId: d.id };
}

export function driveCredentials(): Record<string, string> {
  return { type: 'service_account', client_email: SA_EMAIL, private_key: serviceAccountKey().privatePem, private_key_id: 'k1' };
}

const servers: Array<{ stop(): Promise<void> }> = [];
after(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

/** driveTenant(), stopped when the test file ends. */
export async function testDriveTenant(): Promise<{ server: FakeDriveServer; sharedDriveId: string }> {
  const t = await driveTenant();
  servers.push(t.server);
  return t;
}

const gdriveFixture: ContractFixture = {
  name: 'gdrive',
  async create(n): Promise<SourceFixture> {
    const { server, sharedDriveId } = await driveTenant();
    servers.push(server);
    const expected = new Map<string, string>();
    const owners = ['alice@example.com', 'bob@example.com'];
    for (let i = 0; i < n; i++) {
      const f =
        i % 3 === 2
          ? server.addFile({ name: `f${i}.png`, content: body(i), driveId: sharedDriveId })
          : server.addFile({ name: `f${i}.png`, content: body(i), owner: owners[i % 3]! });
      expected.set(f.id, sha(body(i)));
    }
    let removeFault: (() => void) | undefined;
    const faultsBefore = () => server.requests.filter((r) => r.fault).length;
    return {
      connector: () =>
        createGdriveConnector('gdrive://example.com', {
          credentials: driveCredentials(),
          adminUser: 'alice@example.com',
          apiUrl: server.rootUrl,
          tokenUrl: server.tokenUrl,
          pageSize: 50,
          retry: FAST_RETRY,
        }) as ReturnType<SourceFixture['connector']>,
      expected,
      async add(name, b) {
        const f = server.addFile({ name: `${name}.png`, content: b, owner: 'alice@example.com' });
        expected.set(f.id, sha(b));
        return f.id;
      },
      async edit(id, b) {
        server.editFile(id, { content: b });
        expected.set(id, sha(b));
      },
      async remove(id) {
        server.deleteFile(id);
        expected.delete(id);
      },
      throttle(fraction) {
        removeFault?.();
        removeFault = undefined;
        if (fraction <= 0) return;
        // Alternate the two documented throttle answers: 403 userRateLimitExceeded and 429 rateLimitExceeded.
        const r1 = server.fault({ probability: fraction / 2, seed: 11, status: 403, reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' });
        const r2 = server.fault({ probability: fraction / 2, seed: 23, status: 429, reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded', retryAfter: '0' });
        removeFault = () => {
          r1();
          r2();
        };
      },
      throttledAnswers: faultsBefore,
      close: async () => {
        removeFault?.();
      },
    };
  },
};

const onedriveFixture: ContractFixture = {
  name: 'onedrive',
  async create(n): Promise<SourceFixture> {
    const fake = await GraphFake.start({ deltaPageSize: 50, usersPageSize: 1 });
    servers.push({ stop: () => fake.close() });
    const alice = fake.addUser('alice@contoso.com');
    const bob = fake.addUser('bob@contoso.com');
    fake.addUser('carol@contoso.com', { drive: false }); // no OneDrive provisioned: skipped
    const expected = new Map<string, string>();
    const idOf = (driveId: string, itemId: string) => `${driveId}!${itemId}`;
    const itemIdOf = (externalId: string) => externalId.slice(externalId.lastIndexOf('!') + 1);
    const folders = [fake.addFolder(alice.driveId!, 'Photos'), fake.addFolder(bob.driveId!, 'Scans')];
    for (let i = 0; i < n; i++) {
      const folder = folders[i % 2]!;
      const it = fake.addFile(folder.driveId, `f${i}.png`, 'image/png', body(i), i % 4 === 3 ? undefined : folder.id);
      expected.set(idOf(it.driveId, it.id), sha(body(i)));
    }
    let removeFault: (() => void) | undefined;
    return {
      connector: () =>
        createOnedriveConnector('onedrive://contoso.onmicrosoft.com', {
          credentials: { tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret },
          apiUrl: fake.url,
          tokenUrl: fake.url,
          pageSize: 50,
          retry: FAST_RETRY,
        }),
      expected,
      async add(name, b) {
        const it = fake.addFile(alice.driveId!, `${name}.png`, 'image/png', b, folders[0]!.id);
        expected.set(idOf(it.driveId, it.id), sha(b));
        return idOf(it.driveId, it.id);
      },
      async edit(id, b) {
        fake.editFile(itemIdOf(id), b);
        expected.set(id, sha(b));
      },
      async remove(id) {
        fake.deleteItem(itemIdOf(id));
        expected.delete(id);
      },
      throttle(fraction) {
        removeFault?.();
        removeFault = undefined;
        if (fraction <= 0) return;
        const r1 = fake.fail({ match: /^\/v1\.0\//, status: 429, retryAfter: '0', probability: fraction / 2, seed: 5 });
        const r2 = fake.fail({ match: /^\/v1\.0\//, status: 503, retryAfter: '0', probability: fraction / 2, seed: 9 });
        removeFault = () => {
          r1();
          r2();
        };
      },
      throttledAnswers: () => fake.faultHits,
      close: async () => {
        removeFault?.();
      },
    };
  },
};

export const contractFixtures: ContractFixture[] = [gdriveFixture, onedriveFixture];
