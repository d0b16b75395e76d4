/**
 * Redaction and the keyed hash that lets the same sensitive value be correlated across
 * images without being stored.
 *
 * Redaction rule: never more than the last `keep` characters in clear, and never more than
 * half of the value (a 6-character value shows at most 3), so a short value is not given away
 * by a "last 4" mask.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface MaskOptions {
  /** Mask character; '*' unless told. */
  mask?: string;
  /** Characters kept in clear at the start (e.g. 2 for an IBAN's country code). Counted in the half-rule. */
  keepFirst?: number;
  /** Insert a space every `group` characters of the output. */
  group?: number;
  /**
   * Where grouping starts. 'right' (default) makes the last group exactly the clear tail,
   * as cards print it ("**** **** **** 1111"); 'left' follows printed IBAN grouping.
   */
  groupFrom?: 'left' | 'right';
}

/** Mask every character except the last `keep` (and optional first `keepFirst`). */
export function maskKeepLast(value: string, keep = 4, opts: MaskOptions = {}): string {
  const mask = opts.mask ?? '*';
  const chars = [...value];
  const n = chars.length;
  const half = Math.floor(n / 2);
  const first = Math.max(0, Math.min(opts.keepFirst ?? 0, half));
  const last = Math.max(0, Math.min(keep, half - first));
  const masked = chars.map((c, i) => (i < first || i >= n - last ? c : mask));
  if (!opts.group || opts.group <= 0) return masked.join('');
  const g = opts.group;
  const parts: string[] = [];
  if ((opts.groupFrom ?? 'right') === 'left') {
    for (let i = 0; i < n; i += g) parts.push(masked.slice(i, i + g).join(''));
  } else {
    for (let i = n; i > 0; i -= g) parts.unshift(masked.slice(Math.max(0, i - g), i).join(''));
  }
  return parts.join(' ');
}

/** HMAC-SHA256 hex over `${entity}:${normalisedValue}`. */
export function keyedHash(key: Buffer, entity: string, normalisedValue: string): string {
  return createHmac('sha256', key).update(`${entity}:${normalisedValue}`).digest('hex');
}

const MIN_KEY_BYTES = 32;

/** Hex first (a 64-hex-digit key is also valid base64, and hex is what we write), then base64/base64url. */
function decodeKey(text: string, source: string): Buffer {
  const s = text.trim();
  if (s.length === 0) throw new Error(`${source} is empty; expected at least ${MIN_KEY_BYTES} bytes as hex or base64`);
  let key: Buffer;
  if (/^[0-9a-fA-F]+$/.test(s) && s.length % 2 === 0) key = Buffer.from(s, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) key = Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
  else throw new Error(`${source} is neither hex nor base64`);
  if (key.length < MIN_KEY_BYTES) {
    // Length only: the key itself never goes into a message.
    throw new Error(`${source} is too short: ${key.length} bytes, need at least ${MIN_KEY_BYTES} (hex or base64)`);
  }
  return key;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The hash key: CASB_HASH_KEY when set, else `<dataDir>/hash.key`, created on first use.
 *
 * Creation uses O_EXCL ('wx') so two processes starting together cannot both create a key (one
 * would then hash with a key nobody else has). The loser reads the winner's file; because the
 * winner may not have written it yet, the read retries briefly while the file is empty.
 */
export async function loadHashKey(dataDir: string): Promise<Buffer> {
  const env = process.env.CASB_HASH_KEY;
  if (env !== undefined) return decodeKey(env, 'CASB_HASH_KEY');

  const path = join(dataDir, 'hash.key');
  await mkdir(dataDir, { recursive: true });
  const fresh = randomBytes(MIN_KEY_BYTES);
  try {
    const fh = await open(path, 'wx', 0o600);
    try {
      await fh.writeFile(fresh.toString('hex') + '\n');
      await fh.sync();
    } catch (e) {
      // Leave no empty key file behind for the next start to trip over.
      await fh.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw e;
    }
    await fh.close();
    return fresh;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  for (let attempt = 0; ; attempt++) {
    const text = await readFile(path, 'utf8');
    try {
      return decodeKey(text, path);
    } catch (e) {
      // Empty or short: most likely the creating process is between open and write.
      if (attempt >= 40) throw e;
    }
    await sleep(25);
  }
}
