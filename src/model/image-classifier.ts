/**
 * The classifier as the scan pipeline uses it: one image in, one classification out,
 * with concurrent calls grouped into batched session runs.
 */
import type { ImageClassifier } from '../pipeline/scan.js';
import { createBatcher, loadClassifier, type ClassifierLoadOptions, type LoadedClassifier } from './classifier.js';

export interface OpenedClassifier extends ImageClassifier {
  inner: LoadedClassifier;
  close(): Promise<void>;
}

export async function openImageClassifier(opts: ClassifierLoadOptions = {}): Promise<OpenedClassifier> {
  const inner = await loadClassifier(opts);
  const batcher = createBatcher(inner);
  return {
    inner,
    modelVersion: inner.modelVersion,
    input: inner.input,
    thresholds: inner.manifest.thresholds,
    classify: (rgb) => batcher.classify(rgb),
    async close() {
      await batcher.drain();
      await inner.close();
    },
  };
}
