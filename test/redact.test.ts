import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { keyedHash, loadHashKey, maskKeepLast } from '../src/util/redact.js';

const MASKS: readonly [string, Parameters<typeof maskKeepLast>, string][] = [
  ['16-digit PAN in 4s', ['4111111111111111', 4, { group: 4 }], '**** **** **** 1111'],
  ['15-digit Amex in 4s from the right', ['378282246310005', 4, { group: 4 }], '*** **** **** 0005'],
  ['ungrouped', ['4111111111111111'], '************1111'],
  ['document number with bullets', ['L898902C3', 4, { mask: '•' }], '•••••02C3'],
  ['IBAN: country kept, grouped from the left', ['DE89370400440532013000', 4, { keepFirst: 2, group: 4, groupFrom: 'left' }], 'DE** **** **** **** **30 00'],
  ['short value: at most half in clear', ['123456'], '***456'],
  ['4 characters: 2 in clear', ['1234'], '**34'],
  ['1 character: nothing in clear', ['7'], '*'],
  ['empty', [''], ''],
  ['keep 0', ['123456789', 0], '*********'],
  ['keepFirst counts in the half rule', ['ABCDEFGH', 4, { keepFirst: 2 }], 'AB****GH'],
];

for (const [name, args, want] of MASKS) {
  test(`maskKeepLast: ${name}`, () => assert.equal(maskKeepLast(...args), want));
}

test('keyedHash is HMAC-SHA256 hex over entity:value, stable and key/entity dependent', () => {
  const key = Buffer.alloc(32, 7);
  const h = keyedHash(key, 'payment_card_number', '4111111111111111');
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(h, createHmac('sha256', key).update('payment_card_number:4111111111111111').digest('hex'));
  assert.equal(keyedHash(key, 'payment_card_number', '4111111111111111'), h, 'same value in two images → same hash');
  assert.notEqual(keyedHash(key, 'us_ssn', '4111111111111111'), h);
  assert.notEqual(keyedHash(Buffer.alloc(32, 8), 'payment_card_number', '4111111111111111'), h);
  assert.ok(!h.includes('4111111111111111'));
});

/** Run `fn` with CASB_HASH_KEY set to `value` (undefined = unset), restoring it afterwards. */
async function withEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.CASB_HASH_KEY;
  if (value === undefined) delete process.env.CASB_HASH_KEY;
  else process.env.CASB_HASH_KEY = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.CASB_HASH_KEY;
    else process.env.CASB_HASH_KEY = saved;
  }
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'casb-redact-'));
}

test('loadHashKey: CASB_HASH_KEY as hex or base64', async () => {
  const raw = randomBytes(32);
  const dir = await tempDir();
  try {
    assert.deepEqual(await withEnv(raw.toString('hex'), () => loadHashKey(dir)), raw);
    assert.deepEqual(await withEnv(raw.toString('base64'), () => loadHashKey(dir)), raw);
    assert.deepEqual(await withEnv(raw.toString('base64url'), () => loadHashKey(dir)), raw);
    const long = randomBytes(48);
    assert.deepEqual(await withEnv(long.toString('hex'), () => loadHashKey(dir)), long);
    await assert.rejects(stat(join(dir, 'hash.key')), 'no key file is written when the env var is used');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loadHashKey: a short or malformed CASB_HASH_KEY is rejected without echoing it', async () => {
  const dir = await tempDir();
  try {
    const short = randomBytes(16).toString('hex');
    await withEnv(short, async () => {
      await assert.rejects(loadHashKey(dir), (e: Error) => {
        assert.match(e.message, /CASB_HASH_KEY is too short: 16 bytes, need at least 32/);
        assert.ok(!e.message.includes(short));
        return true;
      });
    });
    await withEnv('not a key!!', () => assert.rejects(loadHashKey(dir), /CASB_HASH_KEY is neither hex nor base64/));
    await withEnv('', () => assert.rejects(loadHashKey(dir), /CASB_HASH_KEY is empty/));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loadHashKey: creates <dataDir>/hash.key (mkdir -p, 0600, hex) once and reads it back', async () => {
  const base = await tempDir();
  const dir = join(base, 'nested', 'data');
  try {
    await withEnv(undefined, async () => {
      const k1 = await loadHashKey(dir);
      assert.equal(k1.length, 32);
      const file = join(dir, 'hash.key');
      assert.equal((await readFile(file, 'utf8')).trim(), k1.toString('hex'));
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.deepEqual(await loadHashKey(dir), k1);
    });
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('loadHashKey: concurrent first calls agree on one key', async () => {
  const dir = join(await tempDir(), 'data');
  try {
    await withEnv(undefined, async () => {
      const keys = await Promise.all(Array.from({ length: 8 }, () => loadHashKey(dir)));
      for (const k of keys) assert.deepEqual(k, keys[0]);
      assert.equal((await readFile(join(dir, 'hash.key'), 'utf8')).trim(), keys[0]!.toString('hex'));
    });
  } finally {
    await rm(join(dir, '..'), { recursive: true, force: true });
  }
});

test('loadHashKey: an existing key file is used; a malformed one is an error that does not quote it', async () => {
  const dir = await tempDir();
  try {
    await withEnv(undefined, async () => {
      const raw = randomBytes(32);
      await writeFile(join(dir, 'hash.key'), raw.toString('base64') + '\n', { mode: 0o600 });
      assert.deepEqual(await loadHashKey(dir), raw);
      const bad = 'deadbeef';
      await writeFile(join(dir, 'hash.key'), bad);
      await assert.rejects(loadHashKey(dir), (e: Error) => {
        assert.match(e.message, /hash\.key is too short/);
        assert.ok(!e.message.includes(bad));
        return true;
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
