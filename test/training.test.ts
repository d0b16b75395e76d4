import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeForModel } from '../src/image/decode.js';
import { computeMetrics } from '../src/training/metrics.js';
import { argmax, predictProba, trainSoftmax } from '../src/training/softmax.js';
import { groupPan, luhnValid, mrzCheckDigit, randomPan, randomSsn, ssnValid, td1, td3 } from '../src/training/synth/checks.js';
import { LABELS, generateSample, type Sources } from '../src/training/synth/index.js';
import { Rng } from '../src/training/synth/prng.js';

const NO_REAL: Sources = { photos: [], screenshots: [], packages: [] };

test('generator is deterministic for a seed and produces every label', async () => {
  for (const label of LABELS) {
    const a = await generateSample(label, 3, 1234, NO_REAL);
    const b = await generateSample(label, 3, 1234, NO_REAL);
    assert.equal(a.label, label);
    assert.ok(a.data.equals(b.data), `${label}: same seed must give the same bytes`);
    const c = await generateSample(label, 4, 1234, NO_REAL);
    assert.ok(!a.data.equals(c.data), `${label}: different index must give a different image`);
    const d = await decodeForModel(a.data);
    assert.equal(d.rgb.length, 224 * 224 * 3);
  }
});

test('PRNG is seeded and reproducible', () => {
  const a = new Rng(7);
  const b = new Rng(7);
  const xs = Array.from({ length: 5 }, () => a.u32());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.u32()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => new Rng(8).u32()));
});

test('MRZ check digits match the ICAO 9303 TD3 specimen', () => {
  assert.equal(mrzCheckDigit('L898902C3'), 6);
  assert.equal(mrzCheckDigit('740812'), 2);
  assert.equal(mrzCheckDigit('120415'), 9);
  assert.equal(mrzCheckDigit('ZE184226B<<<<<'), 1);
  const [l1, l2] = td3({
    docType: 'P',
    issuer: 'UTO',
    surname: 'ERIKSSON',
    given: 'ANNA MARIA',
    docNumber: 'L898902C3',
    nationality: 'UTO',
    birth: '740812',
    sex: 'F',
    expiry: '120415',
    personal: 'ZE184226B',
  });
  assert.equal(l1, 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<');
  assert.equal(l2, 'L898902C36UTO7408122F1204159ZE184226B<<<<<10');
  assert.equal(l1.length, 44);
  assert.equal(l2.length, 44);
});

test('TD1 MRZ matches the ICAO 9303 specimen', () => {
  const lines = td1({
    docType: 'I',
    issuer: 'UTO',
    surname: 'ERIKSSON',
    given: 'ANNA MARIA',
    docNumber: 'D23145890',
    nationality: 'UTO',
    birth: '740812',
    sex: 'F',
    expiry: '120415',
    personal: '',
  });
  assert.deepEqual(lines, ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<']);
});

test('generated SSNs follow the SSA rules', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 5000; i++) {
    const s = randomSsn(rng);
    assert.match(s, /^\d{3}-\d{2}-\d{4}$/);
    assert.ok(ssnValid(s), s);
    const area = Number(s.slice(0, 3));
    assert.ok(area !== 0 && area !== 666 && area < 900, s);
    assert.notEqual(s.slice(4, 6), '00');
    assert.notEqual(s.slice(7), '0000');
  }
  for (const bad of ['000-12-3456', '666-12-3456', '900-12-3456', '999-12-3456', '123-00-4567', '123-45-0000']) assert.equal(ssnValid(bad), false, bad);
  assert.equal(ssnValid('123-45-6789'), true);
});

test('generated PANs pass Luhn', () => {
  assert.equal(luhnValid('4111111111111111'), true);
  assert.equal(luhnValid('4111111111111112'), false);
  assert.equal(luhnValid('378282246310005'), true);
  const rng = new Rng(9);
  for (let i = 0; i < 2000; i++) {
    const { pan, brand } = randomPan(rng);
    assert.ok(luhnValid(pan), pan);
    assert.equal(pan.length, brand === 'amex' ? 15 : 16);
    assert.equal(groupPan(pan).replace(/ /g, ''), pan);
  }
});

test('softmax trainer separates a tiny synthetic feature set', () => {
  const rng = new Rng(11);
  const K = 4;
  const D = 32;
  // class means far apart in a few dimensions, on top of large per-dimension offsets/scales
  const offset = Array.from({ length: D }, () => rng.float(-50, 50));
  const scale = Array.from({ length: D }, () => rng.float(0.1, 20));
  const means = Array.from({ length: K }, () => Array.from({ length: D }, () => rng.normal(0, 1.5)));
  const sample = (k: number) => Float32Array.from({ length: D }, (_, j) => offset[j]! + scale[j]! * (means[k]![j]! + rng.normal(0, 1)));
  const X: Float32Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < 400; i++) {
    const k = i % K === 3 && i % 8 !== 3 ? 0 : i % K; // imbalanced classes
    X.push(sample(k));
    y.push(k);
  }
  const head = trainSoftmax(X, y, K, { epochs: 100, lr: 0.01, l2: 1e-3, batch: 64, seed: 1 });
  assert.equal(head.W.length, K);
  assert.equal(head.W[0]!.length, D);
  let correct = 0;
  const n = 400;
  for (let i = 0; i < n; i++) {
    const k = i % K;
    const p = predictProba(head, sample(k));
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    if (argmax(p) === k) correct++;
  }
  assert.ok(correct / n >= 0.95, `held-out accuracy ${correct / n}`);
});

test('metrics: accuracy, macro-F1 and confusion', () => {
  const m = computeMetrics(['a', 'b'], ['a', 'a', 'b', 'b'], ['a', 'b', 'b', 'b']);
  assert.equal(m.accuracy, 0.75);
  assert.equal(m.confusion.a!.b, 1);
  assert.equal(m.perClass.a!.recall, 0.5);
  assert.equal(m.perClass.b!.precision, 2 / 3);
});
