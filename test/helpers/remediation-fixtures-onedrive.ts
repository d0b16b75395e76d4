/**
 * The OneDrive fixture of the remediation contract suite (test/remediation-contract.test.ts):
 * the Graph v1.0 fake (test/fakes/graph-server.ts) with alice's OneDrive holding one flagged
 * image, Scans/passport.jpg, shared by an anonymous view link, with eve@fabrikam.com (external)
 * and with bob@contoso.com (internal); alice owns the drive. The ref is what the connector's own
 * listing gives. view() reads the fake's state directly (not through the connector), spelling
 * grants the way Grant.who does (`link:<scope>:<type>`, `user:<email>`).
 */
import { after } from 'node:test';
import type { ObjectRef } from '../../connectors/contract.js';
import { createOnedriveConnector } from '../../connectors/onedrive/index.js';
import { GraphFake } from '../fakes/graph-server.js';
import type { EffectivePermission } from '../fakes/graph-server.js';
import type { PlatformView, RemediationFixture, RemediationSource } from './remediation-fixture.js';

const FAST_RETRY = { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 20 };
const QUARANTINE = 'casb-quarantine';

/** Grant.who spelling, written independently of the connector. */
export function whoOfPermission(p: EffectivePermission): string {
  if (p.link) return `link:${p.link.scope}:${p.link.type}`;
  const email = p.grantedToV2?.user.email ?? p.invitation?.email;
  return email ? `user:${email.toLowerCase()}` : `permission:${p.id}`;
}

/** casb's tags from the `casb: k=v; …` line of a description (casb-* keys only). */
export function tagsOfDescription(description: string | undefined): Record<string, string> {
  const line = (description ?? '').split('\n').find((l) => l.startsWith('casb:'));
  const out: Record<string, string> = {};
  if (!line) return out;
  const dec = (s: string) => s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  for (const part of line.slice('casb:'.length).split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = dec(part.slice(0, i).trim());
    if (k.startsWith('casb-')) out[k] = dec(part.slice(i + 1).trim());
  }
  return out;
}

const fakes: GraphFake[] = [];
after(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

export const onedriveRemediationFixture: RemediationFixture = {
  name: 'onedrive',
  async create(): Promise<RemediationSource> {
    const fake = await GraphFake.start();
    fakes.push(fake);
    const alice = fake.addUser('alice@contoso.com');
    fake.addUser('bob@contoso.com');
    const drive = alice.driveId!;
    const scans = fake.addFolder(drive, 'Scans');
    const content = Buffer.from('pretend passport jpeg');
    const file = fake.addFile(drive, 'passport.jpg', 'image/jpeg', content, scans.id);
    fake.share(file.id, { roles: ['read'], link: { scope: 'anonymous', type: 'view' } });
    fake.share(file.id, { roles: ['read'], grantedToV2: { user: { email: 'eve@fabrikam.com', displayName: 'Eve' } } });
    fake.share(file.id, { roles: ['write'], grantedToV2: { user: { email: 'bob@contoso.com', displayName: 'Bob' } } });

    const connector = () =>
      createOnedriveConnector('onedrive://alice@contoso.com', {
        credentials: { tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret },
        apiUrl: fake.url,
        tokenUrl: fake.url,
        retry: FAST_RETRY,
      });
    // The ref as a scan lists it (path, cTag, exposure, extra {driveId, itemId}).
    let ref: ObjectRef | undefined;
    const lister = connector();
    for await (const page of lister.list()) ref ??= page.items.find((r) => r.extra?.itemId === file.id);
    await lister.close();
    if (!ref) throw new Error('the OneDrive listing did not return the fixture item');

    return {
      connector,
      ref,
      supports: { revokePublic: true, revokeExternal: true, tag: true, quarantine: true },
      async view(): Promise<PlatformView> {
        const it = fake.item(file.id);
        const qfolder = fake.itemAtPath(drive, QUARANTINE);
        const inQuarantine = qfolder ? fake.childrenOf(qfolder.id).filter((c) => !c.folder && (c.id === file.id || c.content?.equals(content))) : [];
        return {
          atOrigin: !it.deleted && it.parentId === scans.id && it.name === 'passport.jpg',
          quarantinedCopies: inQuarantine.length,
          grants: it.deleted ? [] : fake.effectivePermissions(file.id).map(whoOfPermission).sort(),
          tags: tagsOfDescription(it.description),
        };
      },
      close: async () => {
        const i = fakes.indexOf(fake);
        if (i >= 0) fakes.splice(i, 1);
        await fake.close();
      },
    };
  },
};
