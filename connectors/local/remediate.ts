/**
 * Remediation on a local folder: quarantine moves the file into a quarantine folder *outside*
 * the scanned tree (the runner passes `<data dir>/quarantine/<source>` unless told otherwise),
 * keeping its relative path, with owner-only permissions; release moves it back. A folder has
 * no sharing grants, so there is nothing to revoke and nothing to tag.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { LiveState, ObjectRef, QuarantineTarget } from '../contract.js';
import { ItemError, UserError } from '../../src/util/errors.js';

/** Where a ref is on disk: quarantined refs carry their absolute path; listed ones are relative to the root. */
export function fileOf(root: string, ref: ObjectRef): string {
  const abs = ref.extra?.absPath;
  return typeof abs === 'string' ? abs : path.join(root, ...ref.externalId.split('/'));
}

export async function inspectLocal(root: string, ref: ObjectRef): Promise<LiveState> {
  const file = fileOf(root, ref);
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (!st?.isFile()) return { exists: false, location: file, grants: [] };
  return { exists: true, location: file, place: { path: file, mode: st.mode & 0o777 }, etag: `${st.size}-${Math.floor(st.mtimeMs)}`, grants: [] };
}

export async function quarantineLocal(root: string, ref: ObjectRef, target: QuarantineTarget): Promise<ObjectRef> {
  if (!target.to) throw new UserError('no quarantine folder given for a local source: set remediation.quarantine in the policy or pass --param to=<folder>.');
  const qroot = path.resolve(target.to);
  const rel = path.relative(root, qroot);
  // Inside the scanned tree, the next scan would find the file again and flag it as new.
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) throw new UserError(`the quarantine folder ${qroot} is inside the scanned folder ${root}: choose one outside it.`);
  const from = fileOf(root, ref);
  const to = path.join(qroot, ...ref.externalId.split('/'));
  const moved: ObjectRef = { ...ref, path: to, extra: { ...(ref.extra ?? {}), absPath: to } };
  const [src, dst] = await Promise.all([stat(from).catch(() => undefined), stat(to).catch(() => undefined)]);
  if (!src && dst) return moved; // done by an earlier attempt
  if (!src) throw new ItemError('not_found', `${from} is not there any more`);
  if (dst) throw new ItemError('conflict', `${to} already exists in the quarantine folder; move it away and run again`);
  await mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
  await chmod(qroot, 0o700).catch(() => {});
  await moveFile(from, to);
  await chmod(to, 0o600);
  return moved;
}

export async function releaseLocal(root: string, quarantined: ObjectRef, before: LiveState): Promise<ObjectRef> {
  const back = typeof before.place?.path === 'string' ? before.place.path : before.location;
  const from = fileOf(root, quarantined);
  const original: ObjectRef = { ...quarantined, path: back, externalId: path.relative(root, back).split(path.sep).join('/'), extra: { ...(quarantined.extra ?? {}) } };
  delete original.extra!.absPath;
  if (!Object.keys(original.extra!).length) delete original.extra;
  const [src, dst] = await Promise.all([stat(from).catch(() => undefined), stat(back).catch(() => undefined)]);
  if (!src && dst) return original;
  if (!src) throw new ItemError('not_found', `${from} is not in quarantine any more`);
  if (dst) throw new ItemError('conflict', `${back} exists again; move it away before restoring`);
  await mkdir(path.dirname(back), { recursive: true });
  await moveFile(from, back);
  if (typeof before.place?.mode === 'number') await chmod(back, before.place.mode); // quarantine made it owner-only
  return original;
}

/** rename, or across file systems copy + verify (size and sha256) + unlink: never lose the only copy. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
  }
  await copyFile(from, to);
  const [a, b] = await Promise.all([sha256(from), sha256(to)]);
  if (a !== b) {
    await unlink(to).catch(() => {});
    throw new ItemError('verify', `the copy of ${from} differs from the original; the original was left in place`);
  }
  await unlink(from);
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (c) => h.update(c)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}
