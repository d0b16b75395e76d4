/**
 * The one retry helper. Exponential backoff with full jitter, honouring a server's
 * Retry-After. Nothing else in the code base retries by itself: each connector
 * supplies `classify` and this decides whether and when to try again.
 */
export type ErrorClass =
  | { kind: 'retryable' }
  | { kind: 'throttled'; retryAfterMs?: number }
  | { kind: 'notFound' }
  | { kind: 'permanent' };

export interface RetryOptions {
  classify: (err: unknown) => ErrorClass;
  /** Total attempts including the first. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * The longest server Retry-After honoured as given (default 5 min); longer ones wait this long.
   * Separate from maxDelayMs, which caps only our own backoff: Graph and Drive ask for pauses of
   * a minute or more under heavy throttling, and retrying earlier only prolongs the throttling.
   */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  /** Called before each wait; used for throttle counters and debug logs. */
  onRetry?: (info: { attempt: number; delayMs: number; cls: ErrorClass; err: unknown }) => void;
  /** Injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_RETRY = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 30_000, maxRetryAfterMs: 300_000 } as const;

/** Parses a Retry-After header value (delta-seconds or HTTP-date) into milliseconds. */
export function parseRetryAfter(value: string | number | undefined | null, now = Date.now()): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Full-jitter backoff: uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * cap);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `o` plus counting: every retry, and every throttle answer, goes into a connector's stats (the scan summary shows them). */
export function countingRetry(stats: { retries: number; throttled: number }, o: RetryOptions): RetryOptions {
  const inner = o.onRetry;
  return {
    ...o,
    onRetry: (info) => {
      stats.retries++;
      if (info.cls.kind === 'throttled') stats.throttled++;
      inner?.(info);
    },
  };
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const base = opts.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = opts.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const maxRetryAfter = opts.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs;
  const wait = opts.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const cls = opts.classify(err);
      const again = (cls.kind === 'retryable' || cls.kind === 'throttled') && attempt < maxAttempts;
      if (!again) throw err;
      // A server's Retry-After wins over our own schedule, but is still capped so one bad header can't stall a scan.
      const delayMs =
        cls.kind === 'throttled' && cls.retryAfterMs !== undefined
          ? Math.min(cls.retryAfterMs, maxRetryAfter)
          : backoffDelay(attempt, base, max, opts.random);
      opts.onRetry?.({ attempt, delayMs, cls, err });
      await wait(delayMs, opts.signal);
    }
  }
}
