/** `casb classify <file|dir>...`: classify images with no database. */
import type { Command } from 'commander';
import { readFile, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import PQueue from 'p-queue';
import { decodeForModel, DEFAULT_MAX_BYTES, DEFAULT_PIXEL_LIMIT } from '../image/decode.js';
import { sniff, SNIFF_BYTES } from '../image/sniff.js';
import { openImageClassifier } from '../model/image-classifier.js';
import { activeModelDir } from '../model/select.js';
import { ItemError, UserError, errorMessage } from '../util/errors.js';
import { byteSize, dataDirOf, MODEL_FLAG_HELP, pixelCount, positiveInt } from './options.js';

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
      const files: string[] = [];
      for (const p of paths) files.push(...(await expand(p)));
      const classifier = await openImageClassifier({ modelDir: await activeModelDir(flags.model, dataDirOf(flags)) });
      let failures = 0;
      // Two files per core in flight: one decoding while another waits on inference (the
      // classifier's batcher groups those into one session run).
      const queue = new PQueue({ concurrency: os.availableParallelism() * 2 });
      const one = async (file: string) => {
        const skip = (why: string) => void process.stderr.write(`casb: skipped ${file}: ${why}\n`);
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
          const scores = Object.fromEntries(Object.entries(cls.scores).map(([k, v]) => [k, Number(v.toFixed(4))]));
          if (flags.json) process.stdout.write(`${JSON.stringify({ path: file, label: cls.label, scores })}\n`);
          else process.stdout.write(`${cls.label.padEnd(13)} ${(cls.scores[cls.label] ?? 0).toFixed(2)}${cls.uncertain ? ' (uncertain)' : ''}  ${file}\n`);
        } catch (err) {
          failures++;
          const reason = err instanceof ItemError ? err.reason : 'error';
          process.stderr.write(`casb: failed ${file}: ${reason}: ${errorMessage(err).split('\n')[0]}\n`);
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
      if (failures && failures === files.length) process.exitCode = 1;
    });
}

async function expand(p: string): Promise<string[]> {
  const st = await stat(p).catch(() => {
    throw new UserError(`no such file or folder: ${p}`);
  });
  if (st.isFile()) return [p];
  if (!st.isDirectory()) return [];
  const out: string[] = [];
  for (const name of (await readdir(p)).sort()) out.push(...(await expand(path.join(p, name))));
  return out;
}
