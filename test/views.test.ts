/** The JS view cutter decode.ts relies on: area averaging, linear enlarging, crops, letterbox, mirror. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { cutView, resample } from '../src/image/views.js';

const img = (w: number, h: number, f: (x: number, y: number) => [number, number, number]) => {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x, y), (y * w + x) * 3);
  return { data, width: w, height: h };
};
const px = (v: Uint8Array, size: number, x: number, y: number) => [...v.subarray((y * size + x) * 3, (y * size + x) * 3 + 3)];

test('resample: a flat image stays flat; halving averages pairs; enlarging interpolates', () => {
  const flat = resample(img(37, 23, () => [10, 200, 77]), 16, 9);
  for (let i = 0; i < flat.data.length; i += 3) assert.deepEqual([...flat.data.subarray(i, i + 3)], [10, 200, 77]);
  const stripes = resample(img(8, 2, (x) => (x % 2 ? [200, 0, 0] : [100, 0, 0])), 4, 2);
  for (let x = 0; x < 4; x++) assert.equal(stripes.data[x * 3], 150);
  const ramp = resample(img(2, 1, (x) => [x ? 200 : 0, 0, 0]), 4, 1);
  assert.deepEqual([0, 1, 2, 3].map((x) => ramp.data[x * 3]), [0, 50, 150, 200]);
});

test('views: fill keeps both ends, cover takes the centre, contain letterboxes on white, mirror flips', () => {
  // 2:1 image, red on the left half, blue on the right, a green stripe in the middle columns
  const W = 64;
  const base = img(W, 32, (x) => (x >= 30 && x < 34 ? [0, 255, 0] : x < W / 2 ? [255, 0, 0] : [0, 0, 255]));
  const size = 16;
  const fill = cutView(base, size, 'fill');
  assert.deepEqual(px(fill, size, 0, 8), [255, 0, 0]);
  assert.deepEqual(px(fill, size, size - 1, 8), [0, 0, 255]);
  const cover = cutView(base, size, 'cover');
  // the centre 32×32 square of 64×32, scaled to 16: columns 16..47 → red left, blue right, green centre
  assert.deepEqual(px(cover, size, 0, 8), [255, 0, 0]);
  assert.ok(px(cover, size, 7, 8)[1]! > 100 || px(cover, size, 8, 8)[1]! > 100, 'green stripe in the centre');
  const contain = cutView(base, size, 'contain');
  assert.deepEqual(px(contain, size, 8, 0), [255, 255, 255]);
  assert.deepEqual(px(contain, size, 0, 8), [255, 0, 0]);
  const mirror = cutView(base, size, 'fill-mirror');
  for (let x = 0; x < size; x++) assert.deepEqual(px(mirror, size, x, 5), px(fill, size, size - 1 - x, 5));
});
