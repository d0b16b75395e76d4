/**
 * The OCR engine: a pool of tesseract.js workers, fully offline.
 *
 * Design
 * - Workers. Each is a worker_thread running tesseract.js's own Node worker script (through
 *   tesseract-worker.cjs, which quiets the wasm console and reports the wasm heap size). The pool
 *   drives it with tesseract.js's worker protocol (load → loadLanguage → initialize →
 *   setParameters, then recognize) instead of `createWorker`, because createWorker never hands
 *   out the thread while it initialises and never rejects pending jobs on terminate: a worker
 *   whose init failed or hung would keep the process alive forever. Owning the thread, the pool
 *   can always terminate it, and every pending call is rejected when the thread exits.
 *   (Protocol as in tesseract.js 7 src/createWorker.js; the tests exercise it end to end.)
 * - Offline. Language data comes from the @tesseract.js-data/eng npm package (4.0.0_best_int,
 *   LSTM only); the wasm core is `require`d from tesseract.js-core in node_modules (corePath is
 *   not used in Node); the worker script is a local file. Nothing is fetched: the one fetch in
 *   tesseract.js is for a langPath that is a URL, and ours is a directory. The gunzipped
 *   traineddata is written once, atomically, to `cachePath` (default <tmpdir>/casb-scan-tesseract-<uid>)
 *   and workers read it with cacheMethod 'readOnly' (init ≈ 0.1 s faster than gunzipping per
 *   worker); if cachePath is not writable, workers gunzip the package file themselves.
 * - Size and queue. `size` workers (default 1), created lazily when a job needs one. Jobs wait in
 *   FIFO order for a free worker. Image preparation (sharp, prepare.ts) runs before a worker is
 *   taken, at most `size` at a time, so the next image is ready when a worker frees up.
 * - Recycling. A worker is terminated and replaced (lazily) after `recycleAfterJobs` jobs
 *   (default 200; a worker starts in ≈ 0.5–0.7 s, so < 1 % overhead), or after a job that left its
 *   wasm heap above `maxWorkerHeapBytes` (default 512 MiB), or when process RSS is above
 *   `maxRssBytes` (off by default). The per-worker bound is the precise one: tesseract-worker.cjs
 *   reports the wasm linear memory with every reply, and that memory never shrinks, so the worker
 *   that grew on a huge image is exactly the one to end (measured: ~35 MB after a card, ~53 MB
 *   after a dense 5 MP page; prepare.ts caps images at 6 MP, so the bound is a safety net).
 *   Process RSS is process-wide (classifier, sharp, other workers): when set, the worker that just
 *   finished is recycled, which can thrash if something else holds the memory — hence off.
 * - Timeout. `jobTimeoutMs` (default 60 s) runs from when a job gets its worker and covers all its
 *   passes. On expiry the job rejects with ItemError('ocr_timeout'), the worker is terminated
 *   (worker_threads terminate stops wasm mid-loop), and a fresh worker is made for the next job;
 *   other jobs continue. Worker init has its own `initTimeoutMs` (default 30 s) → ItemError('ocr_init').
 * - Abort. A job whose signal is aborted before it starts never runs (rejects with the signal's
 *   reason); aborted while running, it rejects at once and its worker is terminated and replaced
 *   (tesseract cannot be interrupted otherwise).
 * - Passes. Default one pass per image (OCR is the expensive stage; the pipeline decides when to
 *   pay more). `rotations: [0, 90, 180, 270]` (pool-wide or per call) reads each exact rotation as
 *   its own pass; boxes of every pass are mapped back to the original orientation. Small skew
 *   (±10°) is corrected inside every pass by prepare.ts. `autoRotate: true` adds the 90° and 270°
 *   passes only when prepare's profile test says the text runs vertically (cheap, no OCR).
 *   A per-call `prepare` override (e.g. `{ scaleFactor: 0.8 }`) is the cheap second reading for
 *   an image whose first reading gave a recognizer near miss (measured in prepare.ts: it
 *   recovered every near miss of the test set for 3 % more passes).
 * - PSM 6 (one uniform block) by default: measured best on cards, ID pages and MRZ (prepare.ts);
 *   tesseract's own line finder still splits the block into lines.
 * - Output. Words (text trimmed, empty dropped, tesseract conf, box in original pixels) grouped as
 *   tesseract's lines, in reading order (rows top to bottom, left to right within a row, in the
 *   pass's own upright frame); lines repeated in the overlap of two tiles are kept once.
 * - close() rejects queued jobs with ItemError('ocr_closed'), terminates every worker and resolves
 *   when all threads have exited.
 */
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { ItemError } from '../util/errors.js';
import { mapBox, prepareForOcr, type Geometry, type PrepareOptions, type PreparedImage } from './prepare.js';
import type { Box, OcrEngine, OcrLine, OcrResult, OcrWord } from './types.js';

const require = createRequire(import.meta.url);

/** Tesseract page segmentation modes (tesseract.js PSM). */
export type Psm = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '10' | '11' | '12' | '13';

export interface OcrPoolOptions {
  /** Number of tesseract workers (threads). Default 1. */
  size?: number;
  /** Replace a worker after this many jobs. Default 200. */
  recycleAfterJobs?: number;
  /** Replace a worker whose wasm heap is above this after a job. Default 512 MiB. */
  maxWorkerHeapBytes?: number;
  /** Replace the worker that just finished when process RSS is above this. Default off. */
  maxRssBytes?: number;
  /** Per-job limit from when the job gets a worker. Default 60 000 ms. */
  jobTimeoutMs?: number;
  /** Limit for starting one worker. Default 30 000 ms. */
  initTimeoutMs?: number;
  /** Writable folder for the gunzipped language data. Default <os.tmpdir()>/casb-scan-tesseract-<uid>. */
  cachePath?: string;
  /** Folder holding eng.traineddata.gz. Default the @tesseract.js-data/eng package's 4.0.0_best_int. */
  langPath?: string;
  /** Page segmentation mode. Default '6' (one block of text; measured best on cards, ID pages and MRZ, see prepare.ts). */
  psm?: Psm;
  /** Extra tesseract parameters (set per worker after init). */
  tessParams?: Record<string, string>;
  /** Tesseract parameters that only take effect at init (e.g. load_system_dawg). */
  initParams?: Record<string, string>;
  /** Image preparation (scaling, contrast, deskew, tiles). */
  prepare?: PrepareOptions;
  /** Exact rotations read as separate passes (clockwise degrees). Default [0]. */
  rotations?: number[];
  /** Add 90° and 270° passes when the text looks vertical. Default false. */
  autoRotate?: boolean;
  /** Diagnostics printed by tesseract / leptonica inside the workers. Default: dropped. */
  onLog?: (level: string, text: string) => void;
}

export interface OcrPoolStats {
  workersCreated: number;
  /** Workers alive now (idle or busy). */
  workersLive: number;
  jobsDone: number;
  jobsFailed: number;
  /** Workers ended by recycling (job count or memory). */
  recycled: number;
  timeouts: number;
  aborted: number;
  /** Jobs waiting for a worker. */
  queued: number;
  /** Jobs on a worker now. */
  running: number;
  /** Highest wasm heap seen on any worker, bytes. */
  maxWorkerHeapBytes: number;
}

export interface OcrRecognizeOptions {
  signal?: AbortSignal;
  /** Override the pool's rotations for this image. */
  rotations?: number[];
  /** Override the pool's jobTimeoutMs for this image. */
  timeoutMs?: number;
  /**
   * Override preparation for this image, e.g. `{ targetShortSide: 1400 }` for a second reading
   * at another scale when the first one produced a near miss (see prepare.ts MEASUREMENTS).
   */
  prepare?: PrepareOptions;
}

export interface OcrPool extends OcrEngine {
  recognize(image: Buffer, opts?: OcrRecognizeOptions): Promise<OcrResult>;
  stats(): OcrPoolStats;
}

const WORKER_SCRIPT = fileURLToPath(new URL('./tesseract-worker.cjs', import.meta.url));
const OEM_LSTM_ONLY = 1;

export function defaultLangPath(): string {
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
}

/* ------------------------------------------------------------------------------------------ */
/* One tesseract worker thread, spoken to with tesseract.js's worker protocol.                */

interface TessWord {
  text: string;
  confidence: number;
  bbox: { x0: number; y0: number; x1: number; y1: number };
}
interface TessLine {
  words: TessWord[];
}
interface TessBlock {
  paragraphs: { lines: TessLine[] }[];
}
interface TessRecognizeData {
  blocks: TessBlock[] | null;
}

let threadCounter = 0;

class TessThread {
  readonly id: string;
  readonly thread: Worker;
  jobs = 0;
  wasmBytes = 0;
  busy = false;
  dead = false;
  private seq = 0;
  private readonly pending = new Map<string, { resolve: (d: unknown) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<void>;

  constructor(onLog: ((level: string, text: string) => void) | undefined, onExit: (t: TessThread) => void) {
    this.id = `casb-ocr-${++threadCounter}`;
    // No inherited execArgv: the worker is plain CommonJS and needs no loader (--import tsx, --input-type, …).
    this.thread = new Worker(WORKER_SCRIPT, { execArgv: [] });
    this.exited = new Promise((resolve) => {
      this.thread.once('exit', (code) => {
        this.dead = true;
        this.failAll(new Error(`OCR worker exited (code ${code})`));
        resolve();
        onExit(this);
      });
    });
    this.thread.on('error', (err) => {
      // An uncaught error inside the thread (e.g. a wasm abort): the thread is ending.
      this.dead = true;
      this.failAll(err instanceof Error ? err : new Error(String(err)));
    });
    this.thread.on('message', (msg: { status?: string; action?: string; jobId?: string; data?: unknown; wasmBytes?: number; level?: string; text?: string }) => {
      if (typeof msg?.wasmBytes === 'number' && msg.wasmBytes > 0) this.wasmBytes = msg.wasmBytes;
      if (msg?.status === 'casb-log') {
        onLog?.(msg.level ?? 'log', msg.text ?? '');
        return;
      }
      if (msg?.status !== 'resolve' && msg?.status !== 'reject') return; // progress
      const key = `${msg.action}-${msg.jobId}`;
      const p = this.pending.get(key);
      if (!p) return;
      this.pending.delete(key);
      if (msg.status === 'resolve') p.resolve(msg.data);
      else p.reject(new Error(typeof msg.data === 'string' ? msg.data : JSON.stringify(msg.data)));
    });
  }

  call<T>(action: string, payload: unknown, transfer?: ArrayBuffer[]): Promise<T> {
    if (this.dead) return Promise.reject(new Error('OCR worker is gone'));
    const jobId = `${this.id}-${++this.seq}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(`${action}-${jobId}`, { resolve: resolve as (d: unknown) => void, reject });
      this.thread.postMessage({ workerId: this.id, jobId, action, payload }, transfer ?? []);
    });
  }

  async init(o: { langPath: string; cachePath: string | undefined; psm: Psm; tessParams: Record<string, string>; initParams: Record<string, string> }): Promise<void> {
    await this.call('load', { options: { lstmOnly: true, corePath: undefined, logging: false } });
    await this.call('loadLanguage', {
      langs: 'eng',
      options: {
        langPath: o.langPath,
        dataPath: undefined,
        cachePath: o.cachePath,
        cacheMethod: o.cachePath ? 'readOnly' : 'none',
        gzip: true,
        lstmOnly: true,
      },
    });
    await this.call('initialize', { langs: 'eng', oem: OEM_LSTM_ONLY, config: o.initParams });
    await this.call('setParameters', { params: { tessedit_pageseg_mode: o.psm, ...o.tessParams } });
  }

  recognize(png: Buffer): Promise<TessRecognizeData> {
    // Own, transferable copy: the PNG may be a view on a larger (pooled) buffer.
    const image = new Uint8Array(png.length);
    image.set(png);
    return this.call<TessRecognizeData>('recognize', { image, options: {}, output: { text: false, blocks: true } }, [image.buffer]);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Ends the thread; resolves when it has exited. Safe to call twice. */
  async terminate(): Promise<void> {
    this.dead = true;
    this.failAll(new Error('OCR worker terminated'));
    await this.thread.terminate().catch(() => undefined);
    await this.exited;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Language data cache                                                                         */

/**
 * Write <cachePath>/eng.traineddata (gunzipped) once, atomically (temp file + rename, so a worker
 * never reads half a file). An existing file is used only when it has the package's size (gzip
 * ISIZE) and, on POSIX, belongs to this user (a shared /tmp must not feed us someone else's
 * model). Returns the folder, or undefined when it can't be written: workers then gunzip the
 * package file themselves.
 */
function ensureLangCache(langPath: string, cachePath: string): string | undefined {
  const target = path.join(cachePath, 'eng.traineddata');
  const gz = path.join(langPath, 'eng.traineddata.gz');
  try {
    const packed = fs.readFileSync(gz);
    const expected = packed.readUInt32LE(packed.length - 4); // gzip ISIZE
    try {
      const st = fs.statSync(target);
      if (st.size === expected && (typeof process.getuid !== 'function' || st.uid === process.getuid())) return cachePath;
    } catch {
      // not there yet
    }
    fs.mkdirSync(cachePath, { recursive: true, mode: 0o700 });
    const tmp = `${target}.${process.pid}.${randomUUID()}.tmp`;
    fs.writeFileSync(tmp, gunzipSync(packed), { mode: 0o600 });
    fs.renameSync(tmp, target);
    return cachePath;
  } catch {
    return undefined;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Results                                                                                     */

interface PassLine {
  words: OcrWord[];
  box: Box;
  /** Box in the pass's prepared (upright) frame, for reading order and tile edges. */
  frame: { x0: number; y0: number; x1: number; y1: number };
  conf: number;
}

/** The smallest box holding all of `boxes` (a zero box for none). */
export function unionBox(boxes: Box[]): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x); y0 = Math.min(y0, b.y); x1 = Math.max(x1, b.x + b.w); y1 = Math.max(y1, b.y + b.h);
  }
  return boxes.length ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : { x: 0, y: 0, w: 0, h: 0 };
}

function linesOfPass(data: TessRecognizeData, g: Geometry): PassLine[] {
  const out: PassLine[] = [];
  for (const block of data.blocks ?? []) {
    for (const para of block.paragraphs ?? []) {
      for (const line of para.lines ?? []) {
        const words: OcrWord[] = [];
        let fx0 = Infinity, fy0 = Infinity, fx1 = -Infinity, fy1 = -Infinity;
        for (const w of line.words ?? []) {
          const text = (w.text ?? '').trim();
          if (!text) continue;
          const b = w.bbox;
          fx0 = Math.min(fx0, b.x0); fy0 = Math.min(fy0, b.y0); fx1 = Math.max(fx1, b.x1); fy1 = Math.max(fy1, b.y1);
          words.push({ text, conf: Math.round(Math.max(0, Math.min(100, w.confidence ?? 0)) * 10) / 10, box: mapBox({ x: b.x0, y: b.y0, w: b.x1 - b.x0, h: b.y1 - b.y0 }, g) });
        }
        if (!words.length) continue;
        out.push({
          words,
          box: unionBox(words.map((w) => w.box)),
          frame: { x0: fx0, y0: fy0, x1: fx1, y1: fy1 },
          conf: words.reduce((a, w) => a + w.conf, 0) / words.length,
        });
      }
    }
  }
  return out;
}

/** Rows top to bottom (a line joins a row when its vertical centre is within the row's band), left to right within a row. */
export function readingOrder<T extends { frame: { x0: number; y0: number; x1: number; y1: number } }>(lines: T[]): T[] {
  const byY = [...lines].sort((a, b) => a.frame.y0 + a.frame.y1 - (b.frame.y0 + b.frame.y1));
  const rows: { lo: number; hi: number; items: T[] }[] = [];
  for (const l of byY) {
    const cy = (l.frame.y0 + l.frame.y1) / 2;
    const row = rows[rows.length - 1];
    if (row && cy >= row.lo && cy <= row.hi) {
      row.items.push(l);
      continue;
    }
    const h = Math.max(1, l.frame.y1 - l.frame.y0);
    rows.push({ lo: cy - h * 0.35, hi: cy + h * 0.35, items: [l] });
  }
  return rows.flatMap((r) => r.items.sort((a, b) => a.frame.x0 - b.frame.x0));
}

function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0;
}

/** Lines of the tiles of one rotation: drop lines cut by an inner tile edge, then duplicates from the overlaps. */
function mergeTiles(parts: { lines: PassLine[]; img: PreparedImage; first: boolean; last: boolean }[]): PassLine[] {
  const kept: PassLine[] = [];
  for (const p of parts) {
    const g = p.img.geometry;
    const vertical = g.scaledHeight > g.scaledWidth; // tiles run down the image
    const limit = vertical ? g.preparedHeight : g.preparedWidth;
    for (const l of p.lines) {
      const lo = vertical ? l.frame.y0 : l.frame.x0;
      const hi = vertical ? l.frame.y1 : l.frame.x1;
      if ((!p.first && lo <= 2) || (!p.last && hi >= limit - 2)) continue; // cut by a tile edge: the neighbour has it whole
      const dup = kept.findIndex((k) => iou(k.box, l.box) > 0.3);
      if (dup >= 0) {
        if (l.conf > kept[dup]!.conf) kept[dup] = l;
        continue;
      }
      kept.push(l);
    }
  }
  return kept;
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(typeof r === 'string' ? r : 'OCR aborted');
  e.name = 'AbortError';
  return e;
}

/* ------------------------------------------------------------------------------------------ */
/* The pool                                                                                    */

interface Waiter {
  resolve: (t: TessThread) => void;
  reject: (e: Error) => void;
}

/** The characters of a machine-readable zone (ICAO 9303). */
export const MRZ_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<';

/** One worker limited to MRZ_ALPHABET, for the OCR stage's MRZ second look (ocr/stage.ts). */
export function createMrzPool(opts: OcrPoolOptions = {}): OcrPool {
  return createOcrPool({ ...opts, size: 1, tessParams: { ...opts.tessParams, tessedit_char_whitelist: MRZ_ALPHABET } });
}

export function createOcrPool(opts: OcrPoolOptions = {}): OcrPool {
  const size = Math.max(1, Math.floor(opts.size ?? 1));
  const recycleAfterJobs = Math.max(1, opts.recycleAfterJobs ?? 200);
  const maxWorkerHeapBytes = opts.maxWorkerHeapBytes ?? 512 * 2 ** 20;
  const maxRssBytes = opts.maxRssBytes;
  const jobTimeoutMs = opts.jobTimeoutMs ?? 60_000;
  const initTimeoutMs = opts.initTimeoutMs ?? 30_000;
  const langPath = opts.langPath ?? defaultLangPath();
  const cacheDir = opts.cachePath ?? path.join(os.tmpdir(), `casb-scan-tesseract-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
  const psm: Psm = opts.psm ?? '6';
  const tessParams = opts.tessParams ?? {};
  const poolRotations = opts.rotations ?? [0];

  let cachePath: string | undefined | null = null; // null: not decided yet
  const live = new Set<TessThread>();
  let starting = 0;
  const startingThreads = new Set<TessThread>();
  const waiters: Waiter[] = [];
  const ending = new Set<Promise<void>>();
  let closed = false;
  // Preparation slots (sharp work before a worker is taken).
  let preparing = 0;
  const prepWaiters: (() => void)[] = [];

  const st = { workersCreated: 0, jobsDone: 0, jobsFailed: 0, recycled: 0, timeouts: 0, aborted: 0, maxWorkerHeapBytes: 0 };

  /** A thread ended (terminated by us, or crashed): an idle one leaves the pool; waiting jobs get another. */
  function onThreadExit(t: TessThread): void {
    if (!t.busy) live.delete(t);
    dispatch();
  }

  function end(t: TessThread): void {
    live.delete(t);
    const p = t.terminate().finally(() => ending.delete(p));
    ending.add(p);
  }

  async function startThread(): Promise<TessThread> {
    if (cachePath === null) cachePath = ensureLangCache(langPath, cacheDir);
    const t = new TessThread(opts.onLog, onThreadExit);
    st.workersCreated++;
    startingThreads.add(t);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        t.init({ langPath, cachePath, psm, tessParams, initParams: opts.initParams ?? {} }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ItemError('ocr_init', `OCR worker did not start within ${initTimeoutMs} ms`)), initTimeoutMs);
        }),
      ]);
    } catch (err) {
      const p = t.terminate().finally(() => ending.delete(p));
      ending.add(p);
      if (err instanceof ItemError) throw err;
      throw new ItemError('ocr_init', `OCR worker failed to start: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
      startingThreads.delete(t);
    }
    return t;
  }

  /** Hand idle or new workers to waiting jobs, in order. */
  function dispatch(): void {
    if (closed) {
      for (const w of waiters.splice(0)) w.reject(new ItemError('ocr_closed', 'OCR engine closed'));
      return;
    }
    for (const t of live) if (t.dead && !t.busy) live.delete(t);
    while (waiters.length) {
      const idle = [...live].find((t) => !t.busy && !t.dead);
      if (idle) {
        idle.busy = true;
        waiters.shift()!.resolve(idle);
        continue;
      }
      if (live.size + starting >= size) return;
      const w = waiters.shift()!;
      starting++;
      startThread().then(
        (t) => {
          starting--;
          if (closed) {
            end(t);
            w.reject(new ItemError('ocr_closed', 'OCR engine closed'));
            return;
          }
          live.add(t);
          t.busy = true;
          w.resolve(t);
        },
        (err: Error) => {
          starting--;
          w.reject(err);
          dispatch();
        },
      );
    }
  }

  function acquire(signal: AbortSignal | undefined): Promise<TessThread> {
    return new Promise<TessThread>((resolve, reject) => {
      const onAbort = (): void => {
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        st.aborted++;
        reject(abortReason(signal!));
      };
      const w: Waiter = {
        resolve: (t) => {
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) {
            release(t, false);
            st.aborted++;
            reject(abortReason(signal));
            return;
          }
          resolve(t);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(w);
      dispatch();
    });
  }

  /** Return a worker after a job; `counted` jobs advance its recycle counter. */
  function release(t: TessThread, counted: boolean): void {
    t.busy = false;
    if (counted) t.jobs++;
    st.maxWorkerHeapBytes = Math.max(st.maxWorkerHeapBytes, t.wasmBytes);
    if (t.dead) live.delete(t);
    else if (closed) end(t);
    else if (
      counted &&
      (t.jobs >= recycleAfterJobs || t.wasmBytes > maxWorkerHeapBytes || (maxRssBytes !== undefined && process.memoryUsage.rss() > maxRssBytes))
    ) {
      st.recycled++;
      end(t);
    }
    dispatch();
  }

  async function withPrepSlot<T>(fn: () => Promise<T>): Promise<T> {
    while (preparing >= size) await new Promise<void>((r) => prepWaiters.push(r));
    preparing++;
    try {
      return await fn();
    } finally {
      preparing--;
      prepWaiters.shift()?.();
    }
  }

  /** Run all passes of one image on `t`, bounded by the job timeout and the signal. */
  function runPasses(t: TessThread, images: PreparedImage[], signal: AbortSignal | undefined, timeoutMs: number): Promise<{ lines: PassLine[]; passes: string[] }> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, value?: { lines: PassLine[]; passes: string[] }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value!);
      };
      const timer = setTimeout(() => {
        st.timeouts++;
        end(t); // the stuck worker goes; release() sees it dead and the next job gets a fresh one
        finish(new ItemError('ocr_timeout', `OCR took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = (): void => {
        st.aborted++;
        end(t);
        finish(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      (async () => {
        const byRotation = new Map<number, { lines: PassLine[]; img: PreparedImage }[]>();
        for (const img of images) {
          const data = await t.recognize(img.png);
          const list = byRotation.get(img.rotation) ?? [];
          list.push({ lines: readingOrder(linesOfPass(data, img.geometry)), img });
          byRotation.set(img.rotation, list);
        }
        const lines: PassLine[] = [];
        for (const parts of byRotation.values()) {
          // Each tile's lines are in reading order already; tiles follow each other along the cut.
          lines.push(...(parts.length > 1 ? mergeTiles(parts.map((p, i) => ({ ...p, first: i === 0, last: i === parts.length - 1 }))) : parts[0]!.lines));
        }
        return { lines, passes: images.map((i) => i.pass) };
      })().then(
        (v) => finish(undefined, v),
        (err: unknown) => finish(err instanceof ItemError ? err : new ItemError('ocr_error', `OCR failed: ${(err as Error)?.message ?? String(err)}`, { cause: err })),
      );
    });
  }

  async function recognize(image: Buffer, ro: OcrRecognizeOptions = {}): Promise<OcrResult> {
    const { signal } = ro;
    if (closed) throw new ItemError('ocr_closed', 'OCR engine closed');
    if (signal?.aborted) {
      st.aborted++;
      throw abortReason(signal);
    }
    let ms = 0;
    let t: TessThread | undefined;
    try {
      const rotations = ro.rotations ?? poolRotations;
      const prepared = await withPrepSlot(async () => {
        if (signal?.aborted) {
          st.aborted++;
          throw abortReason(signal);
        }
        const t0 = performance.now();
        const p = await prepareForOcr(image, { autoRotate: opts.autoRotate, ...opts.prepare, ...ro.prepare, rotations });
        ms += performance.now() - t0;
        return p;
      });
      t = await acquire(signal);
      const t1 = performance.now();
      const { lines, passes } = await runPasses(t, prepared.images, signal, ro.timeoutMs ?? jobTimeoutMs);
      ms += performance.now() - t1;
      release(t, true);
      t = undefined;
      st.jobsDone++;
      const out: OcrLine[] = lines.map((l) => ({ words: l.words, box: l.box }));
      return { lines: out, width: prepared.width, height: prepared.height, ms: Math.round(ms), passes };
    } catch (err) {
      if (t) release(t, true);
      st.jobsFailed++;
      if (closed && !(err instanceof ItemError && err.reason !== 'ocr_error')) throw new ItemError('ocr_closed', 'OCR engine closed', { cause: err });
      throw err;
    }
  }

  return {
    recognize,
    stats: () => ({
      ...st,
      workersLive: live.size,
      queued: waiters.length,
      running: [...live].filter((t) => t.busy).length,
    }),
    async close() {
      closed = true;
      for (const w of waiters.splice(0)) w.reject(new ItemError('ocr_closed', 'OCR engine closed'));
      // Busy workers too: their jobs reject with ocr_closed; starting ones fail their init.
      for (const t of [...live]) end(t);
      for (const t of [...startingThreads]) {
        const p = t.terminate().finally(() => ending.delete(p));
        ending.add(p);
      }
      while (live.size || starting || ending.size) {
        if (ending.size) await Promise.all([...ending]);
        else await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}
