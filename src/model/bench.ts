/**
 * Micro-benchmark of the classifier session: ms/image by batch size and thread setting, with a
 * random dev head (numbers do not depend on the head).
 *   tsx src/model/bench.ts [rounds=5] [busy]    (busy: one extra busy-loop process, like a decoder on the other core)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBatcher, loadClassifier } from './classifier.js';
import { writeDevModel } from './dev-head.js';

const rounds = Number(process.argv[2] ?? 5);
const busy = process.argv[3] === 'busy';
const dir = await mkdtemp(path.join(tmpdir(), 'casb-bench-'));
try {
  await writeDevModel(dir);
  const mk = (intraOpThreads: number, spinning: boolean) => loadClassifier({ modelDir: dir, intraOpThreads, spinning });
  const clfs = { 't1': await mk(1, false), 't2-spin': await mk(2, true), 't2-nospin': await mk(2, false) };
  const imgs = Array.from({ length: 16 }, () => Uint8Array.from({ length: 224 * 224 * 3 }, () => (Math.random() * 256) | 0));
  const res: Record<string, number[]> = {};
  const hog = busy ? spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }) : undefined;
  try {
    for (let r = 0; r < rounds; r++) {
      for (const [name, clf] of Object.entries(clfs)) {
        for (const bs of [1, 4, 8, 16]) {
          await clf.classify(imgs.slice(0, bs));
          const t = performance.now();
          let n = 0;
          while (n < 48) {
            await clf.classify(imgs.slice(0, bs));
            n += bs;
          }
          (res[`${name} bs=${bs}`] ??= []).push((performance.now() - t) / n);
        }
        const b = createBatcher(clf);
        const t = performance.now();
        await Promise.all(Array.from({ length: 48 }, (_, i) => b.classify(imgs[i % 16]!)));
        (res[`${name} batcher(defaults) 48 concurrent`] ??= []).push((performance.now() - t) / 48);
      }
    }
  } finally {
    hog?.kill();
  }
  if (busy) console.log('with one busy-loop process');
  for (const [k, v] of Object.entries(res)) {
    const s = [...v].sort((a, b) => a - b);
    console.log(k.padEnd(40), 'median', s[Math.floor(s.length / 2)]!.toFixed(2), 'min', s[0]!.toFixed(2), 'ms/img');
  }
  for (const c of Object.values(clfs)) await c.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
