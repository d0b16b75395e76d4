import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, parseRetryAfter, withRetry, type ErrorClass } from '../src/util/retry.js';

class Coded extends Error {
  constructor(readonly cls: ErrorClass) {
    super(cls.kind);
  }
}
const classify = (e: unknown): ErrorClass => (e instanceof Coded ? e.cls : { kind: 'permanent' });

function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

test('retryable errors are retried with growing, capped, jittered delays until success', async () => {
  const r = recorder();
  let calls = 0;
  const out = await withRetry(
    async () => {
      if (++calls < 4) throw new Coded({ kind: 'retryable' });
      return 'ok';
    },
    { classify, sleep: r.sleep, random: () => 1, baseDelayMs: 100, maxDelayMs: 250 },
  );
  assert.equal(out, 'ok');
  assert.equal(calls, 4);
  assert.deepEqual(r.waits, [100, 200, 250]);
});

test("a throttled error waits the server's Retry-After instead of the backoff", async () => {
  const r = recorder();
  let calls = 0;
  await withRetry(
    async () => {
      if (++calls === 1) throw new Coded({ kind: 'throttled', retryAfterMs: 1500 });
      return 1;
    },
    { classify, sleep: r.sleep, random: () => 0 },
  );
  assert.deepEqual(r.waits, [1500]);
});

test('a long Retry-After is honoured beyond our backoff cap, up to maxRetryAfterMs', async () => {
  const r = recorder();
  let calls = 0;
  await withRetry(
    async () => {
      calls++;
      if (calls === 1) throw new Coded({ kind: 'throttled', retryAfterMs: 90_000 });
      if (calls === 2) throw new Coded({ kind: 'throttled', retryAfterMs: 3_600_000 });
      return 1;
    },
    { classify, sleep: r.sleep, random: () => 0, maxDelayMs: 30_000 },
  );
  assert.deepEqual(r.waits, [90_000, 300_000]);
});

test('permanent and not-found errors are not retried; attempts are bounded', async () => {
  for (const kind of ['permanent', 'notFound'] as const) {
    let calls = 0;
    await assert.rejects(withRetry(async () => { calls++; throw new Coded({ kind }); }, { classify, sleep: async () => {} }));
    assert.equal(calls, 1, kind);
  }
  let calls = 0;
  await assert.rejects(
    withRetry(async () => { calls++; throw new Coded({ kind: 'retryable' }); }, { classify, sleep: async () => {}, maxAttempts: 3 }),
  );
  assert.equal(calls, 3);
});

test('an abort stops the waiting', async () => {
  const ac = new AbortController();
  const p = withRetry(async () => { throw new Coded({ kind: 'retryable' }); }, { classify, signal: ac.signal, baseDelayMs: 60_000, random: () => 1 });
  setTimeout(() => ac.abort(new Error('stop')), 20);
  await assert.rejects(p, /stop|retryable/);
});

test('Retry-After parses delta-seconds and HTTP dates; backoff stays within its cap', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(' 0 '), 0);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('garbage'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
  for (let a = 1; a < 20; a++) {
    const d = backoffDelay(a, 100, 5000);
    assert.ok(d >= 0 && d <= Math.min(5000, 100 * 2 ** (a - 1)));
  }
});
