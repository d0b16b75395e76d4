/**
 * Micro-batcher: groups concurrent single-image `classify` calls into batched session runs.
 *
 * A batch is flushed when it reaches `maxBatch`, when `maxWaitMs` has passed since its first
 * row arrived, or — while a run is in flight — as soon as that run ends (those rows have
 * already waited). At most `maxInFlight` runs go at once, so the session's intra-op threads
 * are not oversubscribed.
 *
 * With a multi-view model the batcher schedules views, not images: an image's first view joins
 * the queue; only when that view does not decide alone (early exit) do its other views join, and
 * they ride in the next run together with other images' first views. Running them as a second,
 * small run of their own per batch (what `Classifier.classify` does) left the session idle
 * between runs and ran at batch size ~1, the costliest per row.
 */
import type { Classification, Classifier, ViewScorer } from './classifier.js';

export interface BatcherOptions {
  maxBatch?: number;
  maxWaitMs?: number;
  maxInFlight?: number;
}

/**
 * Defaults from measurements on the 2-core dev machine (onnxruntime-node, 2 intra-op threads,
 * no spinning; numbers in src/model/README.md): batch 4 is ~20-25% cheaper per image than
 * batch 1, batch 8 is no better and 16 is worse. A short wait only costs latency when idle;
 * under load batches form while the previous run is in flight.
 */
export const DEFAULT_BATCHER: Required<BatcherOptions> = { maxBatch: 4, maxWaitMs: 2, maxInFlight: 1 };

export interface Batcher {
  classify(one: Uint8Array): Promise<Classification>;
  /** Rows (images, or views of a multi-view model) waiting, not yet in a run. */
  readonly pending: number;
  /** Wait for everything queued to finish (does not close the classifier). */
  drain(): Promise<void>;
}

interface Job<I, O> {
  row: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

/** The scheduling core: rows in, one result per row, `run` called on batches of rows. */
function rowBatcher<I, O>(run: (rows: I[]) => Promise<O[]>, opts: BatcherOptions) {
  const maxBatch = Math.max(1, opts.maxBatch ?? DEFAULT_BATCHER.maxBatch);
  const maxWaitMs = Math.max(0, opts.maxWaitMs ?? DEFAULT_BATCHER.maxWaitMs);
  const maxInFlight = Math.max(1, opts.maxInFlight ?? DEFAULT_BATCHER.maxInFlight);
  const queue: Job<I, O>[] = [];
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = () => {
    if (queue.length === 0 && inFlight === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };

  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (queue.length > 0 && inFlight < maxInFlight) {
      const jobs = queue.splice(0, maxBatch);
      inFlight++;
      run(jobs.map((j) => j.row))
        .then(
          (res) => {
            if (res.length !== jobs.length) throw new Error(`classifier returned ${res.length} results for ${jobs.length} rows`);
            jobs.forEach((j, i) => j.resolve(res[i]!));
          },
          (e: unknown) => {
            // one bad row must not fail its neighbours: retry each alone
            if (jobs.length === 1) jobs[0]!.reject(e);
            else for (const j of jobs) void run([j.row]).then((r) => j.resolve(r[0]!), j.reject);
          },
        )
        .catch((e: unknown) => jobs.forEach((j) => j.reject(e)))
        .finally(() => {
          inFlight--;
          if (queue.length > 0) flush();
          else settleIdle();
        });
    }
  };

  return {
    submit(row: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        if (inFlight >= maxInFlight) return; // flushed when the current run ends
        if (queue.length >= maxBatch || maxWaitMs === 0) flush();
        else if (!timer) timer = setTimeout(flush, maxWaitMs);
      });
    },
    get pending() {
      return queue.length;
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((r) => idleWaiters.push(r));
    },
  };
}

function isViewScorer(c: object): c is ViewScorer {
  return typeof (c as Partial<ViewScorer>).scoreViews === 'function' && ((c as Partial<ViewScorer>).views ?? 1) > 1;
}

/**
 * A batcher over a classifier. Given a multi-view `ViewScorer` (what loadClassifier returns) it
 * batches views; given anything else with `classify`, whole images.
 */
export function createBatcher(classifier: Pick<Classifier, 'classify'> | (Pick<Classifier, 'classify'> & ViewScorer), opts: BatcherOptions = {}): Batcher {
  if (!isViewScorer(classifier)) {
    const rows = rowBatcher((imgs: Uint8Array[]) => classifier.classify(imgs), opts);
    return {
      classify: (one) => rows.submit(one),
      get pending() {
        return rows.pending;
      },
      drain: () => rows.drain(),
    };
  }
  const V = classifier.views;
  const rows = rowBatcher((views: Uint8Array[]) => classifier.scoreViews(views), opts);
  let images = 0; // in progress: drain waits for whole images, not just the rows queued now
  let idle: Array<() => void> = [];
  const done = () => {
    if (--images === 0) {
      const w = idle;
      idle = [];
      for (const f of w) f();
    }
  };
  return {
    async classify(one) {
      images++;
      try {
        const per = one.length / V;
        if (!Number.isInteger(per) || per === 0) throw new Error(`expected ${V} views of equal size, got ${one.length} bytes`);
        const first = await rows.submit(one.subarray(0, per));
        if (classifier.firstDecides(first)) return classifier.combine([first]);
        const rest = await Promise.all(Array.from({ length: V - 1 }, (_, v) => rows.submit(one.subarray((v + 1) * per, (v + 2) * per))));
        return classifier.combine([first, ...rest]);
      } finally {
        done();
      }
    },
    get pending() {
      return rows.pending;
    },
    async drain() {
      if (images > 0) await new Promise<void>((r) => idle.push(r));
      await rows.drain();
    },
  };
}
