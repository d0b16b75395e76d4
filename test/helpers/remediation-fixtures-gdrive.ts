/**
 * The Google Drive remediation fixture (test/helpers/remediation-fixture.ts) over the local
 * Drive v3 server (test/fakes/drive-server.ts), reached through @googleapis/drive:
 *
 *   bob@example.com owns Scans/passport.jpg in his My Drive, shared with anyone with the link
 *   (reader), with eve@partner.org (external, reader) and with carol@example.com (internal,
 *   writer). alice@example.com is the Workspace admin (--admin): the directory is read as her
 *   and quarantine moves files into her unshared `casb-quarantine` folder.
 *
 * view() reads the fake server's state directly: where the file is, how many files of that name
 * sit in a quarantine folder of the admin, its permissions spelt like Grant.who, its casb-*
 * appProperties.
 */
import { createGdriveConnector } from '../../connectors/gdrive/index.js';
import type { ObjectRef } from '../../connectors/contract.js';
import { FOLDER_MIME, type FakeDriveServer, type FakePermission } from '../fakes/drive-server.js';
import { driveCredentials, driveTenant } from './cloud-fixtures.js';
import type { PlatformView, RemediationFixture, RemediationSource } from './remediation-fixture.js';

const FAST_RETRY = { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 20 };
export const ADMIN = 'alice@example.com';
export const OWNER = 'bob@example.com';
export const QUARANTINE_FOLDER = 'casb-quarantine';

/** Grant.who spelling, from the server's own permission records. */
export function whoOfFake(p: FakePermission): string {
  if (p.type === 'anyone') return `anyone${p.allowFileDiscovery ? '(discoverable)' : ''}:${p.role}`;
  if (p.type === 'domain') return `domain:${p.domain}:${p.role}`;
  return `${p.type}:${p.emailAddress ?? p.id}:${p.role}`;
}

export function gdriveConnector(server: FakeDriveServer, extra: Record<string, unknown> = {}) {
  return createGdriveConnector('gdrive://example.com', {
    credentials: driveCredentials(),
    adminUser: ADMIN,
    apiUrl: server.rootUrl,
    tokenUrl: server.tokenUrl,
    pageSize: 50,
    retry: FAST_RETRY,
    ...extra,
  });
}

/** The platform's view of one file, read from the fake's state (never through the connector). */
export function driveView(server: FakeDriveServer, fileId: string, origin: string[], folderName = QUARANTINE_FOLDER, admin = ADMIN): PlatformView {
  const f = server.files.get(fileId);
  const folders = new Set(
    [...server.files.values()].filter((x) => x.mimeType === FOLDER_MIME && x.name === folderName && x.owner === admin && !x.trashed).map((x) => x.id),
  );
  const name = f?.name;
  return {
    atOrigin: !!f && !f.trashed && f.parents.length === origin.length && origin.every((p) => f.parents.includes(p)),
    quarantinedCopies: [...server.files.values()].filter((x) => x.name === name && x.parents.some((p) => folders.has(p))).length,
    grants: f ? server.permissionsOf(fileId).map(whoOfFake).sort() : [],
    tags: Object.fromEntries(Object.entries(f?.appProperties ?? {}).filter(([k]) => k.startsWith('casb-'))),
  };
}

export const gdriveRemediationFixture: RemediationFixture = {
  name: 'gdrive',
  async create(): Promise<RemediationSource> {
    const { server } = await driveTenant();
    server.addUser('carol@example.com');
    const scans = server.addFile({ name: 'Scans', mimeType: FOLDER_MIME, owner: OWNER });
    const file = server.addFile({
      name: 'passport.jpg',
      mimeType: 'image/jpeg',
      content: 'pretend jpeg bytes',
      owner: OWNER,
      parents: [scans.id],
      permissions: [
        { type: 'anyone', role: 'reader' },
        { type: 'user', role: 'reader', emailAddress: 'eve@partner.org' },
        { type: 'user', role: 'writer', emailAddress: 'carol@example.com' },
      ],
    });
    const origin = [...file.parents];
    // The ref exactly as a scan lists it.
    const lister = gdriveConnector(server);
    let ref: ObjectRef | undefined;
    for await (const page of lister.list()) ref ??= page.items.find((r) => r.externalId === file.id);
    await lister.close();
    if (!ref) throw new Error('the Drive fixture file was not listed');
    return {
      connector: () => gdriveConnector(server),
      ref,
      supports: { revokePublic: true, revokeExternal: true, tag: true, quarantine: true },
      view: async () => driveView(server, file.id, origin),
      close: () => server.stop(),
    };
  },
};
