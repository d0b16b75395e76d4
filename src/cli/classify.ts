/** `casb classify <file|dir>...`: classify images with no database. */
import type { Command } from 'commander';
import { lstat, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import PQueue from 'p-queue';
import { decodeForModel, DEFAULT_MAX_BYTES, DEFAULT_PIXEL_LIMIT } from '../image/decode.js';
import { sniff, SNIFF_BYTES } from '../image/sniff.js';
import { openImageClassifier } from '../model/image-classifier.js';
import { activeModelDir } from '../model/select.js';
import { ItemError, UserError, errorMessage } from '../util/errors.js';
import { DATA_DIR_NAME, readEntries } from '../../connectors/local/index.js';
import { byteSize, dataDirOf, MODEL_FLAG_HELP, pixelCount, positiveInt } from './options.js';
import { printable } from './printable.js';

interface ClassifyFlags {
  json?: boolean;
  model?: string;
  dataDir?: string;
  maxBytes?: number;
  maxPixels?: number;
  decodeTimeout?: number;
}

export function registerClassify(program: Command): void {
  program
    .command('classify <paths...>')
    .description('classify image files (folders are walked), without a database')
    .option('--json', 'one JSON line per image: {"path","label","scores"}')
    .option('--model <dir|version>', MODEL_FLAG_HELP)
    .option('--data-dir <dir>', 'data dir holding the `casb model use` choice (default: $CASB_DATA_DIR or ./.casb)')
    .option('--max-bytes <size>', 'skip files larger than this (default 50MB)', byteSize)
    .option('--max-pixels <n>', 'skip images with more pixels than this, decided from the header (default 100M)', pixelCount)
    .option('--decode-timeout <seconds>', 'longest one image may take to decode (default 30)', positiveInt)
    .action(async (paths: string[], flags: ClassifyFlags) => {
      const maxBytes = flags.maxBytes ?? DEFAULT_MAX_BYTES;
      let failures = 0;
      let classified = 0;
      // every path given, and every entry of every folder, gets a line: classified, skipped or failed
      const say = (what: 'skipped' | 'failed', shown: string, why: string) => {
        if (what === 'failed') failures++;
        process.stderr.write(`casb: ${what} ${printable(shown)}: ${printable(why)}\n`);
      };
      const files: FileEntry[] = [];
      let missing = 0;
      for (const p of paths) {
        const st = await stat(p).catch((err: NodeJS.ErrnoException) => err);
        if (st instanceof Error) {
          if (st.code === 'ENOENT') missing++;
          say('failed', p, st.code === 'ENOENT' ? 'no such file or folder' : fsProblem(st));
        } else if (st.isDirectory()) await expand(Buffer.from(p), p, files, say);
        else if (st.isFile()) files.push({ file: p, shown: p });
        else say('skipped', p, 'not a regular file (a device, FIFO or socket)');
      }
      if (missing === paths.length) throw new UserError(`no such file or folder: ${paths.map(printable).join(', ')}`);
      const classifier = await openImageClassifier({ modelDir: await activeModelDir(flags.model, dataDirOf(flags)) });
      // Two files per core in flight: one decoding while another waits on inference (the
      // classifier's batcher groups those into one session run).
      const queue = new PQueue({ concurrency: os.availableParallelism() * 2 });
      const one = async ({ file, shown }: FileEntry) => {
        const skip = (why: string) => say('skipped', shown, why);
        try {
          // the same limits as casb scan, checked before the bytes are read and before decoding
          const { size } = await stat(file);
          if (size === 0) return skip('empty file');
          if (size > maxBytes) return skip(`${size} bytes, above the ${maxBytes}-byte cap (--max-bytes)`);
          const bytes = await readFile(file);
          const kind = await sniff(bytes.subarray(0, SNIFF_BYTES));
          if (kind.kind !== 'image') return skip(kind.kind === 'unsupported' ? `unsupported image format ${kind.mime}` : 'not an image');
          const img = await decodeForModel(bytes, classifier.input, flags.maxPixels ?? DEFAULT_PIXEL_LIMIT, flags.decodeTimeout ? flags.decodeTimeout * 1000 : undefined).catch((err: unknown) => {
            if (err instanceof ItemError && err.reason === 'too_large') return err;
            throw err;
          });
          if (img instanceof ItemError) return skip(`${img.message} (--max-pixels)`);
          const cls = await classifier.classify(img.rgb);
          classified++;
          const scores = Object.fromEntries(Object.entries(cls.scores).map(([k, v]) => [k, Number(v.toFixed(4))]));
          if (flags.json) process.stdout.write(`${JSON.stringify({ path: shown, label: cls.label, scores })}\n`);
          else process.stdout.write(`${cls.label.padEnd(13)} ${(cls.scores[cls.label] ?? 0).toFixed(2)}${cls.uncertain ? ' (uncertain)' : ''}  ${printable(shown)}\n`);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException)?.code;
          if (code) say('failed', shown, fsProblem(err as NodeJS.ErrnoException));
          else say('failed', shown, `${err instanceof ItemError ? err.reason : 'error'}: ${errorMessage(err).split('\n')[0]}`);
        }
      };
      try {
        // at most a few files read ahead of the decoder, so memory stays bounded for any folder
        for (const file of files) {
          await queue.onSizeLessThan(queue.concurrency * 2);
          void queue.add(() => one(file));
        }
        await queue.onIdle();
      } finally {
        await classifier.close();
      }
      // exit 1 when something failed and nothing could be classified
      if (failures && !classified) process.exitCode = 1;
    });
}

interface FileEntry {
  /** What the file system opens: the path as given, or as bytes for a folder's entries (names need not be UTF-8). */
  file: string | Buffer;
  /** How it is shown: names that are not UTF-8 escaped as \xHH, as casb scan lists them. */
  shown: string;
}

/** One line for a file-system error: what it means and what to do. */
function fsProblem(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return 'access_denied: give the user running casb read permission';
    case 'ELOOP':
      return 'a symbolic link loop';
    case 'ENOENT':
      return 'not_found: it went away while casb was reading';
    default:
      return `${err.code ?? 'error'}: ${errorMessage(err).split('\n')[0]}`;
  }
}

/**
 * A folder's files, walked like casb scan walks it: sorted names read as bytes, symbolic links not
 * followed (each one said), unreadable folders said and passed.
 */
async function expand(dir: Buffer, shownDir: string, out: FileEntry[], say: (what: 'skipped' | 'failed', shown: string, why: string) => void): Promise<void> {
  let entries: Awaited<ReturnType<typeof readEntries>>;
  try {
    entries = await readEntries(dir);
  } catch (err) {
    return say('failed', shownDir, `cannot list the folder: ${fsProblem(err as NodeJS.ErrnoException)}`);
  }
  for (const { name, full } of entries) {
    const shown = path.join(shownDir, name);
    const st = await lstat(full).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error) say('failed', shown, fsProblem(st));
    else if (st.isSymbolicLink()) say('skipped', shown, 'a symbolic link (not followed inside folders; name its target to classify it)');
    else if (st.isDirectory()) {
      if (name !== DATA_DIR_NAME) await expand(full, shown, out, say); // casb's own data, as casb scan skips it
    }
    else if (st.isFile()) out.push({ file: full, shown });
    else say('skipped', shown, 'not a regular file (a device, FIFO or socket)');
  }
}
