/** Option parsing shared by commands. */
import { InvalidArgumentError } from 'commander';
import path from 'node:path';
import { defaultDataDir } from '../store/index.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new InvalidArgumentError('expected a whole number from 1 to 1024');
  return n;
}

export function byteSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size such as 50MB');
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.round(Number(m[1]) * mult);
}

/** A pixel count such as 100M, 100MP, 2.5e8 or 250000000 (the decoder refuses images above it, from their header). */
export function pixelCount(value: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(k|m|mp|g|gp)?$/i.exec(value.trim());
  const n = m ? Number(m[1]) * ({ k: 1e3, m: 1e6, mp: 1e6, g: 1e9, gp: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1) : NaN;
  if (!(n >= 1e4 && n <= 2e9)) throw new InvalidArgumentError('expected a pixel count from 10K to 2G, such as 100M');
  return Math.round(n);
}

export interface DbFlags {
  db?: string;
  dataDir?: string;
}

/** The data dir (embedded database, `casb model use` choice, user models): --data-dir, else $CASB_DATA_DIR, else ./.casb. */
export function dataDirOf(flags: { dataDir?: string }): string {
  return path.resolve(flags.dataDir ?? defaultDataDir());
}

export const MODEL_FLAG_HELP =
  'model version (e.g. 0.2.0) or folder with manifest.json (default: $CASB_MODEL, else the one chosen with casb model use, else the newest shipped)';

/** --db beats DATABASE_URL; without either, the embedded database lives in --data-dir. */
export function storeOptions(flags: DbFlags) {
  return { db: flags.db || process.env.DATABASE_URL || undefined, dataDir: path.resolve(flags.dataDir ?? defaultDataDir()) };
}
