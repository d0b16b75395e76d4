/**
 * FOR TESTS ONLY: writes a manifest + head with small random (seeded) weights, so the
 * classifier can be exercised before a trained head exists. Never ship its output.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BACKBONE_DIM, BACKBONE_LAYER, BACKBONE_SIZE, ensureBackbone } from './backbone.js';
import { type Head, LABELS, type Manifest, parseManifest } from './manifest.js';
import { mulberry32 } from '../util/prng.js';

export interface DevHeadOptions {
  seed?: number;
  name?: string;
  version?: string;
  /** Override the recorded backbone sha256 (e.g. to test the mismatch refusal). */
  backboneSha256?: string;
  /** Backbone directory passed to ensureBackbone. */
  backboneDir?: string;
  /** Weight scale (uniform in ±scale). */
  scale?: number;
  thresholds?: Record<string, number>;
  uncertainBand?: [number, number];
}


/** Write `<dir>/manifest.json` and `<dir>/head.json`; returns the manifest. */
export async function writeDevModel(dir: string, opts: DevHeadOptions = {}): Promise<Manifest> {
  const rand = mulberry32(opts.seed ?? 1);
  const scale = opts.scale ?? 0.05;
  const labels = [...LABELS];
  const backbone = await ensureBackbone(opts.backboneDir ? { dir: opts.backboneDir } : {});
  const head: Head = {
    W: labels.map(() => Array.from({ length: BACKBONE_DIM }, () => (rand() * 2 - 1) * scale)),
    b: labels.map(() => (rand() * 2 - 1) * scale),
  };
  const manifest = parseManifest({
    name: opts.name ?? 'casb-classifier-dev',
    version: opts.version ?? '0.0.0-dev',
    labels,
    input: { size: BACKBONE_SIZE, fit: 'fill', scale: 1 / 255, layout: 'NHWC' },
    backbone: { source: backbone.source, layer: BACKBONE_LAYER, sha256: opts.backboneSha256 ?? backbone.sha256 },
    head: { file: 'head.json', dim: BACKBONE_DIM },
    thresholds: opts.thresholds ?? {},
    ...(opts.uncertainBand ? { uncertainBand: opts.uncertainBand } : {}),
    training: { note: 'DEV HEAD: random weights, for tests only', seed: opts.seed ?? 1 },
  });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'head.json'), JSON.stringify(head));
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
