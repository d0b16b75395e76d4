import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LowWaterMark } from '../src/pipeline/checkpoint.js';
import { isFinal, OutcomeCounter } from '../src/pipeline/outcome.js';

test('the cursor advances only past pages whose items, and all earlier pages, are done', async () => {
  const saved: Array<string | undefined> = [];
  const lw = new LowWaterMark((c) => void saved.push(c));
  const p0 = lw.openPage(2, 'after-0');
  const p1 = lw.openPage(1, 'after-1');
  const p2 = lw.openPage(1, undefined);
  await lw.closePage(p0);
  await lw.closePage(p1);
  await lw.closePage(p2);
  await lw.itemDone(p1); // page 1 finishes first: page 0 still pending, nothing saved
  assert.deepEqual(saved, []);
  await lw.itemDone(p0);
  assert.deepEqual(saved, []);
  await lw.itemDone(p0); // page 0 done → both 0 and 1 complete → cursor after page 1
  assert.deepEqual(saved, ['after-1']);
  await lw.itemDone(p2);
  assert.deepEqual(saved, ['after-1', undefined]);
});

test('an empty page completes when closed', async () => {
  const saved: Array<string | undefined> = [];
  const lw = new LowWaterMark((c) => void saved.push(c));
  await lw.closePage(lw.openPage(0, 'x'));
  assert.deepEqual(saved, ['x']);
});

test('outcome tallies and which outcomes are final', () => {
  const c = new OutcomeCounter();
  c.add('scanned');
  c.add('skipped:not_image');
  c.add('skipped:not_image');
  c.add('failed:access_denied');
  assert.equal(c.done, 4);
  assert.deepEqual(c.skipped, { not_image: 2 });
  assert.deepEqual(c.failed, { access_denied: 1 });
  assert.ok(isFinal('scanned') && isFinal('skipped:archived') && isFinal('failed:corrupt'));
  assert.ok(!isFinal('failed:access_denied') && !isFinal('failed:network') && !isFinal('failed:throttled'));
});
