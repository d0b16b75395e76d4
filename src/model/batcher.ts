/**
 * Micro-batcher: groups concurrent single-image `classify` calls into one session run.
 *
 * A batch is flushed when it reaches `maxBatch`, when `maxWaitMs` has passed since its first
 * image arrived, or — while a run is in flight — as soon as that run ends (those images have
 * already waited). At most `maxInFlight` runs go at once, so the session's intra-op threads
 * are not oversubscribed.
 */
import type { Classification, Classifier } from './classifier.js';

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
  /** Images waiting, not yet in a run. */
  readonly pending: number;
  /** Wait for everything queued to finish (does not close the classifier). */
  drain(): Promise<void>;
}

interface Job {
  img: Uint8Array;
  resolve: (c: Classification) => void;
  reject: (e: unknown) => void;
}

export function createBatcher(classifier: Pick<Classifier, 'classify'>, opts: BatcherOptions = {}): Batcher {
  const maxBatch = Math.max(1, opts.maxBatch ?? DEFAULT_BATCHER.maxBatch);
  const maxWaitMs = Math.max(0, opts.maxWaitMs ?? DEFAULT_BATCHER.maxWaitMs);
  const maxInFlight = Math.max(1, opts.maxInFlight ?? DEFAULT_BATCHER.maxInFlight);
  const queue: Job[] = [];
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
      classifier
        .classify(jobs.map((j) => j.img))
        .then(
          (res) => {
            if (res.length !== jobs.length) throw new Error(`classifier returned ${res.length} results for ${jobs.length} images`);
            jobs.forEach((j, i) => j.resolve(res[i]!));
          },
          (e: unknown) => {
            // One bad image must not fail its neighbours: retry a failed batch one by one.
            if (jobs.length === 1) jobs[0]!.reject(e);
            else for (const j of jobs) void classifier.classify([j.img]).then((r) => j.resolve(r[0]!), j.reject);
          },
        )
        .catch((e: unknown) => jobs.forEach((j) => j.reject(e)))
        .finally(() => {
          inFlight--;
          // Whatever queued up during the run has already waited: send it now.
          if (queue.length > 0) flush();
          else settleIdle();
        });
    }
  };

  return {
    classify(one) {
      return new Promise<Classification>((resolve, reject) => {
        queue.push({ img: one, resolve, reject });
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
