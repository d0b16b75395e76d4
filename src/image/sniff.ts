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
  if (!ft) return { kind: 'not_image' };
  if (DECODABLE.has(ft.mime)) return { kind: 'image', mime: ft.mime };
  if (ft.mime.startsWith('image/')) return { kind: 'unsupported', mime: ft.mime };
  return { kind: 'not_image', mime: ft.mime };
}
