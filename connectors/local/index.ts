/**
 * Local folder connector: `casb scan ./dir` (or file:///abs/dir).
 *
 * Listing walks the tree in a stable (sorted) order so that a cursor — the last path
 * of a page — resumes exactly after that page. Symlinks are not followed (a link can
 * point outside the folder being scanned, or loop).
 */
import { createReadStream } from 'node:fs';
import { lstat, opendir, stat } from 'node:fs/promises';
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

export function createLocalConnector(input: string, opts: ConnectorOptions = {}): Connector {
  const root = path.resolve(input.startsWith('file://') ? localPathOf(input) : input);
  const skip = new Set((opts.skipPaths ?? []).map((p) => path.resolve(p)));
  const uri = pathToFileURL(root).href;

  async function* walk(dir: string): AsyncGenerator<string> {
    let entries: string[];
    try {
      const d = await opendir(dir);
      entries = [];
      for await (const e of d) entries.push(e.name);
    } catch (err) {
      if (dir === root) throw err;
      return; // an unreadable sub-folder is skipped; its files cannot be listed, so they have no outcome to record
    }
    entries.sort();
    for (const name of entries) {
      const full = path.join(dir, name);
      const st = await lstat(full).catch(() => undefined);
      if (!st || st.isSymbolicLink() || skip.has(full)) continue;
      if (st.isDirectory()) yield* walk(full);
      else if (st.isFile()) yield full;
    }
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
    },

    async *list(cursor?: string): AsyncIterable<Page> {
      // Cursor = relative path of the last item of the previous page; resume strictly after it.
      let page: ObjectRef[] = [];
      for await (const full of walk(root)) {
        const rel = path.relative(root, full).split(path.sep).join('/');
        if (cursor !== undefined && compareWalkOrder(rel, cursor) <= 0) continue;
        const st = await stat(full).catch(() => undefined);
        if (!st) continue; // vanished between readdir and stat
        page.push({
          externalId: rel,
          path: full,
          size: st.size,
          // size + mtime is what changes when a file is rewritten; cheap, no read needed
          etag: `${st.size}-${Math.floor(st.mtimeMs)}`,
          modifiedAt: st.mtime,
        });
        if (page.length >= PAGE_SIZE) {
          yield { items: page, nextCursor: rel };
          page = [];
        }
      }
      yield { items: page, nextCursor: undefined };
    },

    async open(ref: ObjectRef, opts: OpenOptions = {}): Promise<Readable> {
      const full = path.join(root, ...ref.externalId.split('/'));
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
