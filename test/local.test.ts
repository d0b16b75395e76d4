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

test('a name that is not UTF-8 is listed (escaped) and opened by its real bytes; no file escapes by its name', async (t) => {
  const dir = await tempDir(t);
  const sep = Buffer.from(path.sep);
  const badFile = Buffer.concat([Buffer.from(dir), sep, Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]), Buffer.from('.png')]);
  const badDir = Buffer.concat([Buffer.from(dir), sep, Buffer.from([0x64, 0xfe])]);
  await writeFile(badFile, 'bytes of a badly named file');
  await mkdir(badDir);
  await writeFile(Buffer.concat([badDir, sep, Buffer.from('in.png')]), 'bytes inside a badly named folder');
  await writeFile(path.join(dir, 'ok.png'), 'plain');
  const c = createLocalConnector(dir);
  const refs: import("../connectors/contract.js").ObjectRef[] = [];
  for await (const p of c.list()) refs.push(...p.items);
  assert.deepEqual(refs.map((r) => r.externalId).sort(), ['bad\\xff\\xfe.png', 'd\\xfe/in.png', 'ok.png']);
  const read = async (id: string) => {
    const chunks: Buffer[] = [];
    for await (const ch of await c.open(refs.find((r) => r.externalId === id)!)) chunks.push(ch as Buffer);
    return Buffer.concat(chunks).toString();
  };
  assert.equal(await read('bad\\xff\\xfe.png'), 'bytes of a badly named file');
  assert.equal(await read('d\\xfe/in.png'), 'bytes inside a badly named folder');
  assert.equal(await read('ok.png'), 'plain');
});

test("casb's data folders are not listed: the one in use (also through a symlink) and any folder named .casb", async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'sub', 'data'), { recursive: true });
  await mkdir(path.join(dir, 'other', '.casb'), { recursive: true });
  await writeFile(path.join(dir, 'sub', 'data', 'db.bin'), 'database');
  await writeFile(path.join(dir, 'other', '.casb', 'hash.key'), 'key');
  await writeFile(path.join(dir, 'keep.png'), 'x');
  const link = path.join(await tempDir(t), 'link');
  await symlink(path.join(dir, 'sub'), link);
  const c = createLocalConnector(dir, { skipPaths: [path.join(link, 'data')] });
  const ids = (await listAll(c)).flatMap((p) => p.ids);
  assert.deepEqual(ids, ['keep.png']);
});
