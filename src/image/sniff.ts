/**
 * Image type from magic bytes, never from the file name or the declared content type.
 */
import { fileTypeFromBuffer } from 'file-type';

/** How many leading bytes sniffing needs (file-type's own minimum for reliable detection). */
export const SNIFF_BYTES = 4100;

/** Formats the decoder (sharp's bundled libvips) reads. */
const DECODABLE = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/tiff', 'image/avif']);

export type Sniffed =
  | { kind: 'image'; mime: string }
  | { kind: 'unsupported'; mime: string } // an image format we cannot decode (BMP, HEIC, PSD, ...)
  | { kind: 'not_image'; mime?: string };

export async function sniff(head: Uint8Array): Promise<Sniffed> {
  if (head.length === 0) return { kind: 'not_image' };
  const ft = await fileTypeFromBuffer(head).catch(() => undefined);
  // SVG is an image, but it is never rendered: librsvg would follow its hrefs and entities (local
  // files, URLs) and it has no pixels to classify until something draws it
  if ((!ft || ft.mime === 'application/xml') && isSvg(head)) return { kind: 'unsupported', mime: 'image/svg+xml' };
  if (!ft) return { kind: 'not_image' };
  if (DECODABLE.has(ft.mime)) return { kind: 'image', mime: ft.mime };
  if (ft.mime.startsWith('image/')) return { kind: 'unsupported', mime: ft.mime };
  return { kind: 'not_image', mime: ft.mime };
}

/**
 * SVG by content (file-type reads only binary signatures): after a byte-order mark, white space,
 * an XML declaration, comments and a DOCTYPE, the first element is <svg>.
 */
export function isSvg(head: Uint8Array): boolean {
  let text = Buffer.from(head.subarray(0, SNIFF_BYTES)).toString('utf8').replace(/^\uFEFF/, '');
  // drop what may come before the root element; a DOCTYPE may hold an internal subset in [...]
  text = text.replace(/^(\s+|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<!DOCTYPE\s+svg[^[>]*(\[[\s\S]*?\])?\s*>)*/i, '');
  return /^<svg[\s>:]/i.test(text);
}
