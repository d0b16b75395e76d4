/** Image fixtures made at test time (nothing binary is committed). */
import sharp from 'sharp';

/** A small real image; `seed` varies the colours so files differ. */
export async function pngImage(seed = 0, size = 64): Promise<Buffer> {
  const r = (seed * 53) % 256;
  const g = (seed * 97) % 256;
  const b = (seed * 31) % 256;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
    <rect width="100%" height="100%" fill="rgb(${r},${g},${b})"/>
    <circle cx="${size / 2}" cy="${size / 2}" r="${size / 4}" fill="rgb(${b},${r},${g})"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export async function jpegImage(seed = 0, size = 64): Promise<Buffer> {
  return sharp(await pngImage(seed, size)).jpeg({ quality: 80 }).toBuffer();
}

/** Starts like a JPEG (so sniffing says image) and then is garbage: must fail decoding. */
export async function corruptJpeg(): Promise<Buffer> {
  const good = await jpegImage(7, 128);
  const head = good.subarray(0, 200);
  return Buffer.concat([head, Buffer.alloc(5000, 0x5a)]);
}

export const HTML_AS_JPG = Buffer.from('<!doctype html><html><head><title>not an image</title></head><body>' + 'x'.repeat(5000) + '</body></html>');

/** A minimal BMP (an image format the decoder does not take). */
export function bmpImage(): Buffer {
  const w = 2, h = 2, row = 8, size = 54 + row * h;
  const b = Buffer.alloc(size);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(row * h, 34);
  return b;
}
