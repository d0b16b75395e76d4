/**
 * One call that scans a source end to end: open the store, the classifier and the
 * connector, run the pipeline, close everything. The CLI and the tests use it.
 */
import path from 'node:path';
import { openConnector } from '../connectors/registry.js';
import type { ConnectorOptions } from '../connectors/contract.js';
import { openImageClassifier } from './model/image-classifier.js';
import { createMrzPool, createOcrPool } from './ocr/pool.js';
import { createOcrStage } from './ocr/stage.js';
import type { OcrEngine } from './ocr/types.js';
import { runScan, type ScanOptions, type ScanSummary } from './pipeline/scan.js';
import { DEFAULT_POLICY, withCustomLabels, type Policy } from './policy/policy.js';
import { defaultDataDir, openStore, type Store } from './store/index.js';
import { loadHashKey } from './util/redact.js';
import { UserError, errorMessage } from './util/errors.js';

/** The connector options a scan passes through (see ConnectorOptions for each). */
const CONNECTOR_KEYS = ['endpoint', 'forcePathStyle', 'region', 'credentialsFile', 'apiUrl', 'tokenUrl', 'users', 'adminUser', 'domains'] as const;
type PassedConnectorOptions = Pick<ConnectorOptions, (typeof CONNECTOR_KEYS)[number]>;

export interface ScanSourceOptions extends Omit<ScanOptions, 'concurrency'>, PassedConnectorOptions {
  /** PostgreSQL URL; default DATABASE_URL, else embedded PGlite in dataDir. */
  db?: string;
  dataDir?: string;
  /** PostgreSQL only: schema to use (tests). */
  schema?: string;
  /** Network concurrency (downloads); CPU work is bounded by the core count. */
  concurrency?: number;
  modelDir?: string;
  debug?: (msg: string, err?: unknown) => void;
  /** An already open store to use (left open); otherwise one is opened and closed here. */
  store?: Store;
  /** The policy (loadPolicy); default DEFAULT_POLICY. */
  policy?: Policy;
  /** false: never OCR, whatever the policy says. */
  ocr?: boolean;
  /** OCR worker count (default 1: OCR is CPU-bound and shares the cores with decode and inference). */
  ocrWorkers?: number;
  /** Per-image OCR time limit (default 60 s); a stuck worker is replaced. */
  ocrTimeoutMs?: number;
  /** An OCR engine to use (left open), e.g. one pool shared by many scans. */
  ocrEngine?: OcrEngine;
  /** The MRZ re-read engine to use (left open); default: one made here; null: no MRZ second look. */
  mrzEngine?: OcrEngine | null;
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
  const dataDir = opts.dataDir ?? defaultDataDir();
  // casb's own data dir is never scanned, also when it lies inside the scanned folder (`casb scan .`)
  const connectorOpts: ConnectorOptions = { retry: opts.retry, skipPaths: [path.resolve(dataDir)] };
  for (const k of CONNECTOR_KEYS) if (opts[k] !== undefined) (connectorOpts as Record<string, unknown>)[k] = opts[k];
  const connector = await openConnector(source, connectorOpts);
  try {
    // Fail fast, with one clear line, on a bad path, bucket or credentials — before the model loads.
    await connector.probe?.();
    const store = opts.store ?? (await openStore({ db: opts.db, dataDir: opts.dataDir, schema: opts.schema }));
    try {
      const classifier = await openImageClassifier({ modelDir: opts.modelDir });
      const policy = withCustomLabels(opts.policy ?? DEFAULT_POLICY, classifier.inner.manifest.customLabels);
      try {
        checkPolicyLabels(policy, classifier.inner.manifest.labels, classifier.modelVersion);
      } catch (err) {
        await classifier.close();
        throw err;
      }
      const ocrOn = opts.ocr !== false && policy.ocr.enabled;
      // Workers start lazily, on the first image the policy sends to OCR.
      const poolOpts = { size: opts.ocrWorkers ?? 1, jobTimeoutMs: opts.ocrTimeoutMs, cachePath: path.join(dataDir, 'tesseract') };
      const engine = ocrOn ? (opts.ocrEngine ?? createOcrPool(poolOpts)) : undefined;
      // The MRZ re-read engine (see ocr/stage.ts): one worker, started only when a zone needs it.
      const ownMrz = ocrOn && opts.mrzEngine === undefined;
      const mrzEngine = ownMrz ? createMrzPool(poolOpts) : (opts.mrzEngine ?? undefined);
      try {
        const ocr = engine && createOcrStage(engine, await hashKeyFor(dataDir), { mrzEngine });
        const summary = await runScan(
          { store, connector, classifier, debug: opts.debug, policy, ocr },
          { ...opts, concurrency: { network: opts.concurrency, ocr: opts.ocrWorkers ?? 1 } },
        );
        await after?.(store, summary);
        return summary;
      } finally {
        if (engine && !opts.ocrEngine) await engine.close();
        if (ownMrz) await mrzEngine?.close();
        await classifier.close();
      }
    } finally {
      if (!opts.store) await store.close();
    }
  } finally {
    await connector.close?.();
  }
}

/** The hash key, or one clear configuration error (a bad CASB_HASH_KEY, an unreadable key file). */
async function hashKeyFor(dataDir: string): Promise<Buffer> {
  try {
    return await loadHashKey(dataDir);
  } catch (err) {
    throw new UserError(`cannot load the hash key for entity values: ${errorMessage(err)}. Set CASB_HASH_KEY to at least 32 random bytes in hex (e.g. openssl rand -hex 32), or unset it to use ${path.join(dataDir, 'hash.key')}.`, 2, { cause: err });
  }
}

/**
 * A label the model does not have (a typo such as `pasport`) would silently switch a rule off; in a
 * security policy that is a configuration error, not a warning.
 */
function checkPolicyLabels(policy: Policy, labels: readonly string[], modelVersion: string): void {
  const unknown = [...new Set([...Object.keys(policy.labels), ...policy.ocr.labels])].filter((l) => !labels.includes(l));
  if (unknown.length) {
    throw new UserError(
      `the policy names label${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} that model ${modelVersion} does not have (its labels: ${labels.join(', ')}). Fix the policy, or choose the model with --model.`,
      2,
    );
  }
}
