/**
 * The scan pipeline: list → filter → download → decode → classify → [OCR] → upsert.
 *
 * - Listing runs ahead of scanning only by a bounded number of items (backpressure), so
 *   memory stays flat however large the source.
 * - Three p-queue limits: network (downloads), cpu (decode + inference), ocr.
 * - Every listed item ends with exactly one outcome, recorded in the store.
 * - The listing cursor is checkpointed at the low-water mark, so a killed scan resumes.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable } from 'node:stream';
import PQueue from 'p-queue';
import { CursorExpiredError, type ChangePage, type Connector, type ObjectRef } from '../../connectors/contract.js';
import { decodeForModel, DEFAULT_DECODE_TIMEOUT_MS, DEFAULT_MAX_BYTES, DEFAULT_PIXEL_LIMIT, type ModelInputSpec } from '../image/decode.js';
import { sniff, SNIFF_BYTES } from '../image/sniff.js';
import picomatch from 'picomatch';
import type { OcrStage } from '../ocr/stage.js';
import { decideFindings, ocrReason, type ClassificationLike, type OcrReport } from '../policy/decide.js';
import { policyVersion as versionOf } from '../policy/load.js';
import { DEFAULT_POLICY, type Policy } from '../policy/schema.js';
import type { FindingRecord, ItemRecord, RunInfo, Store } from '../store/index.js';
import { ItemError, UserError, errorMessage } from '../util/errors.js';
import { hasCapability } from '../../connectors/contract.js';
import { withRetry } from '../util/retry.js';
import { LowWaterMark } from './checkpoint.js';
import { failed, isFinal, OutcomeCounter, SKIP_REASONS, skipped, type Outcome } from './outcome.js';

/** What the pipeline needs from the model: one image in, one classification out (batching is the classifier's business). */
export interface ImageClassifier {
  modelVersion: string;
  input: ModelInputSpec;
  thresholds: Record<string, number>;
  classify(rgb: Uint8Array): Promise<ClassificationLike>;
}

export interface ScanDeps {
  store: Store;
  connector: Connector;
  classifier: ImageClassifier;
  policy?: Policy;
  /** OCR + recognizers (src/ocr/stage.ts); the policy decides per image whether it runs. Absent: no OCR. */
  ocr?: OcrStage;
  /** Debug-level details (stack traces, retries) for --verbose. */
  debug?: (msg: string, err?: unknown) => void;
}

export interface ScanOptions {
  trigger?: string;
  concurrency?: { network?: number; cpu?: number; ocr?: number };
  /** Objects above this size are skipped as too_large without download. */
  maxBytes?: number;
  pixelLimit?: number;
  /** Longest one image's decode may take before it is failed:timeout (default DEFAULT_DECODE_TIMEOUT_MS). */
  decodeTimeoutMs?: number;
  /** false: never reuse the verdict of identical content scanned before (default true). */
  verdictCache?: boolean;
  signal?: AbortSignal;
  /** Ignore an interrupted run's checkpoint and list from the start. */
  restart?: boolean;
  /**
   * Incremental: read the source's change feed from the cursor the last run stored (adds, edits,
   * deletes) instead of listing everything. Without a stored cursor, or for a source with no
   * change feed, a full listing runs (and stores one where the connector has a feed).
   */
  changes?: boolean;
  /** A run whose heartbeat is older than this is considered dead and may be resumed. */
  staleAfterMs?: number;
  retry?: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  listed: number;
  done: number;
  scanned: number;
  skipped: number;
  failed: number;
  findings: number;
  elapsedMs: number;
}

export interface ScanSummary {
  runId: string;
  source: string;
  status: 'completed' | 'interrupted';
  resumedFrom?: string;
  /** How the items were found: the full listing, or the change feed since the last run. */
  mode: 'full' | 'changes';
  /** Why a --changes request ran a full listing (no cursor yet, cursor expired, no change feed). */
  fullBecause?: string;
  /** Items marked gone: deleted per the change feed, or missing from a complete full listing. */
  deleted: number;
  /** Parts of the source the listing could not read (see Page.incomplete); nothing was marked gone for not being listed. */
  incomplete?: string[];
  /** The connector's request counters (throttle events, retries), where it keeps them. */
  requests?: { requests: number; retries: number; throttled: number };
  listed: number;
  scanned: number;
  skipped: Record<string, number>;
  failed: Record<string, number>;
  downloaded: number;
  findings: number;
  findingsByLabel: Record<string, number>;
  /** Entity findings by entity type (payment_card_number, mrz, ...). */
  findingsByEntity: Record<string, number>;
  /** Images the policy sent to OCR, and how many of those OCR could not finish. */
  ocr: { images: number; failed: number };
  /** Scanned items whose verdict came from identical bytes analysed before (no decode, inference or OCR). */
  verdictsReused: number;
  policyVersion: string;
  wallMs: number;
  imagesPerSec: number;
  timings: Record<string, number>;
}


export async function runScan(deps: ScanDeps, opts: ScanOptions = {}): Promise<ScanSummary> {
  const { store, connector, classifier } = deps;
  const policy = deps.policy ?? DEFAULT_POLICY;
  const policyVersion = versionOf(policy);
  const excludedPath = pathExcluder(policy.exclude.paths);
  if (sourceExcluded(policy.exclude.sources, connector.uri)) {
    throw new UserError(`${connector.uri} is excluded by the policy (exclude.sources). Remove it from the policy file to scan it.`);
  }
  const ocrCount = { images: 0, failed: 0 };
  const findingsByEntity: Record<string, number> = {};
  const debug = deps.debug ?? (() => {});
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const cpuN = opts.concurrency?.cpu ?? Math.max(1, os.availableParallelism());
  const netN = opts.concurrency?.network ?? 8;
  const network = new PQueue({ concurrency: netN });
  const cpu = new PQueue({ concurrency: cpuN });
  const ocr = new PQueue({ concurrency: opts.concurrency?.ocr ?? 1 });
  // How far listing may run ahead of finished items. Bounds memory: at most this many refs
  // and (netN + cpuN) downloaded bodies are held at once.
  const maxInFlight = Math.max(64, (netN + cpuN) * 4);

  const started = Date.now();
  const sourceId = await store.upsertSource(connector.uri, connector.kind);

  // Resume an interrupted run from its low-water cursor (in that run's mode), unless told to restart.
  let resumeCursor: string | undefined;
  let resumedFrom: string | undefined;
  let mode: 'full' | 'changes' = 'full';
  let fullBecause: string | undefined;
  const prev = await store.lastRun(sourceId);
  if (prev && prev.status !== 'completed') {
    const age = Date.now() - prev.heartbeatAt.getTime();
    if (prev.status === 'running' && isAlive(prev, age, opts.staleAfterMs ?? 60_000)) {
      throw new UserError(
        `another scan of ${connector.uri} is running (run ${prev.id}, last heartbeat ${Math.round(age / 1000)}s ago). Wait for it to finish, or retry in a minute if it was killed.`,
      );
    }
    if (!opts.restart && prev.cursor) {
      resumeCursor = prev.cursor;
      resumedFrom = prev.id;
      mode = prev.mode;
    }
  }
  if (opts.restart || !resumeCursor) await store.clearCursor(sourceId, 'list');
  let feedCursor: string | undefined; // where a change-feed run starts
  if (!resumeCursor && opts.changes) {
    feedCursor = hasCapability(connector, 'changes') ? await store.getCursor(sourceId, 'changes') : undefined;
    if (feedCursor) mode = 'changes';
    else fullBecause = hasCapability(connector, 'changes') ? 'no change cursor stored yet; this full scan stores one' : `${connector.kind} sources have no change feed`;
  }
  const runId = await store.startRun(sourceId, opts.trigger ?? 'cli', classifier.modelVersion, resumedFrom, policyVersion, mode);
  /**
   * A full listing from the start takes the change-feed position first, so that nothing changed
   * while it runs is missed; it is kept as `changes_pending` (so a resumed listing still has it)
   * and becomes the source's `changes` cursor only when the listing completes.
   */
  const startFull = async () => {
    if (hasCapability(connector, 'changesStart')) {
      const token = await withRetry(() => connector.changesStart(), { classify: (e) => connector.classifyError(e), signal: opts.signal, ...opts.retry });
      await store.saveCursor(sourceId, 'changes_pending', token, runId);
    }
  };
  if (mode === 'full' && !resumeCursor) await startFull();

  const counter = new OutcomeCounter();
  const timings: Record<string, number> = {};
  const time = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[stage] = (timings[stage] ?? 0) + (performance.now() - t0);
    }
  };
  const progress = () =>
    opts.onProgress?.({
      listed: counter.listed,
      done: counter.done,
      scanned: counter.scanned,
      skipped: counter.done - counter.scanned - sumValues(counter.failed),
      failed: sumValues(counter.failed),
      findings: counter.findings,
      elapsedMs: Date.now() - started,
    });

  const abort = new AbortController();
  // Every queued task and retry listens on this one signal; that is by design, not a leak.
  setMaxListeners(0, abort.signal);
  const onOuterAbort = () => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let fatal: unknown;

  let lastHeartbeat = Date.now();
  const checkpoint = new LowWaterMark(async (cursor, lastPage) => {
    if (lastPage) return; // the cursor is cleared when the run completes
    await store.saveCursor(sourceId, 'list', cursor!, runId);
    lastHeartbeat = Date.now();
    await store.heartbeat(runId);
  });
  const heartbeatTimer = setInterval(() => {
    if (Date.now() - lastHeartbeat > 10_000) store.heartbeat(runId).catch(() => {});
  }, 10_000);
  heartbeatTimer.unref();

  let inFlight = 0;
  let wake: (() => void) | undefined;
  const seen = new Set<string>(); // exactly one outcome per listed item

  const finish = async (ref: ObjectRef, seq: number, outcome: Outcome, record: () => Promise<void>) => {
    try {
      await time('store', record);
      counter.add(outcome);
      debug(`recorded ${outcome}: ${ref.path}`);
    } catch (err) {
      // The store is gone: nothing more can be recorded, so the whole scan stops.
      fatal ??= err;
      abort.abort(err);
    } finally {
      inFlight--;
      wake?.();
      if (!fatal) await checkpoint.itemDone(seq).catch((err) => { fatal ??= err; abort.abort(err); });
      progress();
    }
  };

  const baseItem = (ref: ObjectRef): ItemRecord => ({
    externalId: ref.externalId,
    path: ref.path,
    size: ref.size,
    etag: ref.etag,
    modifiedAt: ref.modifiedAt ?? null,
    contentType: null,
    contentSha256: null,
    modelVersion: classifier.modelVersion,
    policyVersion,
    outcome: 'scanned',
    outcomeDetail: null,
    label: null,
    score: null,
    scores: null,
    exposure: ref.exposure?.level ?? null,
    exposureDetails: ref.exposure?.details ?? null,
    refExtra: ref.extra ?? null,
  });

  const recordOutcome = (ref: ObjectRef, seq: number, outcome: Outcome, detail: string | null, extra: Partial<ItemRecord> = {}) =>
    finish(ref, seq, outcome, () => store.recordItem(sourceId, runId, { ...baseItem(ref), ...extra, outcome, outcomeDetail: detail }, []));

  const reasonOf = (err: unknown): string => {
    if (err instanceof ItemError) return err.reason;
    const named = deps.connector.errorReason?.(err);
    if (named) return named;
    const cls = connector.classifyError(err);
    return cls.kind === 'throttled' ? 'throttled' : cls.kind === 'retryable' ? 'network' : cls.kind === 'notFound' ? 'not_found' : 'error';
  };

  const verdictKey = `${classifier.modelVersion}|${policyVersion}|ocr:${deps.ocr ? 'on' : 'off'}`;
  const useVerdictCache = opts.verdictCache !== false;
  let verdictsReused = 0;

  /** Records an analysed item (classified now, or a verdict reused) with its findings and, for flagged items, exposure. */
  async function recordScanned(
    ref: ObjectRef,
    seq: number,
    v: { mime: string; sha256: string; label: string; score: number | null; scores: Record<string, number>; findings: FindingRecord[]; ocrFailure?: ItemError; detail?: string },
  ): Promise<void> {
    const outcome = v.ocrFailure ? failed(v.ocrFailure.reason) : 'scanned';
    // Exposure the listing did not carry (S3: ACLs and bucket policy need requests of their own)
    // is read for flagged items only; a failed read leaves it unknown, never fails the item.
    let exposure = ref.exposure;
    if (v.findings.length && !exposure && hasCapability(connector, 'describeSharing')) {
      exposure = await network
        .add(() => withRetry(() => connector.describeSharing(ref), { classify: (e) => connector.classifyError(e), signal: abort.signal, ...opts.retry }), { signal: abort.signal })
        .catch((err: unknown) => {
          debug(`exposure of ${ref.path} not read`, err);
          return { level: 'unknown' as const, details: [`not read: ${oneLine(err)}`] };
        });
    }
    await finish(ref, seq, outcome, () =>
      store.recordItem(
        sourceId,
        runId,
        {
          ...baseItem(ref), contentType: v.mime, contentSha256: v.sha256, label: v.label, score: v.score, scores: v.scores,
          outcome, outcomeDetail: v.ocrFailure ? oneLine(v.ocrFailure) : (v.detail ?? null),
          exposure: exposure?.level ?? null, exposureDetails: exposure?.details ?? null,
          // only a complete analysis can stand in for another copy of the same bytes
          verdictKey: outcome === 'scanned' ? verdictKey : null,
        },
        v.findings,
        // OCR that failed, or OCR switched off for this run (--no-ocr), is no evidence that an entity went away
        { keepOtherFindings: Boolean(v.ocrFailure) || !deps.ocr },
      ),
    );
    if (!fatal) {
      counter.findings += v.findings.length;
      for (const f of v.findings) {
        counter.findingsByLabel[f.label] = (counter.findingsByLabel[f.label] ?? 0) + 1;
        if (f.entityType) findingsByEntity[f.entityType] = (findingsByEntity[f.entityType] ?? 0) + 1;
      }
    }
  }

  async function processItem(ref: ObjectRef, seq: number): Promise<void> {
    // ---- download (network queue): sniff the head first, fetch the rest only for decodable images
    let body: Buffer;
    let sha256: string;
    let mime: string;
    try {
      const got = await network.add(
        () =>
          time('download', () =>
            withRetry(
              async (attempt) => {
                if (attempt === 1) counter.downloaded++;
                const stream = await connector.open(ref, { signal: abort.signal, maxBytes });
                return readSniffed(stream, maxBytes);
              },
              { classify: (e) => (e instanceof ItemError ? { kind: 'permanent' } : connector.classifyError(e)), signal: abort.signal, ...opts.retry },
            ),
          ),
        { signal: abort.signal },
      );
      if (got.kind !== 'image') {
        const reason = got.kind === 'unsupported' ? 'unsupported_format' : got.kind === 'empty' ? 'empty' : 'not_image';
        return recordOutcome(ref, seq, skipped(reason), got.mime ? `content is ${got.mime}` : null, { contentType: got.mime ?? null });
      }
      ({ body, sha256, mime } = got);
    } catch (err) {
      if (abort.signal.aborted) return void (inFlight--, wake?.());
      debug(`download failed: ${ref.path}`, err);
      const reason = reasonOf(err);
      return recordOutcome(ref, seq, SKIP_REASONS.has(reason) ? skipped(reason) : failed(reason), oneLine(err));
    }

    try {
      // ---- the same bytes analysed before (any source) under the same model, policy and OCR setting: reuse that verdict
      const cached = useVerdictCache ? await store.cachedVerdict(sha256, verdictKey) : undefined;
      if (cached) {
        verdictsReused++;
        return await recordScanned(ref, seq, { mime, sha256, label: cached.label, score: cached.score, scores: cached.scores, findings: cached.findings, detail: `verdict reused: same content as item ${cached.itemId}` });
      }

      // ---- decode + classify (cpu queue)
      // Decode on the CPU queue; inference goes to the classifier, whose batcher groups the
      // images decoded meanwhile into one session run.
      const img = await cpu.add(() => time('decode', () => decodeForModel(body, classifier.input, opts.pixelLimit ?? DEFAULT_PIXEL_LIMIT, opts.decodeTimeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS)), {
        signal: abort.signal,
      });
      const cls = await time('classify', () => classifier.classify(img.rgb));

      // ---- OCR + recognizers (ocr queue), only where the policy says it pays
      const why = deps.ocr ? ocrReason(cls, policy) : undefined;
      let report: OcrReport | undefined;
      let ocrFailure: ItemError | undefined;
      if (why && deps.ocr) {
        const stage = deps.ocr;
        ocrCount.images++;
        try {
          report = await ocr.add(() => time('ocr', () => stage.run(body, abort.signal)), { signal: abort.signal });
        } catch (err) {
          if (abort.signal.aborted) throw err;
          // The classification stands; the item is recorded as failed so the next scan retries the OCR.
          ocrCount.failed++;
          debug(`OCR failed: ${ref.path}`, err);
          ocrFailure = err instanceof ItemError ? err : new ItemError('ocr_error', `OCR failed: ${oneLine(err)}`, { cause: err });
        }
      }
      const findings = decideFindings(cls, policy, { thresholds: classifier.thresholds, policyVersion, ocr: report, ocrReason: why });
      await recordScanned(ref, seq, { mime, sha256, label: cls.label, score: cls.scores[cls.label] ?? null, scores: cls.scores, findings, ocrFailure });
    } catch (err) {
      if (abort.signal.aborted) return void (inFlight--, wake?.());
      debug(`analysis failed: ${ref.path}`, err);
      const reason = err instanceof ItemError ? err.reason : 'internal';
      // too_large here is the pixel limit (a setting, like the byte cap), refused from the header: a skip, decided again each scan
      return recordOutcome(ref, seq, SKIP_REASONS.has(reason) ? skipped(reason) : failed(reason), oneLine(err), { contentType: mime, contentSha256: sha256 });
    }
  }

  const tasks = new Set<Promise<void>>();
  let interrupted = false;
  let deleted = 0;
  let changesCursor: string | undefined; // from the last page of a feed (or of a delta-style listing)
  const incomplete: string[] = [];
  try {
    let listMs = 0;
    const feed = (): AsyncIterator<ChangePage> =>
      mode === 'changes'
        ? connector.changes!(resumeCursor ?? feedCursor!, { signal: abort.signal })[Symbol.asyncIterator]()
        : connector.list(resumeCursor, { signal: abort.signal })[Symbol.asyncIterator]();
    let pages = feed();
    for (;;) {
      if (abort.signal.aborted) break;
      const t0 = performance.now();
      let next: IteratorResult<ChangePage>;
      try {
        // Not retried here: a generator that has thrown is finished. Each connector retries its
        // own list requests (through withRetry) and throws only when retrying is over.
        next = await pages.next();
      } catch (err) {
        if (abort.signal.aborted) break;
        if (mode === 'changes' && err instanceof CursorExpiredError) {
          // The feed no longer accepts our cursor: list everything; unchanged items (same etag) are not downloaded again.
          debug(`change cursor expired: ${err.message}`);
          mode = 'full';
          fullBecause = 'the stored change cursor expired at the source';
          resumeCursor = undefined;
          await store.setRunMode(runId, 'full');
          await startFull();
          pages = feed();
          continue;
        }
        throw listingError(connector, err, counter.listed);
      }
      listMs += performance.now() - t0;
      if (next.done) break;
      const page = next.value;
      if (page.changesCursor) changesCursor = page.changesCursor;
      if (page.incomplete?.length) {
        incomplete.push(...page.incomplete);
        for (const gap of page.incomplete) debug(`listing gap: ${gap}`);
        // A full listing with gaps did not see everything since the feed position it took, so that
        // position must not become the next run's cursor; dropped now, so a resumed run cannot
        // promote it either. (A change feed with gaps keeps the old position of the gapped part.)
        if (mode === 'full') await store.clearCursor(sourceId, 'changes_pending');
      }
      if (page.deleted?.length) deleted += await time('store', () => store.markGone(sourceId, runId, page.deleted!));
      const seq = checkpoint.openPage(page.items.length, page.nextCursor);
      const known = await store.knownItems(sourceId, page.items.map((i) => i.externalId));
      for (const ref of page.items) {
        if (abort.signal.aborted) break;
        if (seen.has(ref.externalId)) {
          // A source that lists one key twice must not produce two outcomes; the page still completes.
          await checkpoint.itemDone(seq);
          continue;
        }
        seen.add(ref.externalId);
        counter.listed++;
        while (inFlight >= maxInFlight) await new Promise<void>((r) => (wake = r));
        inFlight++;

        const prior = known.get(ref.externalId);
        if (ref.skipReason) {
          void track(recordOutcome(ref, seq, skipped(ref.skipReason), null));
        } else if (excludedPath(ref.path)) {
          void track(recordOutcome(ref, seq, skipped('excluded'), 'matches exclude.paths in the policy'));
        } else if (
          prior && prior.etag === ref.etag && prior.model_version === classifier.modelVersion && prior.policy_version === policyVersion && isFinal(prior.outcome)
        ) {
          void track(finish(ref, seq, skipped('unchanged'), () => store.touchItem(sourceId, ref.externalId, runId, ref.path, ref.exposure?.level ?? null, ref.exposure?.details ?? null, ref.extra ?? null)));
        } else if (ref.size > maxBytes) {
          void track(recordOutcome(ref, seq, skipped('too_large'), `${ref.size} bytes, above the ${maxBytes}-byte cap`));
        } else if (ref.size === 0) {
          void track(recordOutcome(ref, seq, skipped('empty'), null));
        } else {
          void track(processItem(ref, seq));
        }
      }
      await checkpoint.closePage(seq);
      progress();
    }
    timings.list = listMs;
    await Promise.all(tasks);
    if (fatal) throw fatal;
    interrupted = abort.signal.aborted;
  } catch (err) {
    abort.abort(err);
    await Promise.allSettled(tasks);
    clearInterval(heartbeatTimer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await store
      .finishRun(runId, 'failed', totals(), errorMessage(err))
      .catch(() => {});
    throw err;
  }
  clearInterval(heartbeatTimer);
  opts.signal?.removeEventListener('abort', onOuterAbort);

  if (interrupted) {
    // The cursor stays, so the next scan of this source resumes from the low-water mark.
    await store.finishRun(runId, 'interrupted', totals());
  } else {
    // A complete listing from the start saw everything the source has: what it did not list is gone.
    // (A resumed listing did not see the part before its cursor in this run, so it cannot tell.)
    // Nor can one with gaps (a drive it could not read).
    if (mode === 'full' && !resumedFrom && incomplete.length === 0) deleted += await store.markGone(sourceId, runId, 'unlisted');
    const gapsInFull = mode === 'full' && incomplete.length > 0;
    const next = gapsInFull ? undefined : (changesCursor ?? (mode === 'full' ? await store.getCursor(sourceId, 'changes_pending') : undefined));
    if (next) await store.saveCursor(sourceId, 'changes', next, runId);
    await store.clearCursor(sourceId, 'changes_pending');
    await store.clearCursor(sourceId, 'list');
    await store.finishRun(runId, 'completed', totals());
  }
  const wallMs = Date.now() - started;
  return {
    runId,
    source: connector.uri,
    status: interrupted ? 'interrupted' : 'completed',
    resumedFrom,
    mode,
    ...(fullBecause && mode === 'full' ? { fullBecause } : {}),
    deleted,
    ...(incomplete.length ? { incomplete } : {}),
    ...(connector.stats ? { requests: { ...connector.stats } } : {}),
    listed: counter.listed,
    scanned: counter.scanned,
    skipped: counter.skipped,
    failed: counter.failed,
    downloaded: counter.downloaded,
    findings: counter.findings,
    findingsByLabel: counter.findingsByLabel,
    findingsByEntity,
    ocr: ocrCount,
    verdictsReused,
    policyVersion,
    wallMs,
    imagesPerSec: counter.scanned / Math.max(wallMs / 1000, 1e-3),
    timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
  };

  function track(p: Promise<void>): Promise<void> {
    const q = p.catch((err) => {
      fatal ??= err;
      abort.abort(err);
    });
    tasks.add(q);
    void q.finally(() => tasks.delete(q));
    return q;
  }

  function totals() {
    const counts: Record<string, number> = { scanned: counter.scanned };
    for (const [r, n] of Object.entries(counter.skipped)) counts[`skipped:${r}`] = n;
    for (const [r, n] of Object.entries(counter.failed)) counts[`failed:${r}`] = n;
    return {
      listed: counter.listed,
      scanned: counter.scanned,
      skipped: sumValues(counter.skipped),
      failed: sumValues(counter.failed),
      downloaded: counter.downloaded,
      findings: counter.findings,
      deleted,
      counts,
      timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
    };
  }
}

/**
 * exclude.paths: a pattern without a slash matches the file name anywhere (`*.ico`); one with a
 * slash matches the item path at any depth (`thumbnails/**` and `** /thumbnails/**` alike), since
 * item paths are absolute for folders and keys for buckets.
 */
function pathExcluder(patterns: readonly string[]): (p: string) => boolean {
  if (!patterns.length) return () => false;
  const names = patterns.filter((p) => !p.includes('/'));
  const paths = patterns.filter((p) => p.includes('/')).flatMap((p) => (p.startsWith('/') || p.startsWith('**/') ? [p] : [p, `**/${p}`]));
  const byName = names.length ? picomatch(names, { dot: true }) : () => false;
  const byPath = paths.length ? picomatch(paths, { dot: true }) : () => false;
  return (p) => byName(p.split('/').pop() ?? p) || byPath(p);
}

/** exclude.sources: a URI, a glob over URIs, or a plain folder path; a source inside an excluded one is excluded too. */
function sourceExcluded(patterns: readonly string[], uri: string): boolean {
  return patterns.some((raw) => {
    const pat = raw.includes('://') ? raw : pathToFileURL(path.resolve(raw)).href;
    const base = pat.replace(/\/+$/, '');
    return uri === base || uri.startsWith(`${base}/`) || picomatch(pat, { dot: true })(uri);
  });
}

type Sniffed =
  | { kind: 'image'; body: Buffer; sha256: string; mime: string }
  | { kind: 'not_image' | 'unsupported' | 'empty'; mime?: string };

/**
 * Reads the first bytes, sniffs the type, and stops (without fetching the rest) unless it is
 * a decodable image. Hashes the full body as it arrives.
 */
async function readSniffed(stream: Readable, maxBytes: number): Promise<Sniffed> {
  const chunks: Buffer[] = [];
  let total = 0;
  let verdict: Awaited<ReturnType<typeof sniff>> | undefined;
  const hash = createHash('sha256');
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buf);
      hash.update(buf);
      total += buf.length;
      if (total > maxBytes) throw new ItemError('too_large', `more than ${maxBytes} bytes`);
      if (!verdict && total >= SNIFF_BYTES) {
        verdict = await sniff(Buffer.concat(chunks));
        if (verdict.kind !== 'image') return verdict;
      }
    }
  } finally {
    stream.destroy();
  }
  if (total === 0) return { kind: 'empty' };
  const body = Buffer.concat(chunks);
  verdict ??= await sniff(body);
  if (verdict.kind !== 'image') return verdict;
  return { kind: 'image', body, sha256: hash.digest('hex'), mime: verdict.mime };
}

/** A 'running' run is alive if its process still exists (same host) or, elsewhere, its heartbeat is fresh. */
function isAlive(run: RunInfo, heartbeatAgeMs: number, staleAfterMs: number): boolean {
  if (run.host === os.hostname() && run.pid) {
    if (run.pid === process.pid) return false;
    try {
      process.kill(run.pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return heartbeatAgeMs < staleAfterMs;
}

/**
 * A listing that fails for good. Before anything was listed it is the connector's own error (bad
 * credentials, unreachable: exit 2). Part-way through, the run failed (exit 1): the line says how
 * far it got, and that running it again is safe (recorded items are not downloaded again).
 */
function listingError(connector: Connector, err: unknown, listed: number): Error {
  if (listed === 0 && err instanceof UserError) return err;
  const what = err instanceof UserError ? err.message.replace(/[.\s]+$/, '') : `listing ${connector.uri} failed: ${oneLine(err)}`;
  if (listed === 0) return new UserError(`${what}. Check the source and your credentials, then run the scan again.`, 1, { cause: err });
  return new UserError(`${what}. The scan stopped after listing ${listed} items (their outcomes are recorded); run the same command again once that is fixed (items already scanned are not downloaded again).`, 1, { cause: err });
}

function oneLine(err: unknown): string {
  return errorMessage(err).split('\n')[0]!.slice(0, 300);
}

function sumValues(r: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(r)) n += v;
  return n;
}
