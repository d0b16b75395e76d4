/**
 * Write a synthetic data set: DIR/<label>/<n>.jpg|png (and DIR/kinds.tsv: file, kind), printing ms/sample per class.
 *   tsx src/training/synth/cli.ts --out DIR --per-class N --seed S [--labels a,b] [--start I]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LABELS, generateSample, loadSources, type Label } from './index.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'per-class': { type: 'string', default: '50' },
      seed: { type: 'string', default: '1' },
      labels: { type: 'string' },
      start: { type: 'string', default: '0' },
    },
  });
  if (!values.out) throw new Error('--out DIR is required');
  const perClass = Number(values['per-class']);
  const seed = Number(values.seed);
  const labels = (values.labels ? values.labels.split(',') : [...LABELS]) as Label[];
  for (const l of labels) if (!LABELS.includes(l)) throw new Error(`unknown label ${l}`);
  const sources = loadSources();
  if (sources.photos.length === 0) console.warn('no Debian images indexed (run tsx src/training/fetch-debian.ts); using rendered images only');
  const start = Number(values.start);
  const t0 = performance.now();
  const kinds: string[] = [];
  for (const label of labels) {
    const dir = path.join(values.out, label);
    mkdirSync(dir, { recursive: true });
    const t1 = performance.now();
    for (let i = start; i < start + perClass; i++) {
      const s = await generateSample(label, i, seed, sources);
      writeFileSync(path.join(dir, `${i}.${s.ext}`), s.data);
      kinds.push(`${label}/${i}.${s.ext}\t${s.kind}`);
    }
    const ms = (performance.now() - t1) / perClass;
    console.log(`${label}: ${perClass} images, ${ms.toFixed(0)} ms/sample (${((performance.now() - t0) / 1000).toFixed(1)} s total)`);
  }
  writeFileSync(path.join(values.out, 'kinds.tsv'), kinds.join('\n') + '\n');
  console.log(`average ${((performance.now() - t0) / (perClass * labels.length)).toFixed(0)} ms/sample`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
