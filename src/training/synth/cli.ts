/**
 * Write a synthetic data set: DIR/<label>/<n>.jpg|png (and DIR/kinds.tsv: file, kind), printing ms/sample per class.
 *   tsx src/training/synth/cli.ts --out DIR --per-class N --seed S [--labels a,b] [--start I]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../../util/errors.js';
import { runScript } from '../../util/script.js';
import { LABELS, generateSample, loadSources, type Label } from './index.js';

const USAGE = `npm run synth -- --out DIR [--per-class N] [--seed S] [--labels a,b] [--start I] [--verbose]
  Writes DIR/<label>/<index>.jpg|png and DIR/kinds.tsv (file, what was drawn); deterministic per seed.
  --per-class N  images per label (default 50)   --seed S  (default 1)   --labels  a subset of: ${LABELS.join(', ')}`;

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
  if (!values.out) throw new UserError('--out DIR is required');
  // kernel file systems: a recursive mkdir there can spin instead of failing
  if (/^\/(proc|sys|dev)(\/|$)/.test(path.resolve(values.out))) throw new UserError(`--out ${values.out}: not a place for image files (a kernel file system); choose a normal folder`);
  try {
    mkdirSync(values.out, { recursive: true });
  } catch (err) {
    throw new UserError(`--out ${values.out}: cannot create the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const perClass = Number(values['per-class']);
  const seed = Number(values.seed);
  const start = Number(values.start);
  for (const [flag, n, min] of [['--per-class', perClass, 1], ['--seed', seed, 0], ['--start', start, 0]] as const)
    if (!Number.isInteger(n) || n < min) throw new UserError(`${flag} must be a whole number ≥ ${min}`);
  const labels = (values.labels ? values.labels.split(',').map((l) => l.trim()) : [...LABELS]) as Label[];
  for (const l of labels) if (!LABELS.includes(l)) throw new UserError(`unknown label '${l}' (labels: ${LABELS.join(', ')})`);
  const sources = loadSources();
  if (sources.photos.length === 0) console.warn('no Debian images indexed (run tsx src/training/fetch-debian.ts); using rendered images only');
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

runScript('npm run synth', USAGE, main);
