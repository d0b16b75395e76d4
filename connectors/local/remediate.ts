/**
 * Remediation on a local folder: quarantine moves the file into a quarantine folder *outside*
 * the scanned tree (the runner passes `<data dir>/quarantine/<source>` unless told otherwise),
 * keeping its relative path, with owner-only permissions; release moves it back. A folder has
 * no sharing grants, so there is nothing to revoke and nothing to tag.
 *
 * Hostile trees: a scanned file may be replaced by a symlink after the scan. Nothing here follows
 * one: the file is checked with lstat, and permissions are changed through a handle opened with
 * O_NOFOLLOW, so a link cannot make casb chmod its target. A file whose size or mtime changed
 * since the scan is refused (scan again first). Folders casb did not create are never chmod'ed.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, chown, copyFile, lstat, mkdir, open, realpath, rename, stat, unlink, utimes } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { LiveState, ObjectRef, QuarantineTarget } from '../contract.js';
import { ItemError, UserError } from '../../src/util/errors.js';

/** Where a ref is on disk: quarantined refs carry their absolute path; listed ones are relative to the root. */
export function fileOf(root: string, ref: ObjectRef): string {
  const abs = ref.extra?.absPath;
  return typeof abs === 'string' ? abs : path.join(root, ...ref.externalId.split('/'));
}

const etagOf = (st: Stats) => `${st.size}-${Math.floor(st.mtimeMs)}`;

/** lstat that answers undefined for "nothing there". */
async function lstatOrNone(file: string): Promise<Stats | undefined> {
  return lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
}

export async function inspectLocal(root: string, ref: ObjectRef): Promise<LiveState> {
  const file = fileOf(root, ref);
  const st = await lstatOrNone(file);
  // a symlink (or anything but a plain file) where the scanned file was is not the scanned file
  if (!st?.isFile()) return { exists: false, location: file, grants: [] };
  return { exists: true, location: file, place: { path: file, mode: st.mode & 0o777 }, etag: etagOf(st), grants: [] };
}

export async function quarantineLocal(root: string, ref: ObjectRef, target: QuarantineTarget): Promise<ObjectRef> {
  if (!target.to) throw new UserError('no quarantine folder given for a local source: set remediation.quarantine in the policy or pass --param to=<folder>.');
  const qroot = path.resolve(target.to);
  const from = fileOf(root, ref);
  const to = path.join(qroot, ...ref.externalId.split('/'));
  const moved: ObjectRef = { ...ref, path: to, extra: { ...(ref.extra ?? {}), absPath: to } };
  const [src, dst] = await Promise.all([lstatOrNone(from), lstatOrNone(to)]);
  if (src && !src.isFile()) throw new ItemError('not_a_file', `${from} is no longer a plain file (a symlink or folder took its place); nothing was moved`);
  if (!src && dst?.isFile()) return moved; // done by an earlier attempt
  if (!src) throw new ItemError('not_found', `${from} is not there any more`);
  if (ref.etag && etagOf(src) !== ref.etag) throw new ItemError('changed', `${from} changed since it was scanned (size or time differ); scan it again before acting on it`);
  if (dst) {
    // an earlier attempt copied across file systems and stopped before removing the original
    if (dst.isFile() && (await sameContent(from, to))) {
      await unlink(from);
      return moved;
    }
    throw new ItemError('conflict', `${to} already exists in the quarantine folder; move it away and run again`);
  }
  await mkdir(path.dirname(to), { recursive: true, mode: 0o700 }); // only folders made here get 0700
  await moveFile(from, to, 0o600);
  return moved;
}

export async function releaseLocal(root: string, quarantined: ObjectRef, before: LiveState): Promise<ObjectRef> {
  const back = typeof before.place?.path === 'string' ? before.place.path : before.location;
  const from = fileOf(root, quarantined);
  const original: ObjectRef = { ...quarantined, path: back, externalId: path.relative(root, back).split(path.sep).join('/'), extra: { ...(quarantined.extra ?? {}) } };
  delete original.extra!.absPath;
  if (!Object.keys(original.extra!).length) delete original.extra;
  const mode = typeof before.place?.mode === 'number' ? before.place.mode : undefined;
  const [src, dst] = await Promise.all([lstatOrNone(from), lstatOrNone(back)]);
  if (src && !src.isFile()) throw new ItemError('not_a_file', `${from} in quarantine is no longer a plain file; nothing was moved`);
  // back already (an earlier restore that stopped after the move) — only if it is the same file
  if (!src && dst?.isFile() && etagOf(dst) === before.etag) return original;
  if (!src) throw new ItemError('not_found', `${from} is not in quarantine any more, and what is at ${back} is not the quarantined file`);
  if (dst) {
    if (dst.isFile() && (await sameContent(from, back))) {
      await unlink(from);
      return original;
    }
    throw new ItemError('conflict', `${back} exists again; move it away before restoring`);
  }
  await mkdir(path.dirname(back), { recursive: true });
  await moveFile(from, back, mode);
  return original;
}

/**
 * rename, or across file systems: copy to a temporary name beside the target, verify (sha256),
 * give it the original's times and owner, rename into place, then unlink the original. An
 * interrupted copy leaves only the temporary file (replaced on the next attempt); a stop after the
 * rename leaves two equal files, which the next attempt recognises. Never loses the only copy.
 */
async function moveFile(from: string, to: string, mode: number | undefined): Promise<void> {
  try {
    await rename(from, to);
    if (mode !== undefined) await chmodNoFollow(to, mode);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
  }
  const st = await lstat(from);
  const tmp = path.join(path.dirname(to), `.casb-partial-${path.basename(to)}`);
  await copyFile(from, tmp);
  await chmodNoFollow(tmp, mode ?? st.mode & 0o777);
  if (!(await sameContent(from, tmp))) {
    await unlink(tmp).catch(() => {});
    throw new ItemError('verify', `the copy of ${from} differs from the original; the original was left in place`);
  }
  // the etag of a local file is size + mtime: keep the mtime, so a restored file is the scanned one
  await utimes(tmp, st.atime, st.mtime);
  await chown(tmp, st.uid, st.gid).catch(() => {}); // only root may give a file away
  await rename(tmp, to);
  await unlink(from);
}

async function chmodNoFollow(file: string, mode: number): Promise<void> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  return x === y;
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (c) => h.update(c)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

/** Is `p` the folder `dir` or inside it? */
export function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** `p` with symlinks in its existing part resolved (the rest, not made yet, kept as written). */
export async function realPathOf(p: string): Promise<string> {
  let probe = path.resolve(p);
  while (!(await lstatOrNone(probe)) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  return path.join(await realpath(probe), path.relative(probe, path.resolve(p)));
}

/**
 * A quarantine folder this source can use: absolute, on a real file system, a folder (or one that
 * can be made in a writable folder), and outside the scanned tree — symlinks resolved, so a link
 * cannot smuggle the quarantine back into the tree the next scan walks.
 */
export async function checkLocalQuarantine(root: string, to: string | undefined): Promise<void> {
  if (!to?.trim()) throw new UserError('no quarantine folder given for a local source: set remediation.quarantine.local in the policy or pass --param to=<folder>.');
  if (!path.isAbsolute(to)) throw new UserError(`the quarantine folder "${to}" is not an absolute path: give one such as /srv/casb-quarantine.`);
  const q = path.resolve(to);
  if (q === path.parse(q).root) throw new UserError(`the quarantine folder cannot be ${q} itself: give a folder of its own, such as /srv/casb-quarantine.`);
  if (/^\/(proc|sys|dev)(\/|$)/.test(q) && !/^\/dev\/shm(\/|$)/.test(q)) throw new UserError(`${q} is on a kernel file system, not a place for files: choose a folder on a disk.`);
  let probe = q;
  while (!(await lstatOrNone(probe)) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  const st = await stat(probe).catch(() => undefined);
  if (!st?.isDirectory()) throw new UserError(probe === q ? `the quarantine location ${q} is a file, not a folder.` : `${probe} is not a folder, so the quarantine folder ${q} cannot be made there.`);
  try {
    await access(probe, constants.W_OK | constants.X_OK);
  } catch {
    throw new UserError(`cannot write in ${probe}, so the quarantine folder ${q} cannot be used: choose a folder this user may write.`);
  }
  const realQ = await realPathOf(q);
  const realRoot = await realpath(root).catch(() => path.resolve(root));
  if (isInside(realQ, realRoot)) {
    throw new UserError(`the quarantine folder ${q} is inside the scanned folder ${root}${realQ !== q ? ` (through a symlink: ${realQ})` : ''}: choose one outside it.`);
  }
}
