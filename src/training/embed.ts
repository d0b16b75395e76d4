/**
 * Turn training images into backbone features: decode (with the model's resize views), run the
 * backbone, cache by content hash. Shared by `npm run train` and `casb model add-class`.
 *
 * Cache: .cache/embeddings/<backbone sha>/<image sha>-<views>.f32 (views × dim float32), so a
 * re-run with the same images, backbone and views embeds nothing.
 */
import PQueue from 'p-queue';
import { decodeForModel, splitViews, type View } from '../image/decode.js';
import type { BackboneEmbedder } from '../model/classifier.js';
import { EmbeddingCache, sha256 } from './embed-cache.js';
import type { FitImage } from './fit.js';

export interface EmbedJob {
  label: string;
  key: string;
  /** Image bytes (rendered or read) — only called on a cache miss when `knownSha` is set. */
  load: () => Promise<Buffer>;
  /** sha256 of the image bytes, if known from an earlier run (lets a cache hit skip `load`). */
  knownSha?: string;
}

export interface EmbedOptions {
  embedder: BackboneEmbedder;
  views: readonly View[];
  concurrency: number;
  log?: (line: string) => void;
  /** Called with each job's image sha (to remember it for the next run). */
  onSha?: (key: string, sha: string) => void;
}

export interface EmbedStats {
  images: number;
  cacheHits: number;
  failed: { key: string; error: string }[];
  seconds: number;
}

export async function embedJobs(jobs: EmbedJob[], opts: EmbedOptions): Promise<{ images: FitImage[]; stats: EmbedStats }> {
  const t0 = Date.now();
  const { embedder, views } = opts;
  const cache = new EmbeddingCache(embedder.sha256);
  const viewsKey = views.join('+');
  const V = views.length;
  const dim = embedder.dim;
  const fromFlat = (f: Float32Array) => Array.from({ length: V }, (_, v) => f.slice(v * dim, (v + 1) * dim));
  const images: (FitImage | undefined)[] = new Array(jobs.length);
  const failed: EmbedStats['failed'] = [];
  let cacheHits = 0;
  let done = 0;

  // Decoding/rendering runs `concurrency` wide; the backbone takes batches of decoded images.
  const cpu = new PQueue({ concurrency: opts.concurrency });
  const CHUNK = 32;
  for (let c = 0; c < jobs.length; c += CHUNK) {
    const chunk = jobs.slice(c, c + CHUNK);
    const prepared = await Promise.all(
      chunk.map((job, j) =>
        cpu.add(async () => {
          try {
            if (job.knownSha) {
              const hit = cache.get(`${job.knownSha}-${viewsKey}`);
              if (hit && hit.length === V * dim) return { i: c + j, job, sha: job.knownSha, features: hit as Float32Array | null, rgb: null as Uint8Array | null };
            }
            const bytes = await job.load();
            const sha = sha256(bytes);
            opts.onSha?.(job.key, sha);
            const hit = cache.get(`${sha}-${viewsKey}`);
            if (hit && hit.length === V * dim) return { i: c + j, job, sha, features: hit, rgb: null };
            const { rgb } = await decodeForModel(bytes, { size: embedder.size, fit: 'fill', views });
            return { i: c + j, job, sha, features: null as Float32Array | null, rgb };
          } catch (err) {
            failed.push({ key: job.key, error: (err as Error).message });
            return null;
          }
        }),
      ),
    );
    const todo = prepared.filter((p): p is NonNullable<typeof p> & { rgb: Uint8Array } => !!p && !!p.rgb);
    if (todo.length) {
      const rows = await opts.embedder.embed(todo.flatMap((p) => splitViews(p.rgb, embedder.size)));
      todo.forEach((p, k) => {
        const flat = new Float32Array(V * dim);
        for (let v = 0; v < V; v++) flat.set(rows[k * V + v]!, v * dim);
        cache.put(`${p.sha}-${viewsKey}`, flat);
        p.features = flat;
      });
    }
    for (const p of prepared) {
      if (!p) continue;
      if (!p.rgb) cacheHits++;
      images[p.i] = { label: p.job.label, key: p.job.key, views: fromFlat(p.features!) };
    }
    done += chunk.length;
    if ((c / CHUNK) % 10 === 0 || done === jobs.length) opts.log?.(`  ${done}/${jobs.length} images (${((Date.now() - t0) / 1000).toFixed(0)} s; cache hits ${cacheHits})`);
  }
  return {
    images: images.filter((x): x is FitImage => !!x),
    stats: { images: jobs.length, cacheHits, failed, seconds: (Date.now() - t0) / 1000 },
  };
}
