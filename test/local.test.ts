import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createLocalConnector } from '../connectors/local/index.js';
import { tempDir } from './helpers/env.js';

async function listAll(c: ReturnType<typeof createLocalConnector>, cursor?: string) {
  const pages: { ids: string[]; next?: string }[] = [];
  for await (const p of c.list(cursor)) pages.push({ ids: p.items.map((i) => i.externalId), next: p.nextCursor });
  return pages;
}

test('local listing: stable order, pages of 100, and a cursor resumes exactly after its page', async (t) => {
  const dir = await tempDir(t);
  // names whose plain string order differs from walk order (' ' < '/' < 'b'), nested folders, unicode
  const names = ['a b/x.png', 'a/x.png', 'a/y/z.png', 'ab.png', 'é.png', 'Z.png'];
  for (let i = 0; i < 230; i++) names.push(`bulk/f${String(i).padStart(3, '0')}.png`);
  for (const n of names) {
    await mkdir(path.dirname(path.join(dir, n)), { recursive: true });
    await writeFile(path.join(dir, n), 'x');
  }
  await symlink('/etc', path.join(dir, 'link-out')); // never followed
  const c = createLocalConnector(dir);
  const pages = await listAll(c);
  const all = pages.flatMap((p) => p.ids);
  assert.equal(all.length, names.length, 'every file exactly once, the symlink skipped');
  assert.equal(new Set(all).size, all.length);
  assert.deepEqual(pages.map((p) => p.ids.length), [100, 100, 36]);
  assert.equal(pages.at(-1)!.next, undefined);
  for (let i = 0; i < pages.length - 1; i++) {
    const rest = (await listAll(c, pages[i]!.next)).flatMap((p) => p.ids);
    assert.deepEqual(rest, all.slice((i + 1) * 100), `resume after page ${i}`);
  }
});

test('local open enforces maxBytes and probe names a missing folder', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'big.bin'), Buffer.alloc(5000));
  const c = createLocalConnector(dir);
  const [page] = await listAll(c);
  const ref = { externalId: page!.ids[0]!, path: '', size: 5000, etag: '' };
  await assert.rejects(c.open(ref, { maxBytes: 100 }), (e: Error & { reason?: string }) => e.reason === 'too_large');
  await assert.rejects(createLocalConnector(path.join(dir, 'nope')).probe!(), /folder not found/);
  await assert.rejects(createLocalConnector(path.join(dir, 'big.bin')).probe!(), /is not a folder/);
});
