/** On-disk embedding cache: .cache/embeddings/<backbone sha>/<image sha>.f32 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const EMBED_CACHE = path.resolve('.cache/embeddings');

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

export class EmbeddingCache {
  readonly dir: string;
  constructor(backboneSha: string, root = EMBED_CACHE) {
    this.dir = path.join(root, backboneSha);
    mkdirSync(this.dir, { recursive: true });
  }
  private file(imageSha: string): string {
    return path.join(this.dir, `${imageSha}.f32`);
  }
  get(imageSha: string): Float32Array | null {
    const f = this.file(imageSha);
    if (!existsSync(f)) return null;
    const b = readFileSync(f);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
  put(imageSha: string, features: Float32Array): void {
    writeFileSync(this.file(imageSha), Buffer.from(features.buffer, features.byteOffset, features.byteLength));
  }
}
