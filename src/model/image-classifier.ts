/**
 * The classifier as the scan pipeline uses it: one image in, one classification out,
 * with concurrent calls grouped into batched session runs.
 */
import type { ImageClassifier } from '../pipeline/scan.js';
import { UserError, errorMessage } from '../util/errors.js';
import { createBatcher, loadClassifier, type ClassifierLoadOptions, type LoadedClassifier } from './classifier.js';

export interface OpenedClassifier extends ImageClassifier {
  inner: LoadedClassifier;
  close(): Promise<void>;
}

export async function openImageClassifier(opts: ClassifierLoadOptions = {}): Promise<OpenedClassifier> {
  let inner: LoadedClassifier;
  try {
    inner = await loadClassifier(opts);
  } catch (err) {
    // A missing, damaged or mismatched model is a configuration problem: say so in one line.
    throw new UserError(
      `cannot load the classifier model${opts.modelDir ? ` from ${opts.modelDir}` : ''}: ${errorMessage(err).split('\n')[0]}. Pass --model <dir> with a manifest.json, or restore models/ from the repository.`,
      2,
      { cause: err },
    );
  }
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
