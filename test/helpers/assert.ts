/** Assertions node:assert lacks. */
import assert from 'node:assert/strict';

/** Awaits `p`, which must reject; runs `check` on the error and returns it. */
export async function rejectsWith(p: Promise<unknown>, check: (err: unknown) => void): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    check(err);
    return err;
  }
  assert.fail('expected a rejection');
}
