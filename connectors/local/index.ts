/**
 * Local folder connector: `casb scan ./dir` (or file:///abs/dir).
 *
 * Listing walks the tree in a stable (sorted) order so that a cursor — the last path
 * of a page — resumes exactly after that page. Symlinks are not followed (a link can
 * point outside the folder being scanned, or loop). Names are read as bytes: a file whose
 * name is not valid UTF-8 is listed too (under an escaped name, opened by its real bytes),
 * so no file escapes a scan by its name. A sub-folder that cannot be read is reported as a
 * gap of the listing (then nothing is marked gone for not being listed).
 */
import { constants, createReadStream, realpathSync } from 'node:fs';
import { access, lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import type { Connector, ConnectorOptions, ObjectRef, OpenOptions, Page } from '../contract.js';
import type { ErrorClass } from '../../src/util/retry.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { limitStream } from '../stream-limit.js';
import { checkLocalQuarantine, inspectLocal, quarantineLocal, releaseLocal } from './remediate.js';

// Small pages keep the checkpoint fine-grained; listing a folder is cheap.
const PAGE_SIZE = 100;

/** The folder of a file:// URL; one that names a host (file://pics) is a usage error, not a crash. */
export function localPathOf(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    throw new UserError(`"${url.slice(0, 200)}" is not a local folder URL: write file:///absolute/path, or the path itself (./pics).`);
  }
}

/**
 * A folder entry's name as text: the name itself when it is valid UTF-8, else every byte outside
 * printable ASCII (and the backslash) written as \xHH — lossless, so the file keeps one identity.
 */
export function nameOf(raw: Buffer): string {
  const s = raw.toString('utf8');
  if (Buffer.from(s, 'utf8').equals(raw)) return s;
  let out = '';
  for (const b of raw) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** casb's own data folders: never scanned (another installation's `.casb` in the tree included). */
export const DATA_DIR_NAME = '.casb';

/**
 * A folder's entries in walk order (sorted by their text names): each with its raw name, its name as
 * text (nameOf) and its full path as bytes. Shared by the listing and `casb classify`, so both see
 * the same files in the same order. Throws when the folder cannot be read.
 */
export async function readEntries(dir: Buffer): Promise<Array<{ raw: Buffer; name: string; full: Buffer }>> {
  const names = await readdir(dir, { encoding: 'buffer' });
  const sep = Buffer.from(path.sep);
  return names
    .map((raw) => ({ raw, name: nameOf(raw), full: Buffer.concat([dir, sep, raw]) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function createLocalConnector(input: string, opts: ConnectorOptions = {}): Connector {
  const root = path.resolve(input.startsWith('file://') ? localPathOf(input) : input);
  // the data dir may be reached through a symlink: compare real paths too, taken when the listing starts (it exists by then)
  const skipPaths = (opts.skipPaths ?? []).map((p) => path.resolve(p));
  const realSkipPaths = () =>
    new Set(skipPaths.flatMap((abs) => {
      try {
        return [abs, realpathSync(abs)];
      } catch {
        return [abs];
      }
    }));
  let skip = new Set<string>(skipPaths);
  const uri = pathToFileURL(root).href;

  interface Entry {
    /** The path as the file system knows it (bytes). */
    raw: Buffer;
    /** Path relative to the root, '/'-separated, names as nameOf() writes them. */
    rel: string;
    /** Some name on the way is not UTF-8: only `raw` opens it. */
    escaped: boolean;
  }

  async function* walk(dirRaw: Buffer, dirRel: string, escaped: boolean, gaps: string[]): AsyncGenerator<Entry> {
    let entries: Awaited<ReturnType<typeof readEntries>>;
    try {
      entries = await readEntries(dirRaw);
    } catch (err) {
      if (!dirRel) throw err;
      // an unreadable sub-folder: its files cannot be listed (no outcome to record), but the gap is reported
      gaps.push(`folder ${dirRel} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      return;
    }
    for (const { raw, name, full } of entries) {
      const st = await lstat(full).catch(() => undefined);
      if (!st || st.isSymbolicLink()) continue;
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const isEscaped = escaped || name !== raw.toString('utf8');
      if (st.isDirectory()) {
        if (name === DATA_DIR_NAME || skip.has(full.toString()) || skip.has(await realpath(full).then(String, () => ''))) continue;
        yield* walk(full, rel, isEscaped, gaps);
      } else if (st.isFile()) yield { raw: full, rel, escaped: isEscaped };
    }
  }

  /** The file behind a listed ref: its real bytes when the name had to be escaped. */
  function fileOf(ref: ObjectRef): string | Buffer {
    const raw = ref.extra?.rawPath;
    return typeof raw === 'string' ? Buffer.from(raw, 'base64') : path.join(root, ...ref.externalId.split('/'));
  }

  return {
    kind: 'local',
    uri,

    async probe() {
      const st = await stat(root).catch((err: NodeJS.ErrnoException) => {
        throw new UserError(
          err.code === 'ENOENT'
            ? `folder not found: ${root}. Check the path you gave to casb scan.`
            : `cannot read ${root}: ${err.code ?? err.message}. Check the folder's permissions.`,
        );
      });
      if (!st.isDirectory()) throw new UserError(`${root} is not a folder. Give casb scan a folder, an s3:// URI, or use casb classify for single files.`);
      await access(root, constants.R_OK | constants.X_OK).catch((err: NodeJS.ErrnoException) => {
        throw new UserError(`cannot list ${root}: ${err.code ?? err.message}. Give the user running casb read and execute permission on the folder.`);
      });
    },

    async *list(cursor?: string): AsyncIterable<Page> {
      // Cursor = relative path of the last item of the previous page; resume strictly after it.
      let page: ObjectRef[] = [];
      // gaps the walk met since the last page go out with the next one
      const gaps: string[] = [];
      const pageOf = (items: ObjectRef[], nextCursor: string | undefined): Page => ({ items, nextCursor, ...(gaps.length ? { incomplete: gaps.splice(0) } : {}) });
      skip = realSkipPaths();
      for await (const e of walk(Buffer.from(root), '', false, gaps)) {
        if (cursor !== undefined && compareWalkOrder(e.rel, cursor) <= 0) continue;
        const st = await stat(e.raw).catch(() => undefined);
        if (!st) continue; // vanished between readdir and stat
        page.push({
          externalId: e.rel,
          path: path.join(root, ...e.rel.split('/')),
          size: st.size,
          // size + mtime is what changes when a file is rewritten; cheap, no read needed
          etag: `${st.size}-${Math.floor(st.mtimeMs)}`,
          modifiedAt: st.mtime,
          ...(e.escaped ? { extra: { rawPath: e.raw.toString('base64') } } : {}),
        });
        if (page.length >= PAGE_SIZE) {
          yield pageOf(page, e.rel);
          page = [];
        }
      }
      yield pageOf(page, undefined);
    },

    async open(ref: ObjectRef, opts: OpenOptions = {}): Promise<Readable> {
      const full = fileOf(ref);
      const st = await stat(full);
      if (opts.maxBytes !== undefined && st.size > opts.maxBytes) {
        throw new ItemError('too_large', `${st.size} bytes, above the ${opts.maxBytes}-byte cap`);
      }
      const s = createReadStream(full, { signal: opts.signal });
      return opts.maxBytes !== undefined ? limitStream(s, opts.maxBytes) : s;
    },

    inspect: (ref) => inspectLocal(root, ref),
    checkQuarantine: (to) => checkLocalQuarantine(root, to),
    quarantine: (ref, target) => quarantineLocal(root, ref, target),
    release: (ref, before) => releaseLocal(root, ref, before),

    errorReason(err: unknown): string | undefined {
      const code = (err as NodeJS.ErrnoException)?.code;
      return code === 'EACCES' || code === 'EPERM' ? 'access_denied' : undefined;
    },

    classifyError(err: unknown): ErrorClass {
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code === 'ENOENT') return { kind: 'notFound' };
      if (code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN' || code === 'EBUSY') return { kind: 'retryable' };
      return { kind: 'permanent' };
    },
  };
}

/**
 * Order of the walk: depth-first with sorted names, i.e. path segments compared one by one.
 * (Plain string order differs: 'a b/x' vs 'a/x' — ' ' sorts before '/'.)
 */
export function compareWalkOrder(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    if (as[i] !== bs[i]) {
      // a file and a folder with a shared prefix: order follows the sorted names of the entries
      return as[i]! < bs[i]! ? -1 : 1;
    }
  }
  return as.length - bs.length;
}
