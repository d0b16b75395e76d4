/**
 * The OCR benchmark (`npm run bench -- --only ocr`): on a mixed corpus where about 20% of the
 * images are sensitive (ocr-corpus.ts), compare
 *
 *   A  casb pipeline     scanSource with DEFAULT_POLICY: the classifier decides which images are
 *                        worth OCR (document class, document mass, uncertain band);
 *   B  OCR every image   the same scan with a policy whose OCR gate lets every image through;
 *
 * and report wall time, images/s, OCR'd images, OCR seconds, entity recall (overall, per entity
 * type and per look), false entities, the speed ratio B/A, and where the misses come from: what B
 * misses is what this OCR cannot read; what A misses on top of that is the gate (the image was
 * never OCR'd) or an OCR misread.
 *
 * Both runs are product code, unchanged: fresh data dirs, the shipped model, one OCR worker. The
 * only thing the bench adds is a thin wrapper around the OCR engine (passed as `ocrEngine`, the
 * option scanSource offers for a shared pool) that times every recognize() call per image, so the
 * report can say how OCR time splits between sensitive and ordinary images. Truth entities are
 * compared by keyed hash: CASB_HASH_KEY is set to the bench key during the scans, so the stored
 * findings' value_hash is keyedHash(benchKey, entity, value), like the truth.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeForModel } from '../image/decode.js';
import { openImageClassifier } from '../model/image-classifier.js';
import { createOcrPool } from '../ocr/pool.js';
import type { OcrEngine } from '../ocr/types.js';
import { DEFAULT_POLICY, ocrReason, parsePolicy, withCustomLabels, type Policy } from '../policy/policy.js';
import { scanSource } from '../scan-source.js';
import { openStore } from '../store/index.js';
import { makeOcrCorpus, SENSITIVE_LABELS, TRUTH_ENTITIES, type CorpusItem, type OcrCorpus, type Origin } from './ocr-corpus.js';

/** The fixed bench key (32 bytes, hex): truth and findings are hashed with it. Not a secret. */
export const BENCH_HASH_KEY_HEX = createHash('sha256').update('casb-scan bench: OCR recall key v1').digest('hex');

/** Run B's policy: every top label is in ocr.labels with p ≥ 0, so every image is OCR'd. */
export const OCR_EVERYTHING_YAML = 'ocr:\n  labels: [passport, id_card, ssn_card, payment_card, screenshot, other]\n  minScore: 0\n';

export interface OcrBenchOptions {
  n: number;
  seed?: number;
  /** OCR workers for both runs (default 1, as the pipeline defaults). */
  ocrWorkers?: number;
  sensitiveShare?: number;
  generatorShare?: number;
  /** Keep the temp folder (corpus and both data dirs) and say where it is. */
  keep?: boolean;
  /** Take the non-sensitive images from this <label>/<files> folder (real photos and screenshots). */
  negativesDir?: string;
  log?: (line: string) => void;
}

export interface Count {
  found: number;
  total: number;
  recall: number | null;
}

export interface CategoryOcrTime {
  images: number;
  ocrCalls: number;
  totalMs: number;
  meanMs: number | null;
  medianMs: number | null;
}

export interface RunReport {
  name: string;
  wallMs: number;
  imagesPerSec: number;
  scanned: number;
  failed: Record<string, number>;
  ocrImages: number;
  ocrFailed: number;
  /** Sum of the per-image recognize() wall times (prepare + tesseract), as the bench's wrapper measured them. */
  ocrMs: number;
  /** The pipeline's own stage timings (ms, summed over items; the stages overlap in wall time). */
  stageTimingsMs: Record<string, number>;
  findingsByEntity: Record<string, number>;
  /** A truth entity counts as found when a finding on its image has the same value hash. */
  recall: Count;
  /**
   * Looser: found when the image has a finding of the same entity type, whatever its value (an MRZ
   * whose name field OCR misread still passes every check digit — names carry none — and still
   * raises the finding, with a value that differs from the truth).
   */
  recallSameType: Count;
  /** Truth entities missed while the image has a finding of that type with another value. */
  valueMismatches: number;
  recallByEntity: Record<string, Count>;
  recallByOrigin: Record<string, Count>;
  recallByCategory: Record<string, Count>;
  /** Entity findings (stored) whose (image, value hash) is not a truth entity. */
  falseEntities: { count: number; byEntity: Record<string, number>; images: { name: string; kind: string; entity: string }[] };
  ocrTimeByCategory: Record<string, CategoryOcrTime>;
  ocrTimeSensitive: CategoryOcrTime;
  ocrTimeNotSensitive: CategoryOcrTime;
}

export interface OcrBenchResult {
  n: number;
  seed: number;
  cores: number;
  ocrWorkers: number;
  corpus: {
    sources: string[];
    sensitive: number;
    byCategory: Record<string, number>;
    byOrigin: Record<string, number>;
    truthEntities: number;
    truthByEntity: Record<string, number>;
    /** Ground-truth check per sensitive category: images, images with ≥1 truth entity, what the SVG draws vs what the truth holds. */
    truthCheck: Record<string, { images: number; withTruth: number; truth: Record<string, number>; drawn: { pans: number; ssns: number; mrzBlocks: number; visaMrzBlocks: number } }>;
    /** Sensitive images with no truth entity, and why (the renderer's variant). */
    noTruth: { name: string; kind: string }[];
    generateMs: number;
  };
  runs: { pipeline: RunReport; ocrEverything: RunReport };
  /** The same scan with OCR off (ocr: false): the pipeline's floor on this corpus. */
  classifierOnly: { wallMs: number; imagesPerSec: number; stageTimingsMs: Record<string, number> };
  speedRatio: number;
  /**
   * What a perfect gate (OCR exactly the sensitive images) could reach: its wall time lies between
   * max(classifier-only, B's OCR seconds on the sensitive images) — everything overlapped — and
   * their sum — nothing overlapped; the ratio range is B's wall over those.
   */
  perfectGate: { ocrMsSensitive: number; wallMsLow: number; wallMsHigh: number; speedRatioLow: number; speedRatioHigh: number };
  /**
   * Why the pipeline's policy sends images to OCR (ocrReason over a re-classification of every
   * image, outside the timed runs), per category: reason kind → images.
   */
  gate: { byCategory: Record<string, Record<string, number>>; predictedOcr: number; pipelineOcr: number };
  /** Non-sensitive images by generator kind (label:renderer): how many, and how many the pipeline OCR'd. */
  negativesByKind: Record<string, { images: number; pipelineOcr: number }>;
  /** A's recall among the entities B found ("at the same entity recall"). */
  pipelineRecallOfOcrEverything: Count;
  misses: {
    /** Truth entities B (OCR on every image) does not find: the OCR's own limits. */
    ocrEverything: { total: number; ocrFailed: number; misread: number; byOrigin: Record<string, number> };
    /** Truth entities A does not find, by cause. */
    pipeline: {
      total: number;
      /** The policy did not send the image to OCR (label: what the classifier said). */
      gate: { count: number; images: { name: string; kind: string; label: string | null }[] };
      /** A OCR'd the image and still missed it. */
      ocrMisread: number;
      ocrFailed: number;
      /** Of A's OCR misses, how many B also missed (same OCR, same image). */
      ocrMissAlsoMissedByB: number;
    };
    /** Found by A but not by B (OCR is deterministic per image, so ideally 0). */
    foundByAOnly: number;
    /** Every truth entity B missed: image, look, entity, and whether B found that type there with another value. */
    ocrEverythingList: { name: string; kind: string; entity: string; otherValue: boolean }[];
  };
}

interface OcrCall {
  ms: number;
  ok: boolean;
}

/** An engine that records, per image (by sha256 of the bytes), how long recognize() took. */
function timedEngine(inner: OcrEngine, calls: Map<string, OcrCall[]>): OcrEngine {
  return {
    async recognize(image, opts) {
      const key = createHash('sha256').update(image).digest('hex');
      const t0 = performance.now();
      let ok = false;
      try {
        const r = await inner.recognize(image, opts);
        ok = true;
        return r;
      } finally {
        const list = calls.get(key) ?? [];
        list.push({ ms: performance.now() - t0, ok });
        calls.set(key, list);
      }
    },
    close: () => inner.close(),
  };
}

const ratio = (found: number, total: number): Count => ({ found, total, recall: total ? found / total : null });

function add(map: Record<string, [number, number]>, key: string, hit: boolean) {
  const c = (map[key] ??= [0, 0]);
  c[1]++;
  if (hit) c[0]++;
}

const counts = (m: Record<string, [number, number]>): Record<string, Count> => Object.fromEntries(Object.entries(m).map(([k, [f, t]]) => [k, ratio(f, t)]));

function timeStats(items: CorpusItem[], calls: Map<string, OcrCall[]>): CategoryOcrTime {
  const ms: number[] = [];
  for (const it of items) for (const c of calls.get(it.sha256) ?? []) ms.push(c.ms);
  ms.sort((a, b) => a - b);
  const total = ms.reduce((a, b) => a + b, 0);
  const mid = ms.length ? (ms.length % 2 ? ms[(ms.length - 1) / 2]! : (ms[ms.length / 2 - 1]! + ms[ms.length / 2]!) / 2) : null;
  return { images: items.length, ocrCalls: ms.length, totalMs: total, meanMs: ms.length ? total / ms.length : null, medianMs: mid };
}

interface RunRaw {
  report: RunReport;
  /** Per image: the value hashes found (entity findings). */
  found: Map<string, Set<string>>;
  /** Per image: OCR calls made. */
  calls: Map<string, OcrCall[]>;
  /** Per image name: the classifier's label. */
  labels: Map<string, string | null>;
  /** Per image name: entity types found (any value). */
  types: Map<string, Set<string>>;
}

/** The reason kind of an ocrReason() string. */
function reasonKind(why: string | undefined): string {
  if (!why) return 'not OCR\'d';
  if (why.startsWith('top label')) return 'document label';
  if (why.startsWith('document classes')) return 'document mass';
  if (why.startsWith('classifier uncertain')) return 'uncertain';
  if (why.startsWith('screenshot')) return 'screenshots on';
  return why.split(' ')[0] ?? 'other';
}

/** Re-classify every image (as the pipeline does: decodeForModel + the batched classifier) and ask the policy why it would OCR it. */
async function gateAnalysis(corpus: OcrCorpus, policy: Policy): Promise<{ byCategory: Record<string, Record<string, number>>; predicted: Set<string> }> {
  const classifier = await openImageClassifier();
  try {
    const p = withCustomLabels(policy, classifier.inner.manifest.customLabels);
    const byCategory: Record<string, Record<string, number>> = {};
    const predicted = new Set<string>();
    for (const it of corpus.items) {
      const img = await decodeForModel(await readFile(path.join(corpus.dir, it.name)), classifier.input);
      const why = ocrReason(await classifier.classify(img.rgb), p);
      if (why) predicted.add(it.name);
      const c = (byCategory[it.category] ??= {});
      const k = reasonKind(why);
      c[k] = (c[k] ?? 0) + 1;
    }
    return { byCategory, predicted };
  } finally {
    await classifier.close();
  }
}

async function runOne(name: string, corpus: OcrCorpus, dataDir: string, policy: Policy, ocrWorkers: number, log: (l: string) => void): Promise<RunRaw> {
  // warm the embedded database once so its first-time initialisation is not counted as scanning
  await (await openStore({ dataDir })).close();
  const calls = new Map<string, OcrCall[]>();
  // the same pool scanSource would create (lazy workers: their start-up is inside the timed scan)
  const engine = timedEngine(createOcrPool({ size: ocrWorkers, cachePath: path.join(dataDir, 'tesseract') }), calls);
  const found = new Map<string, Set<string>>();
  const labels = new Map<string, string | null>();
  const rows: { name: string; entity: string; hash: string }[] = [];
  log(`${name}: scanning ${corpus.items.length} images...`);
  const t0 = performance.now();
  let summary;
  try {
    summary = await scanSource(corpus.dir, { dataDir, policy, ocrWorkers, ocrEngine: engine }, async (store, s) => {
      for (const f of await store.listFindings({ limit: 1_000_000 })) {
        if (!f.entity_type) continue;
        rows.push({ name: path.basename(f.path), entity: f.entity_type, hash: f.value_hash });
      }
      for (const o of await store.itemOutcomes(s.source)) labels.set(path.basename(o.externalId), o.label);
    });
  } finally {
    await engine.close();
  }
  const wallMs = performance.now() - t0;
  for (const r of rows) {
    const set = found.get(r.name) ?? new Set<string>();
    set.add(r.hash);
    found.set(r.name, set);
  }

  const byEntity: Record<string, [number, number]> = {};
  const byOrigin: Record<string, [number, number]> = {};
  const byCategory: Record<string, [number, number]> = {};
  let hits = 0;
  let sameType = 0;
  let mismatches = 0;
  let total = 0;
  const truthKeys = new Set<string>();
  const typesOn = new Map<string, Set<string>>();
  for (const r of rows) {
    const t = typesOn.get(r.name) ?? new Set<string>();
    t.add(r.entity);
    typesOn.set(r.name, t);
  }
  for (const it of corpus.items) {
    for (const t of it.truth) {
      truthKeys.add(`${it.name}\n${t.hash}`);
      const hit = found.get(it.name)?.has(t.hash) ?? false;
      const typeHit = typesOn.get(it.name)?.has(t.entity) ?? false;
      total++;
      if (hit) hits++;
      if (hit || typeHit) sameType++;
      if (!hit && typeHit) mismatches++;
      add(byEntity, t.entity, hit);
      add(byOrigin, it.origin, hit);
      add(byCategory, it.category, hit);
    }
  }
  for (const e of TRUTH_ENTITIES) byEntity[e] ??= [0, 0];
  const kindOf = new Map(corpus.items.map((i) => [i.name, i.kind]));
  const falseRows = rows.filter((r) => !truthKeys.has(`${r.name}\n${r.hash}`));
  // one stored finding per (image, entity, hash); dedupe anyway (a finding per label is possible)
  const falseUnique = [...new Map(falseRows.map((r) => [`${r.name}\n${r.hash}`, r])).values()];
  const falseByEntity: Record<string, number> = {};
  for (const r of falseUnique) falseByEntity[r.entity] = (falseByEntity[r.entity] ?? 0) + 1;

  const ocrMs = [...calls.values()].flat().reduce((a, c) => a + c.ms, 0);
  const cats = [...new Set(corpus.items.map((i) => i.category))];
  const report: RunReport = {
    name,
    wallMs,
    imagesPerSec: corpus.items.length / (wallMs / 1000),
    scanned: summary.scanned,
    failed: summary.failed,
    ocrImages: summary.ocr.images,
    ocrFailed: summary.ocr.failed,
    ocrMs,
    stageTimingsMs: summary.timings,
    findingsByEntity: summary.findingsByEntity,
    recall: ratio(hits, total),
    recallSameType: ratio(sameType, total),
    valueMismatches: mismatches,
    recallByEntity: counts(byEntity),
    recallByOrigin: counts(byOrigin),
    recallByCategory: counts(byCategory),
    falseEntities: { count: falseUnique.length, byEntity: falseByEntity, images: falseUnique.map((r) => ({ name: r.name, kind: kindOf.get(r.name) ?? '?', entity: r.entity })) },
    ocrTimeByCategory: Object.fromEntries(cats.map((c) => [c, timeStats(corpus.items.filter((i) => i.category === c), calls)])),
    ocrTimeSensitive: timeStats(corpus.items.filter((i) => i.sensitive), calls),
    ocrTimeNotSensitive: timeStats(corpus.items.filter((i) => !i.sensitive), calls),
  };
  log(`${name}: ${(wallMs / 1000).toFixed(1)} s, ${summary.ocr.images} OCR'd, recall ${hits}/${total}`);
  return { report, found, calls, labels, types: typesOn };
}

export async function runOcrBench(opts: OcrBenchOptions): Promise<OcrBenchResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const seed = opts.seed ?? 7;
  const ocrWorkers = opts.ocrWorkers ?? 1;
  const key = Buffer.from(BENCH_HASH_KEY_HEX, 'hex');
  const prevKey = process.env.CASB_HASH_KEY;
  const root = await mkdtemp(path.join(os.tmpdir(), 'casb-ocr-bench-'));
  process.env.CASB_HASH_KEY = BENCH_HASH_KEY_HEX;
  try {
    const dir = path.join(root, 'corpus');
    await mkdir(dir);
    log(`ocr bench: generating ${opts.n} images (seed ${seed})...`);
    const g0 = performance.now();
    const corpus = await makeOcrCorpus(dir, { n: opts.n, seed, hashKey: key, sensitiveShare: opts.sensitiveShare, generatorShare: opts.generatorShare, negativesDir: opts.negativesDir, log });
    const generateMs = performance.now() - g0;

    // C first: it also takes the cold start (file cache, model file) off the two compared runs
    const cDir = path.join(root, 'db-no-ocr');
    await (await openStore({ dataDir: cDir })).close();
    log(`classifier only: scanning ${corpus.items.length} images (ocr: false)...`);
    const c0 = performance.now();
    const cSummary = await scanSource(corpus.dir, { dataDir: cDir, policy: DEFAULT_POLICY, ocr: false });
    const cMs = performance.now() - c0;
    log(`classifier only: ${(cMs / 1000).toFixed(1)} s`);

    const a = await runOne('casb pipeline', corpus, path.join(root, 'db-pipeline'), DEFAULT_POLICY, ocrWorkers, log);
    const b = await runOne('OCR every image', corpus, path.join(root, 'db-ocr-all'), parsePolicy(OCR_EVERYTHING_YAML), ocrWorkers, log);

    log('gate analysis: re-classifying every image...');
    const gate = await gateAnalysis(corpus, DEFAULT_POLICY);

    // ---- misses
    const okCall = (run: RunRaw, it: CorpusItem) => (run.calls.get(it.sha256) ?? []).some((c) => c.ok);
    const ocrd = (run: RunRaw, it: CorpusItem) => (run.calls.get(it.sha256) ?? []).length > 0;
    let bTotal = 0;
    let bFailed = 0;
    const bByOrigin: Record<string, number> = {};
    let aTotal = 0;
    let aMisread = 0;
    let aFailed = 0;
    let aMissAlsoB = 0;
    let aOnly = 0;
    let bFound = 0;
    let aOfB = 0;
    const gated = new Map<string, { name: string; kind: string; label: string | null; n: number }>();
    const bMissList: { name: string; kind: string; entity: string; otherValue: boolean }[] = [];
    for (const it of corpus.items) {
      for (const t of it.truth) {
        const inA = a.found.get(it.name)?.has(t.hash) ?? false;
        const inB = b.found.get(it.name)?.has(t.hash) ?? false;
        if (inB) {
          bFound++;
          if (inA) aOfB++;
        } else {
          bTotal++;
          if (!okCall(b, it)) bFailed++;
          bMissList.push({ name: it.name, kind: it.kind, entity: t.entity, otherValue: b.types.get(it.name)?.has(t.entity) ?? false });
          bByOrigin[it.origin] = (bByOrigin[it.origin] ?? 0) + 1;
        }
        if (inA && !inB) aOnly++;
        if (!inA) {
          aTotal++;
          if (!ocrd(a, it)) {
            const g = gated.get(it.name) ?? { name: it.name, kind: it.kind, label: a.labels.get(it.name) ?? null, n: 0 };
            g.n++;
            gated.set(it.name, g);
          } else if (!okCall(a, it)) aFailed++;
          else {
            aMisread++;
            if (!inB) aMissAlsoB++;
          }
        }
      }
    }

    // ---- corpus summary and the ground-truth check
    const byCategory: Record<string, number> = {};
    const byOrigin: Record<Origin | string, number> = {};
    const truthByEntity: Record<string, number> = Object.fromEntries(TRUTH_ENTITIES.map((e) => [e, 0]));
    const truthCheck: OcrBenchResult['corpus']['truthCheck'] = {};
    const noTruth: { name: string; kind: string }[] = [];
    for (const it of corpus.items) {
      byCategory[it.category] = (byCategory[it.category] ?? 0) + 1;
      byOrigin[`${it.sensitive ? 'sensitive' : 'not sensitive'}:${it.origin}`] = (byOrigin[`${it.sensitive ? 'sensitive' : 'not sensitive'}:${it.origin}`] ?? 0) + 1;
      for (const t of it.truth) truthByEntity[t.entity] = (truthByEntity[t.entity] ?? 0) + 1;
      if (!it.sensitive) continue;
      const c = (truthCheck[it.category] ??= { images: 0, withTruth: 0, truth: {}, drawn: { pans: 0, ssns: 0, mrzBlocks: 0, visaMrzBlocks: 0 } });
      c.images++;
      if (it.truth.length) c.withTruth++;
      else noTruth.push({ name: it.name, kind: it.kind });
      for (const t of it.truth) c.truth[t.entity] = (c.truth[t.entity] ?? 0) + 1;
      c.drawn.pans += it.drawn?.pans ?? 0;
      c.drawn.ssns += it.drawn?.ssns ?? 0;
      c.drawn.mrzBlocks += it.drawn?.mrzBlocks ?? 0;
      c.drawn.visaMrzBlocks += it.drawn?.visaMrzBlocks ?? 0;
    }
    const truthTotal = corpus.items.reduce((s, i) => s + i.truth.length, 0);

    return {
      n: corpus.items.length,
      seed,
      cores: os.availableParallelism(),
      ocrWorkers,
      corpus: {
        sources: corpus.sources,
        sensitive: corpus.items.filter((i) => i.sensitive).length,
        byCategory,
        byOrigin,
        truthEntities: truthTotal,
        truthByEntity,
        truthCheck,
        noTruth,
        generateMs,
      },
      runs: { pipeline: a.report, ocrEverything: b.report },
      classifierOnly: { wallMs: cMs, imagesPerSec: corpus.items.length / (cMs / 1000), stageTimingsMs: cSummary.timings },
      speedRatio: b.report.wallMs / a.report.wallMs,
      perfectGate: {
        ocrMsSensitive: b.report.ocrTimeSensitive.totalMs,
        wallMsLow: Math.max(cMs, b.report.ocrTimeSensitive.totalMs),
        wallMsHigh: cMs + b.report.ocrTimeSensitive.totalMs,
        speedRatioLow: b.report.wallMs / (cMs + b.report.ocrTimeSensitive.totalMs),
        speedRatioHigh: b.report.wallMs / Math.max(cMs, b.report.ocrTimeSensitive.totalMs),
      },
      gate: {
        byCategory: gate.byCategory,
        predictedOcr: gate.predicted.size,
        pipelineOcr: corpus.items.filter((it) => ocrd(a, it)).length,
      },
      negativesByKind: (() => {
        const m: Record<string, { images: number; pipelineOcr: number }> = {};
        for (const it of corpus.items) {
          if (it.sensitive) continue;
          const k = it.kind.replace(/^gen:/, '').split(':').slice(0, 2).join(':');
          const e = (m[k] ??= { images: 0, pipelineOcr: 0 });
          e.images++;
          if (ocrd(a, it)) e.pipelineOcr++;
        }
        return m;
      })(),
      pipelineRecallOfOcrEverything: ratio(aOfB, bFound),
      misses: {
        ocrEverything: { total: bTotal, ocrFailed: bFailed, misread: bTotal - bFailed, byOrigin: bByOrigin },
        pipeline: {
          total: aTotal,
          gate: { count: [...gated.values()].reduce((s, g) => s + g.n, 0), images: [...gated.values()].map(({ name, kind, label }) => ({ name, kind, label })) },
          ocrMisread: aMisread,
          ocrFailed: aFailed,
          ocrMissAlsoMissedByB: aMissAlsoB,
        },
        foundByAOnly: aOnly,
        ocrEverythingList: bMissList,
      },
    };
  } finally {
    if (prevKey === undefined) delete process.env.CASB_HASH_KEY;
    else process.env.CASB_HASH_KEY = prevKey;
    if (opts.keep) log(`ocr bench: kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------ report

const pct = (c: Count) => (c.recall === null ? '   -  ' : `${(c.recall * 100).toFixed(1).padStart(5)}%`);
const frac = (c: Count) => `${c.found}/${c.total}`;
const secs = (ms: number) => (ms / 1000).toFixed(1);
const msOrDash = (x: number | null) => (x === null ? '-' : `${Math.round(x)}`);

/** The table and the analysis, as printed by `npm run bench`. */
export function formatOcrBench(r: OcrBenchResult): string {
  const out: string[] = [];
  const A = r.runs.pipeline;
  const B = r.runs.ocrEverything;
  const cat = (k: string) => `${r.corpus.byCategory[k] ?? 0} ${k}`;
  out.push('');
  out.push(`OCR benchmark: ${r.n} images, ${r.corpus.sensitive} sensitive (${SENSITIVE_LABELS.map(cat).join(', ')}), ${r.n - r.corpus.sensitive} not (${cat('other')}, ${cat('screenshot')}); seed ${r.seed}; ${r.cores} cores, ${r.ocrWorkers} OCR worker(s)`);
  for (const s of r.corpus.sources) out.push(`  source: ${s}`);
  out.push(`  looks: ${Object.entries(r.corpus.byOrigin).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push(`  truth: ${r.corpus.truthEntities} entities (${Object.entries(r.corpus.truthByEntity).map(([k, v]) => `${k} ${v}`).join(', ')}), from the SVG text through findEntities`);
  for (const [c, t] of SENSITIVE_LABELS.flatMap((l) => (r.corpus.truthCheck[l] ? [[l, r.corpus.truthCheck[l]] as const] : []))) {
    out.push(`    ${c.padEnd(13)} ${t.images} images, ${t.withTruth} with truth; truth ${Object.entries(t.truth).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; drawn: PAN ${t.drawn.pans}, SSN ${t.drawn.ssns}, MRZ-shaped blocks ${t.drawn.mrzBlocks}${t.drawn.visaMrzBlocks ? ` (+${t.drawn.visaMrzBlocks} visa MRZ, random check digits)` : ''}`);
  }
  if (r.corpus.noTruth.length) out.push(`  sensitive images without a truth entity: ${r.corpus.noTruth.map((x) => `${x.name} (${x.kind})`).join(', ')}`);
  out.push('');
  const ents = TRUTH_ENTITIES.filter((e) => (r.corpus.truthByEntity[e] ?? 0) > 0);
  const short: Record<string, string> = { payment_card_number: 'PAN', us_ssn: 'SSN', mrz: 'MRZ', iban: 'IBAN' };
  const head = `${'run'.padEnd(18)}${'wall s'.padStart(8)}${'img/s'.padStart(7)}${"OCR'd".padStart(7)}${'OCR s'.padStart(8)}${'recall'.padStart(16)}${ents.map((e) => (short[e] ?? e).padStart(9)).join('')}${'same-type'.padStart(11)}${'false'.padStart(7)}`;
  out.push(head);
  for (const run of [A, B]) {
    out.push(
      `${run.name.padEnd(18)}${secs(run.wallMs).padStart(8)}${run.imagesPerSec.toFixed(2).padStart(7)}${String(run.ocrImages).padStart(7)}${secs(run.ocrMs).padStart(8)}${`${frac(run.recall)} ${pct(run.recall)}`.padStart(16)}${ents.map((e) => frac(run.recallByEntity[e]!).padStart(9)).join('')}${frac(run.recallSameType).padStart(11)}${String(run.falseEntities.count).padStart(7)}`,
    );
  }
  const C = r.classifierOnly;
  out.push(`${'(classifier only)'.padEnd(18)}${secs(C.wallMs).padStart(8)}${C.imagesPerSec.toFixed(2).padStart(7)}${'0'.padStart(7)}${'0.0'.padStart(8)}   (ocr: false — the pipeline's floor)`);
  out.push(`  recall: same value hash as the truth; same-type: a finding of that entity type on the image, any value; false: entity findings (image, value) not in the truth`);
  out.push('');
  const target = r.speedRatio >= 10 ? 'meets' : 'does NOT meet';
  out.push(`speed ratio (OCR every image / casb pipeline): ${r.speedRatio.toFixed(2)}× (${target} the 10× target)`);
  const pg = r.perfectGate;
  out.push(`a perfect gate (OCR exactly the ${r.corpus.sensitive} sensitive images, ${secs(pg.ocrMsSensitive)} s of OCR in B) would take ${secs(pg.wallMsLow)}–${secs(pg.wallMsHigh)} s: at most ${pg.speedRatioHigh.toFixed(1)}× (${pg.speedRatioLow.toFixed(1)}× without overlap) on this corpus`);
  const perImg = r.classifierOnly.wallMs / r.n;
  const share = r.corpus.sensitive / r.n;
  const os_ = B.ocrTimeSensitive.meanMs ?? 0;
  const on = B.ocrTimeNotSensitive.meanMs ?? 0;
  if (os_ > 0 && share > 0 && share < 1) {
    const cap = 1 + ((1 - share) * on) / (share * os_);
    out.push(
      `  why: classify ≈ ${Math.round(perImg)} ms/image, OCR ≈ ${Math.round(os_)} ms per sensitive and ${Math.round(on)} ms per other image (serial, one worker); with ${(share * 100).toFixed(0)}% of the images needing OCR, B/A ≤ 1 + ${(1 - share).toFixed(2)}·${Math.round(on)} / (${share.toFixed(2)}·${Math.round(os_)}) ≈ ${cap.toFixed(1)}× even with a perfect gate; 10× needs ≤ ~10% of images worth OCR at equal OCR cost`,
    );
  }
  const g = r.gate;
  out.push(`gate (policy ocrReason on a re-classification; pipeline OCR'd ${g.pipelineOcr}, re-classification predicts ${g.predictedOcr}):`);
  for (const c of [...SENSITIVE_LABELS, 'screenshot', 'other']) {
    const m = g.byCategory[c];
    if (m) out.push(`    ${c.padEnd(13)} ${Object.entries(m).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  const neg = Object.entries(r.negativesByKind).sort((x, y) => y[1].pipelineOcr - x[1].pipelineOcr || y[1].images - x[1].images);
  out.push(`non-sensitive images the pipeline OCR'd, by kind (OCR'd/images): ${neg.map(([k, v]) => `${k} ${v.pipelineOcr}/${v.images}`).join(', ')}`);
  out.push(`casb pipeline finds ${frac(r.pipelineRecallOfOcrEverything)} (${pct(r.pipelineRecallOfOcrEverything).trim()}) of the entities OCR-every-image finds; found by the pipeline only: ${r.misses.foundByAOnly}`);
  const origins = [...new Set([...Object.keys(A.recallByOrigin), ...Object.keys(B.recallByOrigin)])];
  out.push(`recall by look:     ${origins.map((o) => `${o}: A ${frac(A.recallByOrigin[o] ?? ratio(0, 0))}, B ${frac(B.recallByOrigin[o] ?? ratio(0, 0))}`).join(' · ')}`);
  const cats = SENSITIVE_LABELS.filter((c) => A.recallByCategory[c] || B.recallByCategory[c]);
  out.push(`recall by document: ${cats.map((c) => `${c}: A ${frac(A.recallByCategory[c] ?? ratio(0, 0))}, B ${frac(B.recallByCategory[c] ?? ratio(0, 0))}`).join(' · ')}`);
  const mb = r.misses.ocrEverything;
  out.push(`OCR every image misses ${mb.total} truth entities (OCR limits: ${mb.misread} misread, ${mb.ocrFailed} OCR failed/timed out; by look: ${Object.entries(mb.byOrigin).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; ${B.valueMismatches} of them found with another value)`);
  for (const m of r.misses.ocrEverythingList) out.push(`    missed: ${m.name} ${short[m.entity] ?? m.entity} (${m.kind})${m.otherValue ? ' — found with another value' : ''}`);
  const ma = r.misses.pipeline;
  out.push(`casb pipeline misses ${ma.total}: ${ma.gate.count} not OCR'd (classifier/policy gate), ${ma.ocrMisread} OCR'd but misread (${ma.ocrMissAlsoMissedByB} of them missed by OCR-every-image too), ${ma.ocrFailed} OCR failed`);
  for (const g of ma.gate.images) out.push(`    gate: ${g.name} ${g.kind} → classified ${g.label ?? '?'}`);
  for (const run of [A, B]) {
    if (run.falseEntities.count) out.push(`false entities (${run.name}): ${run.falseEntities.images.map((f) => `${f.name} ${f.entity} (${f.kind})`).join(', ')}`);
  }
  out.push('');
  out.push(`OCR time per call (ms; prepare + tesseract, one worker)`);
  out.push(`${'images'.padEnd(16)}${'n'.padStart(5)}${"A OCR'd".padStart(9)}${'A mean'.padStart(8)}${"B OCR'd".padStart(9)}${'B mean'.padStart(8)}${'B median'.padStart(10)}${'B total s'.padStart(11)}`);
  const row = (label: string, a: CategoryOcrTime, b: CategoryOcrTime) =>
    `${label.padEnd(16)}${String(a.images).padStart(5)}${String(a.ocrCalls).padStart(9)}${msOrDash(a.meanMs).padStart(8)}${String(b.ocrCalls).padStart(9)}${msOrDash(b.meanMs).padStart(8)}${msOrDash(b.medianMs).padStart(10)}${secs(b.totalMs).padStart(11)}`;
  const allCats = [...SENSITIVE_LABELS, 'screenshot', 'other'].filter((c) => B.ocrTimeByCategory[c]);
  for (const c of allCats) out.push(row(c, A.ocrTimeByCategory[c]!, B.ocrTimeByCategory[c]!));
  out.push(row('sensitive', A.ocrTimeSensitive, B.ocrTimeSensitive));
  out.push(row('not sensitive', A.ocrTimeNotSensitive, B.ocrTimeNotSensitive));
  const stage = (run: RunReport) => Object.entries(run.stageTimingsMs).map(([k, v]) => `${k} ${secs(v)}`).join(', ');
  out.push(`stage time sums (s, overlapping): A ${stage(A)} · B ${stage(B)}`);
  return `${out.join('\n')}\n`;
}
