/**
 * Graph error classification: one place that reads a Graph client error (GraphError:
 * statusCode, code, headers), a download failure (GraphHttpError below), a token refusal
 * (TokenError) or a Node network error, and says
 *  - how the shared retry helper treats it (`classifyGraphError` → ErrorClass), and
 *  - which short reason an item records when it finally fails (`graphErrorReason`).
 * Graph error bodies are `{"error":{"code":"TooManyRequests","message":"...","innerError":{...}}}`.
 */
import type { ErrorClass } from '../../src/util/retry.js';
import { parseRetryAfter } from '../../src/util/retry.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { CursorExpiredError } from '../contract.js';
import { TokenError } from './auth.js';
import { NETWORK_CODES } from '../net-errors.js';

const THROTTLE_CODES = new Set(['TooManyRequests', 'activityLimitReached', 'serviceNotAvailable', 'ServiceUnavailable']);
const ACCESS_CODES = new Set(['accessDenied', 'AccessDenied', 'Authorization_RequestDenied', 'InvalidAuthenticationToken', 'unauthenticated', 'Unauthorized', 'ErrorAccessDenied']);
const NOT_FOUND_CODES = new Set(['itemNotFound', 'ResourceNotFound', 'Request_ResourceNotFound', 'ErrorItemNotFound', 'MailboxNotEnabledForRESTAPI']);
export const RESYNC_CODES = new Set(['resyncRequired', 'resyncChangesApplyDifferences', 'resyncChangesUploadDifferences', 'syncStateNotFound', 'syncStateInvalid']);

/** A non-Graph-client HTTP failure (the download URL, a raw /content response). */
export class GraphHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string | null,
    message: string,
    readonly headers?: Headers,
  ) {
    super(message);
    this.name = 'GraphHttpError';
  }
}

export interface GraphErrorFacts {
  status?: number;
  code?: string;
  retryAfterMs?: number;
  network: boolean;
  aborted: boolean;
  message: string;
}

function unwrap(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && (e instanceof ItemError || e instanceof UserError) && e.cause !== undefined; i++) e = e.cause;
  return e;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  if (typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) if (k.toLowerCase() === name) return String(v);
  }
  return undefined;
}

export function graphErrorFacts(err: unknown): GraphErrorFacts {
  const e = unwrap(err) as { statusCode?: unknown; status?: unknown; code?: unknown; name?: unknown; message?: unknown; headers?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return { network: false, aborted: false, message: String(err) };
  if (e instanceof TokenError) {
    return { status: e.status > 0 ? e.status : undefined, code: e.code, network: e.status <= 0 && NETWORK_CODES.has(e.code), aborted: false, message: e.message };
  }
  const raw = typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : undefined;
  const status = raw !== undefined && raw > 0 ? raw : undefined;
  const code = typeof e.code === 'string' && e.code ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';
  const name = typeof e.name === 'string' ? e.name : '';
  const causeCode = (e.cause as { code?: unknown } | undefined)?.code;
  const aborted = name === 'AbortError' || code === 'AbortError' || code === 'ABORT_ERR';
  // GraphError wraps a fetch failure as statusCode -1, code "TypeError", message "fetch failed".
  const network =
    !aborted &&
    status === undefined &&
    ((code !== undefined && NETWORK_CODES.has(code)) ||
      (typeof causeCode === 'string' && NETWORK_CODES.has(causeCode)) ||
      /fetch failed|socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|other side closed|terminated/i.test(message));
  const retryAfterMs = parseRetryAfter(header(e.headers, 'retry-after'));
  const f: GraphErrorFacts = { network, aborted, message };
  if (status !== undefined) f.status = status;
  if (code !== undefined) f.code = code;
  if (retryAfterMs !== undefined) f.retryAfterMs = retryAfterMs;
  return f;
}

/** This connector's classifier for the shared retry helper. */
export function classifyGraphError(err: unknown): ErrorClass {
  if (err instanceof UserError || err instanceof CursorExpiredError) return { kind: 'permanent' };
  if (err instanceof ItemError && err.cause === undefined) return { kind: 'permanent' };
  const f = graphErrorFacts(err);
  if (f.aborted) return { kind: 'permanent' };
  const { status, code } = f;
  if (status === 429 || status === 503 || (code !== undefined && THROTTLE_CODES.has(code))) {
    return f.retryAfterMs !== undefined ? { kind: 'throttled', retryAfterMs: f.retryAfterMs } : { kind: 'throttled' };
  }
  if (status === 404 || (code !== undefined && NOT_FOUND_CODES.has(code))) return { kind: 'notFound' };
  if (status === 401 || status === 403 || status === 410 || status === 400) return { kind: 'permanent' };
  if (status === 500 || status === 502 || status === 504 || status === 408) return { kind: 'retryable' };
  if (f.network) return { kind: 'retryable' };
  return { kind: 'permanent' };
}

/** Short outcome reason: access_denied, not_found, throttled, server_error, network, gone, bad_request, aborted, error. */
export function graphErrorReason(err: unknown): string {
  if (err instanceof ItemError) return err.reason;
  const f = graphErrorFacts(err);
  const { status, code } = f;
  if (f.aborted) return 'aborted';
  if (status === 401 || status === 403 || (code !== undefined && ACCESS_CODES.has(code))) return 'access_denied';
  if (status === 404 || (code !== undefined && NOT_FOUND_CODES.has(code))) return 'not_found';
  if (status === 429 || status === 503 || (code !== undefined && THROTTLE_CODES.has(code))) return 'throttled';
  if (status === 410) return 'gone';
  if (status !== undefined && status >= 500) return 'server_error';
  if (f.network) return 'network';
  if (status !== undefined && status >= 400) return 'bad_request';
  return 'error';
}

/** True for a delta 410 (or a resync code): the stored delta link is no longer accepted. */
export function isResyncError(err: unknown): boolean {
  const f = graphErrorFacts(err);
  return f.status === 410 || (f.code !== undefined && RESYNC_CODES.has(f.code));
}

/** One line, no secrets: `code, HTTP status: message`. */
export function describeGraphError(err: unknown): string {
  const f = graphErrorFacts(err);
  const parts = [f.code, f.status !== undefined ? `HTTP ${f.status}` : undefined].filter(Boolean).join(', ');
  let msg = f.message.replace(/\s+/g, ' ').trim();
  if (msg === f.code) msg = '';
  if (msg.length > 200) msg = `${msg.slice(0, 200)}...`;
  return [parts, msg].filter(Boolean).join(': ') || 'unknown error';
}

export function toItemError(err: unknown, what: string): ItemError {
  if (err instanceof ItemError) return err;
  return new ItemError(graphErrorReason(err), `${what}: ${describeGraphError(err)}`, { cause: err });
}
