/**
 * The hostile-input corpus: files that are corrupt, enormous, odd or deliberately malicious, each
 * with the one outcome a scan must record for it. Everything is generated here (nothing binary is
 * committed); test/hostile.test.ts scans the folder and checks every file.
 *
 *   npx tsx test/hostile-corpus.ts <dir>      # write the corpus to <dir> to try it by hand
 *
 * HEIC: a real phone photo needs an HEVC encoder, which neither sharp's libvips nor Debian's main
 * archive ships; the file here is an ISO-BMFF `ftyp heic` container, which is what the magic-byte
 * sniffer keys on. With sharp's bundled libheif (AV1 only) it is `skipped:unsupported_format`.
 */
import { writeFile, truncate, mkdir } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { bmpImage, HTML_AS_JPG } from './helpers/images.js';

export interface HostileFile {
  name: string;
  /** The outcome a scan records for it; a RegExp where the exact reason may vary. */
  outcome: string;
  why: string;
}

/** A payment-card photo: a card with chip, number and name on a wooden table (what the EXIF files show). */
export async function cardPhoto(): Promise<Buffer> {
  const W = 960;
  const H = 720;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
  <defs><linearGradient id="wood" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#8a5a34"/><stop offset="1" stop-color="#5e3a1e"/></linearGradient>
  <linearGradient id="card" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1d3f8f"/><stop offset="1" stop-color="#3a78c9"/></linearGradient></defs>
  <rect width="${W}" height="${H}" fill="url(#wood)"/>
  ${Array.from({ length: 14 }, (_, i) => `<path d="M0 ${40 + i * 50} Q ${W / 2} ${20 + i * 52} ${W} ${50 + i * 49}" stroke="#4a2c14" stroke-opacity="0.35" stroke-width="3" fill="none"/>`).join('')}
  <g transform="rotate(-6 480 360)">
    <rect x="190" y="170" width="580" height="366" rx="28" fill="url(#card)"/>
    <rect x="250" y="270" width="84" height="64" rx="10" fill="#d8c27a"/>
    <text x="250" y="410" font-family="DejaVu Sans Mono" font-size="40" fill="#f4f4f4">4539 1488 0343 6467</text>
    <text x="250" y="470" font-family="DejaVu Sans" font-size="24" fill="#f4f4f4">JANE Q CARDHOLDER   09/29</text>
    <text x="650" y="240" font-family="DejaVu Sans" font-weight="bold" font-style="italic" font-size="44" fill="#ffffff">VISA</text>
  </g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * The pixels to store under EXIF orientation `o` so that a viewer that applies the tag shows the
 * upright image (the tag says how to turn the stored pixels for display; these are the inverses).
 */
async function storedFor(upright: Buffer, o: number): Promise<Buffer> {
  // one operation per sharp call: within one pipeline sharp applies rotate and flop in its own order
  const rotate = (b: Buffer, deg: number) => sharp(b).rotate(deg).toBuffer();
  const flop = (b: Buffer) => sharp(b).flop().toBuffer();
  switch (o) {
    case 1: return upright;
    case 2: return flop(upright);
    case 3: return rotate(upright, 180);
    case 4: return sharp(upright).flip().toBuffer();
    case 5: return flop(await rotate(upright, 90)); // transpose (its own inverse)
    case 6: return rotate(upright, 270);
    case 7: return flop(await rotate(upright, 270)); // transverse (its own inverse)
    case 8: return rotate(upright, 90);
    default: throw new Error(`orientation ${o}`);
  }
}

/** Remove every APP14 ("Adobe") segment from a JPEG: a CMYK JPEG as some scanners write it. */
function stripAdobeMarker(jpeg: Buffer): Buffer {
  const parts: Buffer[] = [jpeg.subarray(0, 2)];
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1]!;
    if (marker === 0xda) break; // start of scan: the rest is entropy-coded data
    const len = jpeg.readUInt16BE(i + 2);
    if (marker !== 0xee) parts.push(jpeg.subarray(i, i + 2 + len));
    i += 2 + len;
  }
  parts.push(jpeg.subarray(i));
  return Buffer.concat(parts);
}

function hasAdobeMarker(jpeg: Buffer): boolean {
  return jpeg.includes(Buffer.from([0xff, 0xee])) && jpeg.includes(Buffer.from('Adobe'));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/**
 * A PNG whose header says 30000×30000 (900 MP, 1-bit grey) and whose data is a few KB: decoding it
 * would allocate gigabytes, so it must be refused from the header alone.
 */
export function pixelBombPng(side = 30_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(1 + Math.ceil(side / 8)); // filter byte + packed pixels, all zero
  const rows = Buffer.concat(Array.from({ length: 64 }, () => row)); // the first 64 rows; the rest is simply missing
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib.deflateSync(rows, { level: 9 })), pngChunk('IEND', Buffer.alloc(0))]);
}

/**
 * A PNG that is slow to decode for its size: W×H 1-bit pixels, all of them present (300 MP by default,
 * ~160 KB, about half a second on 2 cores) — for the decode time limit, above the default pixel limit.
 */
export function slowPng(width = 20_000, height = 15_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1;
  ihdr[9] = 0;
  const row = Buffer.alloc(1 + Math.ceil(width / 8));
  for (let i = 1; i < row.length; i++) row[i] = (i * 37) & 0xff; // stripes, so every row really decodes
  const data = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', data), pngChunk('IEND', Buffer.alloc(0))]);
}

/** An ISO-BMFF container with the `heic` brand, as an iPhone writes it (the sniffer's view of HEIC). */
export function heicContainer(): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftyp', 4, 'ascii');
  ftyp.write('heic', 8, 'ascii');
  ftyp.writeUInt32BE(0, 12);
  ftyp.write('mif1', 16, 'ascii');
  ftyp.write('heic', 20, 'ascii');
  const meta = Buffer.alloc(4096, 0);
  meta.writeUInt32BE(meta.length, 0);
  meta.write('meta', 4, 'ascii');
  return Buffer.concat([ftyp, meta]);
}

/** SVG that would read a local file (XXE and href) and call a local HTTP port if anything rendered it. */
export function hostileSvg(httpUrl: string): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE svg [ <!ENTITY secret SYSTEM "file:///etc/passwd"> <!ENTITY remote SYSTEM "${httpUrl}/entity"> ]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="400" height="300">
  <text x="10" y="40">&secret;&remote;</text>
  <image href="file:///etc/hostname" x="0" y="60" width="100" height="100"/>
  <image xlink:href="${httpUrl}/image.png" x="120" y="60" width="100" height="100"/>
  <use href="${httpUrl}/sprite.svg#a"/>
</svg>
`);
}

/** 300 frames of a moving square. */
async function animatedGif(frames = 300): Promise<Buffer> {
  const side = 96;
  const imgs = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width: side, height: side, channels: 3, background: { r: (i * 7) % 256, g: 90, b: 160 } } })
        .composite([{ input: { create: { width: 16, height: 16, channels: 3, background: '#ffffff' } }, left: (i * 3) % (side - 16), top: (i * 5) % (side - 16) }])
        .png()
        .toBuffer(),
    ),
  );
  return sharp(imgs, { join: { animated: true } }).gif({ loop: 0, delay: 40 }).toBuffer();
}

/**
 * Write the corpus into `dir`; returns each file with its expected outcome. `httpUrl` is where the
 * SVG points (the test listens there and counts requests: there must be none).
 */
export async function writeHostileCorpus(dir: string, opts: { httpUrl: string; maxBytes: number }): Promise<HostileFile[]> {
  await mkdir(dir, { recursive: true });
  const files: HostileFile[] = [];
  const put = async (name: string, bytes: Buffer, outcome: string, why: string) => {
    await writeFile(path.join(dir, name), bytes);
    files.push({ name, outcome, why });
  };
  const card = await cardPhoto();

  const cmyk = await sharp(card).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer();
  if (!hasAdobeMarker(cmyk)) throw new Error('expected libjpeg to write an Adobe marker for CMYK');
  await put('cmyk-adobe.jpg', cmyk, 'scanned', 'CMYK JPEG with the Adobe APP14 marker (inverted CMYK, Photoshop style)');
  await put('cmyk-no-adobe.jpg', stripAdobeMarker(cmyk), 'scanned', 'CMYK JPEG without an Adobe marker');

  for (let o = 1; o <= 8; o++) {
    const stored = await storedFor(card, o);
    await put(`exif-orientation-${o}.jpg`, await sharp(stored).jpeg({ quality: 92 }).withMetadata({ orientation: o }).toBuffer(), 'scanned', `the card photo stored for EXIF orientation ${o}`);
  }

  await put('png-16bit.png', await sharp(card).toColourspace('rgb16').png().toBuffer(), 'scanned', '16-bit RGB PNG');
  await put('png-grey-alpha.png', await sharp(card).toColourspace('b-w').ensureAlpha(0.7).png().toBuffer(), 'scanned', 'greyscale + alpha PNG');
  await put('png-palette.png', await sharp(card).png({ palette: true, colours: 32 }).toBuffer(), 'scanned', 'palette (indexed) PNG');
  await put('progressive.jpg', await sharp(card).jpeg({ progressive: true, quality: 85 }).toBuffer(), 'scanned', 'progressive JPEG');
  const full = await sharp(card).jpeg({ quality: 85 }).toBuffer();
  await put('truncated-60.jpg', full.subarray(0, Math.floor(full.length * 0.6)), 'failed:corrupt', 'a JPEG cut off at 60% of its bytes');
  await put('zero-bytes.png', Buffer.alloc(0), 'skipped:empty', 'an empty file');
  await put('page.png', HTML_AS_JPG, 'skipped:not_image', 'HTML saved with a .png name');
  await put('pixel-bomb.png', pixelBombPng(), 'skipped:too_large', 'a 30000×30000 PNG of a few KB');
  await put('animated-300.gif', await animatedGif(), 'scanned', 'an animated GIF with 300 frames (the first frame is classified)');
  await put('xxe.svg', hostileSvg(opts.httpUrl), 'skipped:unsupported_format', 'SVG with an external entity and hrefs to a local file and a local HTTP port');
  await put('phone.heic', heicContainer(), 'skipped:unsupported_format', 'HEIC (HEVC) from a phone camera');
  await put('old.bmp', bmpImage(), 'skipped:unsupported_format', 'BMP');

  // above the size cap: a sparse file, so it costs no disk; it must be skipped from its size, unread
  const huge = path.join(dir, 'huge-200mb.jpg');
  await writeFile(huge, full.subarray(0, 4096));
  await truncate(huge, 200 * 1024 * 1024);
  files.push({ name: 'huge-200mb.jpg', outcome: 'skipped:too_large', why: `a 200 MB file above the ${opts.maxBytes}-byte cap` });
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: npx tsx test/hostile-corpus.ts <dir>\n');
    process.exit(2);
  }
  const files = await writeHostileCorpus(dir, { httpUrl: 'http://127.0.0.1:9', maxBytes: 50 * 1024 * 1024 });
  for (const f of files) process.stdout.write(`${f.name.padEnd(24)} ${f.outcome.padEnd(28)} ${f.why}\n`);
}
