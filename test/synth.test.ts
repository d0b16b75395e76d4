/**
 * Synthetic data engine: determinism, every class decodable at a sane size, validity of the generated MRZ / PAN / SSN
 * values (and the absence of valid PANs on card-shaped negatives), the Debian fetcher's refusals and real-dev exclusion.
 * (ICAO specimen check digits, Luhn and SSA rules themselves are covered in training.test.ts.)
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { FORBIDDEN_PACKAGES, PACKAGES, assertAllowed, buildIndex, cutCards, isForbidden, type PackageSpec } from '../src/training/fetch-debian.js';
import { homography, personPhoto } from '../src/training/synth/augment.js';
import { luhnValid, mrzCheckDigit, ssnValid } from '../src/training/synth/checks.js';
import { GENERATOR_VERSION, LABELS, generateSample, loadSources, twoSided, type Sources } from '../src/training/synth/index.js';
import { randomPerson } from '../src/training/synth/people.js';
import { Rng } from '../src/training/synth/prng.js';
import { idCardMrz, renderIdCard } from '../src/training/synth/renderers/idcard.js';
import { OTHER_RENDERERS, nonLuhnNumber } from '../src/training/synth/renderers/other.js';
import { passportMrz, renderPassport } from '../src/training/synth/renderers/passport.js';
import { renderPaymentCard } from '../src/training/synth/renderers/payment.js';
import { renderSsnCard } from '../src/training/synth/renderers/ssn.js';

const NO_REAL: Sources = { photos: [], screenshots: [], packages: [] };

/** Text content of every <text> element of an SVG, unescaped. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => (m[1] ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}

function assertTd3(l1: string, l2: string): void {
  assert.equal(l1.length, 44, l1);
  assert.equal(l2.length, 44, l2);
  assert.match(l1, /^P[A-Z<][A-Z<]{3}[A-Z<]+$/);
  assert.match(l2, /^[A-Z0-9<]{44}$/);
  assert.equal(mrzCheckDigit(l2.slice(0, 9)), Number(l2[9]), `document number check digit: ${l2}`);
  assert.equal(mrzCheckDigit(l2.slice(13, 19)), Number(l2[19]), `birth date check digit: ${l2}`);
  assert.equal(mrzCheckDigit(l2.slice(21, 27)), Number(l2[27]), `expiry check digit: ${l2}`);
  if (l2[42] !== '<') assert.equal(mrzCheckDigit(l2.slice(28, 42)), Number(l2[42]), `personal number check digit: ${l2}`);
  assert.equal(mrzCheckDigit(l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, 43)), Number(l2[43]), `composite check digit: ${l2}`);
}

function assertTd1(l1: string, l2: string, l3: string): void {
  for (const l of [l1, l2, l3]) assert.match(l, /^[A-Z0-9<]{30}$/, l);
  assert.equal(mrzCheckDigit(l1.slice(5, 14)), Number(l1[14]), `document number check digit: ${l1}`);
  assert.equal(mrzCheckDigit(l2.slice(0, 6)), Number(l2[6]), `birth date check digit: ${l2}`);
  assert.equal(mrzCheckDigit(l2.slice(8, 14)), Number(l2[14]), `expiry check digit: ${l2}`);
  assert.equal(mrzCheckDigit(l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29)), Number(l2[29]), `composite check digit: ${l2}`);
}

test('generator version is bumped for the 0.4 engine', () => {
  assert.equal(GENERATOR_VERSION, 'synth-0.4.1');
});

test('both sides of a card on one page: sizes add up, person slots move with their card', () => {
  const rng = new Rng('two');
  const person = randomPerson(rng);
  let withSlots = 0;
  for (let i = 0; i < 20; i++) {
    const front = renderIdCard(new Rng(`f${i}`), { side: 'front', person, kind: 'national' });
    const back = renderIdCard(new Rng(`b${i}`), { side: 'back', person, kind: 'national' });
    const page = twoSided(new Rng(`p${i}`), front, back);
    const stacked = page.height >= front.height + back.height;
    assert.ok(stacked || page.width >= front.width + back.width, `page ${i}: ${page.width}x${page.height}`);
    // the surname printed on the front and the back's MRZ belong to one person
    assert.ok(svgTexts(page.svg).some((t) => t === person.surname));
    assert.equal((page.svg.match(/<svg /g) ?? []).length, 3, 'page + two nested cards');
    for (const sl of page.slots ?? []) {
      assert.ok(sl.x >= 0 && sl.y >= 0 && sl.x + sl.w <= page.width + 0.5 && sl.y + sl.h <= page.height + 0.5, `slot outside the page: ${JSON.stringify(sl)}`);
      if (sl.person) withSlots++;
    }
  }
  assert.ok(withSlots > 3, `only ${withSlots} portrait slots on 20 fronts`);
});

test('a person photo fills its box at the slot size, with the ghost-image opacity as alpha', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'casb-person-'));
  try {
    // a figure: opaque head circle on top of a body, transparent elsewhere
    const fig = path.join(dir, 'fig.png');
    await sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="300"><circle cx="100" cy="60" r="45" fill="#c96"/><rect x="40" y="110" width="120" height="190" fill="#336"/></svg>')).png().toFile(fig);
    const people = [{ file: fig, sha256: 'x'.repeat(64), package: 'test', kind: 'person' as const }];
    for (const [opacity, grey] of [[1, false], [0.4, true]] as const) {
      const png = await personPhoto(new Rng(`pp${opacity}`), people, 90, 115, grey, opacity);
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.width, 90);
      assert.equal(info.height, 115);
      assert.equal(info.channels, 4);
      const alpha = data[3]!;
      assert.equal(alpha, Math.round(255 * opacity));
      if (grey) for (let k = 0; k < data.length; k += 4 * 37) assert.ok(Math.abs(data[k]! - data[k + 1]!) <= 2 && Math.abs(data[k + 1]! - data[k + 2]!) <= 2, 'grey photo has colour');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('same seed + label + index gives identical bytes; another index or seed does not', async () => {
  for (const label of LABELS) {
    const a = await generateSample(label, 7, 99, NO_REAL);
    const b = await generateSample(label, 7, 99, NO_REAL);
    assert.ok(a.data.equals(b.data), `${label}: not deterministic`);
    assert.equal(a.kind, b.kind);
    const c = await generateSample(label, 8, 99, NO_REAL);
    const d = await generateSample(label, 7, 100, NO_REAL);
    assert.ok(!a.data.equals(c.data) && !a.data.equals(d.data), `${label}: index/seed ignored`);
  }
});

test('deterministic with the Debian images too (when indexed)', { skip: loadSources().photos.length === 0 && 'no Debian index' }, async () => {
  const sources = loadSources();
  for (const label of LABELS) {
    const a = await generateSample(label, 3, 5, sources);
    const b = await generateSample(label, 3, 5, sources);
    assert.ok(a.data.equals(b.data), `${label}: not deterministic with Debian sources`);
  }
});

test('every class renders a decodable image of sane size', async () => {
  for (const label of LABELS) {
    for (let i = 0; i < 3; i++) {
      const s = await generateSample(label, i, 1, NO_REAL);
      assert.equal(s.label, label);
      assert.ok(s.kind.startsWith(label), s.kind);
      const meta = await sharp(s.data).metadata();
      assert.equal(meta.format, s.ext === 'jpg' ? 'jpeg' : 'png');
      const long = Math.max(meta.width ?? 0, meta.height ?? 0);
      const short = Math.min(meta.width ?? 0, meta.height ?? 0);
      assert.ok(long >= 300 && long <= 1200, `${label}/${i}: long side ${long}`);
      assert.ok(short >= 60, `${label}/${i}: short side ${short}`);
      const { data, info } = await sharp(s.data).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.channels, 3);
      // not blank: some spread of pixel values
      let lo = 255;
      let hi = 0;
      for (let k = 0; k < data.length; k += 97) {
        lo = Math.min(lo, data[k] as number);
        hi = Math.max(hi, data[k] as number);
      }
      assert.ok(hi - lo > 40, `${label}/${i}: nearly uniform image`);
    }
  }
});

test('passport MRZs (helper and as printed on the data page) carry valid ICAO 9303 check digits', () => {
  const rng = new Rng('mrz');
  for (let i = 0; i < 300; i++) {
    const [l1, l2] = passportMrz(randomPerson(rng), rng);
    assertTd3(l1, l2);
  }
  let seen = 0;
  for (let i = 0; i < 40; i++) {
    const texts = svgTexts(renderPassport(new Rng(`pp${i}`)).svg);
    const l1 = texts.find((t) => /^P[A-Z<]{43}$/.test(t));
    const l2 = texts[texts.indexOf(l1 ?? '') + 1];
    assert.ok(l1 && l2, `passport ${i}: no TD3 MRZ printed`);
    assertTd3(l1, l2);
    seen++;
  }
  assert.equal(seen, 40);
});

test('ID-card TD1 MRZs (helper and where printed) carry valid check digits', () => {
  const rng = new Rng('td1');
  for (let i = 0; i < 300; i++) assertTd1(...idCardMrz(rng, randomPerson(rng)));
  let printed = 0;
  for (let i = 0; i < 120; i++) {
    const texts = svgTexts(renderIdCard(new Rng(`id${i}`)).svg).filter((t) => /^[A-Z0-9<]{30}$/.test(t) && t.includes('<'));
    if (texts.length === 0) continue;
    assert.equal(texts.length, 3, `id ${i}: ${texts.join(' / ')}`);
    assertTd1(texts[0]!, texts[1]!, texts[2]!);
    printed++;
  }
  assert.ok(printed > 10, `only ${printed} ID cards with an MRZ`);
});

test('payment cards print Luhn-valid PANs; SSN cards print SSA-valid numbers', () => {
  let pans = 0;
  for (let i = 0; i < 150; i++) {
    for (const t of svgTexts(renderPaymentCard(new Rng(`pay${i}`), { photos: i % 2 === 0 }).svg)) {
      const m = /^(\d{4} \d{4} \d{4} \d{4}|\d{4} \d{6} \d{5})$/.exec(t);
      if (!m) continue;
      assert.ok(luhnValid(t), `card ${i}: ${t}`);
      pans++;
    }
  }
  assert.ok(pans > 100, `only ${pans} PANs printed`);
  let ssns = 0;
  for (let i = 0; i < 150; i++) {
    for (const t of svgTexts(renderSsnCard(new Rng(`ssn${i}`)).svg)) {
      if (/^\d{3}[- ]\d{2}[- ]\d{4}$/.test(t)) {
        assert.ok(ssnValid(t.replace(/ /g, '-')), `ssn ${i}: ${t}`);
        ssns++;
      } else if (/^XXX-XX-\d{4}$/.test(t)) ssns++;
    }
  }
  assert.ok(ssns >= 140, `only ${ssns} SSNs printed`);
});

test('card-shaped negatives never carry a Luhn-valid card number', () => {
  const rng = new Rng('nl');
  for (let i = 0; i < 2000; i++) assert.equal(luhnValid(nonLuhnNumber(rng, rng.pick([10, 12, 13, 16, 19]))), false);
  for (const [name, r] of Object.entries(OTHER_RENDERERS)) {
    if (r.placement !== 'card') continue;
    for (let i = 0; i < 40; i++) {
      const out = r.fn(new Rng(`${name}${i}`), { photos: i % 2 === 0 });
      assert.equal(out.card, true, name);
      for (const t of svgTexts(out.svg)) {
        const digits = t.replace(/[ -]/g, '');
        if (/^\d{13,19}$/.test(digits)) assert.equal(luhnValid(digits), false, `${name} ${i}: ${t}`);
      }
      assert.ok(!/PORTRAIT|clip\d+/.test(out.svg) || name === 'playingCard', `${name}: no portraits on negatives`);
    }
  }
});

test('forbidden (evaluation-reserved) packages are refused and never listed', () => {
  for (const name of ['opencv-doc', 'python3-skimage', 'python3-skimage-lib', 'gimp-help-en', 'gimp-help-de', 'kmail', 'gwenview', 'okular', 'dolphin', 'ukui-wallpapers']) {
    assert.equal(isForbidden(name), true, name);
    assert.throws(() => assertAllowed(name), /reserved for evaluation/);
  }
  for (const name of ['gnome-backgrounds', 'aisleriot', 'kdegames-card-data-kf5', 'okular-extra-backends', 'opencv-data']) assert.equal(isForbidden(name), false, name);
  for (const p of PACKAGES) assert.equal(isForbidden(p.name), false, `${p.name} is in PACKAGES`);
  assert.ok(FORBIDDEN_PACKAGES.length >= 8);
});

test('buildIndex refuses a forbidden package even if it is unpacked', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'casb-fetch-'));
  try {
    await assert.rejects(buildIndex(new Map(), { packages: [{ name: 'okular', role: 'screenshot', kind: 'ui' }], cacheDir: dir, realDevDir: path.join(dir, 'none'), small: false }), /reserved/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('images identical to a real-dev file are dropped from the index (sha256)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'casb-fetch-'));
  try {
    const root = path.join(dir, 'cache', 'root', 'testpkg', 'usr', 'share', 'pics');
    const realDev = path.join(dir, 'real-dev', 'other');
    mkdirSync(root, { recursive: true });
    mkdirSync(realDev, { recursive: true });
    const img = (hex: string) => sharp({ create: { width: 300, height: 200, channels: 3, background: hex } }).png().toBuffer();
    writeFileSync(path.join(root, 'a.png'), await img('#336699'));
    writeFileSync(path.join(root, 'b.png'), await img('#993366'));
    writeFileSync(path.join(root, 'notes.txt'), 'not an image');
    copyFileSync(path.join(root, 'a.png'), path.join(realDev, 'renamed.png'));
    const spec: PackageSpec = { name: 'testpkg', role: 'other', kind: 'photo', minBytes: 0 };
    const index = await buildIndex(new Map([['testpkg', '1.0-1']]), { packages: [spec], cacheDir: path.join(dir, 'cache'), realDevDir: path.join(dir, 'real-dev'), relativeTo: dir });
    assert.equal(index.droppedRealDev, 1);
    assert.deepEqual(index.files.map((f) => path.basename(f.file)), ['b.png']);
    assert.deepEqual(index.packages, [{ name: 'testpkg', version: '1.0-1', role: 'other' }]);
    const small = index.files[0]!.small!;
    assert.match(small, /small1024\/[0-9a-f]{64}\.jpg$/);
    assert.equal((await sharp(path.join(dir, small)).metadata()).width, 300);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('card deck sheets are cut into single cards', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'casb-cards-'));
  try {
    let body = '';
    for (let r = 0; r < 4; r++) for (let c = 0; c < 13; c++) body += `<rect x="${10 + c * 80}" y="${10 + r * 110}" width="70" height="100" rx="6" fill="#fff" stroke="#000"/>`;
    const sheet = path.join(dir, 'deck.svg');
    writeFileSync(sheet, `<svg xmlns="http://www.w3.org/2000/svg" width="1050" height="450">${body}</svg>`);
    const cards = await cutCards(sheet, 'components', path.join(dir, 'out'));
    assert.equal(cards.length, 52);
    const m = await sharp(cards[0]!).metadata();
    assert.ok((m.height ?? 0) / (m.width ?? 1) > 1.3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('homography maps the four corners', () => {
  const from: [number, number][] = [[0, 0], [100, 0], [100, 60], [0, 60]];
  const to: [number, number][] = [[12, 7], [130, 20], [118, 95], [3, 80]];
  const h = homography(from, to);
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const w = h[6]! * x + h[7]! * y + 1;
    assert.ok(Math.abs((h[0]! * x + h[1]! * y + h[2]!) / w - to[i]![0]) < 1e-6);
    assert.ok(Math.abs((h[3]! * x + h[4]! * y + h[5]!) / w - to[i]![1]) < 1e-6);
  }
});
