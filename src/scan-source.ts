/**
 * One call that scans a source end to end: open the store, the classifier and the
 * connector, run the pipeline, close everything. The CLI and the tests use it.
 */
import { openConnector } from '../connectors/registry.js';
import { openImageClassifier } from './model/image-classifier.js';
import { runScan, type ScanOptions, type ScanSummary } from './pipeline/scan.js';
import { DEFAULT_POLICY, withCustomLabels } from './policy/policy.js';
import { openStore, type Store } from './store/index.js';

export interface ScanSourceOptions extends Omit<ScanOptions, 'concurrency'> {
  /** PostgreSQL URL; default DATABASE_URL, else embedded PGlite in dataDir. */
  db?: string;
  dataDir?: string;
  /** PostgreSQL only: schema to use (tests). */
  schema?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  region?: string;
  /** Network concurrency (downloads); CPU work is bounded by the core count. */
  concurrency?: number;
  modelDir?: string;
  debug?: (msg: string, err?: unknown) => void;
  /** An already open store to use (left open); otherwise one is opened and closed here. */
  store?: Store;
}

export type { ScanSummary };

/**
 * Scans `source`. `after` runs with the still-open store once the scan is done (the CLI uses
 * it to print the recorded findings without opening the database twice).
 */
export async function scanSource(
  source: string,
  opts: ScanSourceOptions = {},
  after?: (store: Store, summary: ScanSummary) => Promise<void>,
): Promise<ScanSummary> {
  const connector = await openConnector(source, {
    endpoint: opts.endpoint,
    forcePathStyle: opts.forcePathStyle,
    region: opts.region,
    retry: opts.retry,
  });
  try {
    // Fail fast, with one clear line, on a bad path, bucket or credentials — before the model loads.
    await connector.probe?.();
    const store = opts.store ?? (await openStore({ db: opts.db, dataDir: opts.dataDir, schema: opts.schema }));
    try {
      const classifier = await openImageClassifier({ modelDir: opts.modelDir });
      try {
        const summary = await runScan(
          { store, connector, classifier, debug: opts.debug, policy: withCustomLabels(DEFAULT_POLICY, classifier.inner.manifest.customLabels) },
          { ...opts, concurrency: opts.concurrency ? { network: opts.concurrency } : undefined },
        );
        await after?.(store, summary);
        return summary;
      } finally {
        await classifier.close();
      }
    } finally {
      if (!opts.store) await store.close();
    }
  } finally {
    await connector.close?.();
  }
}
