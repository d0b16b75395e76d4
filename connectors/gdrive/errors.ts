/**
 * Google Drive / Admin SDK error classification, for the shared retry helper and for item
 * outcome reasons. Reads gaxios errors (status, `error.errors[].reason` of the documented
 * JSON error body, Retry-After) and plain Node network errors, duck-typed.
 *
 * Drive documents (https://developers.google.com/workspace/drive/api/guides/handle-errors):
 *  - 403 `userRateLimitExceeded` / `rateLimitExceeded`, 429 `rateLimitExceeded`: throttled,
 *    exponential backoff;
 *  - 5xx (`backendError`, ...): retry with backoff;
 *  - other 403s (`insufficientFilePermissions`, `domainPolicy`, `appNotAuthorizedToFile`, ...),
 *    400s and 404 (`notFound`): not retried.
 */
import type { ErrorClass } from '../../src/util/retry.js';
import { parseRetryAfter } from '../../src/util/retry.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { NETWORK_CODES, UNREACHABLE_CODES } from '../net-errors.js';

export { UNREACHABLE_CODES } from '../net-errors.js';

/** Drive reasons that mean "slow down". */
export const THROTTLE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'sharingRateLimitExceeded', 'quotaExceeded']);
const SERVER_REASONS = new Set(['backendError', 'internalError']);
/** OAuth token-endpoint errors (`{"error":"invalid_grant"}`) that mean the credentials are wrong. */
const OAUTH_CREDENTIAL_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'access_denied', 'invalid_scope']);

export interface DriveErrorFacts {
  status?: number;
  /** First `error.errors[].reason` of a Drive/Admin error body, e.g. `userRateLimitExceeded`. */
  reason?: string;
  /** `location` of that entry, e.g. `pageToken`. */
  location?: string;
  /** OAuth token endpoint error code, e.g. `invalid_grant`. */
  oauthError?: string;
  message?: string;
  code?: string;
  retryAfterMs?: number;
  network: boolean;
  aborted: boolean;
}

function unwrap(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && (e instanceof ItemError || e instanceof UserError) && e.cause !== undefined; i++) e = e.cause;
  return e;
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => string | null };
  if (typeof h.get === 'function') return h.get(name) ?? undefined;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
  }
  return undefined;
}

function parseBody(data: unknown): unknown {
  if (typeof data === 'string') {
    try {
      return JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  if (Buffer.isBuffer(data)) return parseBody(data.toString('utf8'));
  return data;
}

/** Reads status, Drive reason and Retry-After out of a gaxios or Node error. */
export function driveErrorFacts(err: unknown): DriveErrorFacts {
  const e = unwrap(err) as
    | { name?: string; code?: unknown; status?: unknown; message?: string; response?: { status?: number; headers?: unknown; data?: unknown }; cause?: unknown }
    | null
    | undefined;
  if (!e || typeof e !== 'object') return { network: false, aborted: false };
  const status = typeof e.response?.status === 'number' ? e.response.status : typeof e.status === 'number' ? e.status : undefined;
  // With responseType 'stream' (alt=media downloads) gaxios leaves response.data a stream and
  // puts the error body's text in the message instead; read the documented JSON from there.
  let body = parseBody(e.response?.data) as { error?: unknown; error_description?: unknown } | undefined;
  if ((!body || typeof body !== 'object' || typeof (body as { pipe?: unknown }).pipe === 'function') && typeof e.message === 'string' && e.message.trimStart().startsWith('{')) {
    body = parseBody(e.message) as typeof body;
  }
  let reason: string | undefined;
  let location: string | undefined;
  let oauthError: string | undefined;
  let message = typeof e.message === 'string' ? e.message : undefined;
  if (body && typeof body === 'object') {
    if (typeof body.error === 'string') {
      oauthError = body.error;
    } else if (body.error && typeof body.error === 'object') {
      const be = body.error as { message?: unknown; errors?: unknown; status?: unknown };
      if (typeof be.message === 'string') message = be.message;
      const first = Array.isArray(be.errors) ? (be.errors[0] as { reason?: unknown; location?: unknown } | undefined) : undefined;
      if (first && typeof first.reason === 'string') reason = first.reason;
      if (first && typeof first.location === 'string') location = first.location;
    }
  }
  const causeCode = (e.cause as { code?: unknown } | undefined)?.code;
  const code = typeof e.code === 'string' ? e.code : typeof causeCode === 'string' ? causeCode : undefined;
  const aborted = e.name === 'AbortError' || code === 'ABORT_ERR' || (e.cause as { name?: string } | undefined)?.name === 'AbortError';
  const network =
    !aborted &&
    status === undefined &&
    ((code !== undefined && NETWORK_CODES.has(code)) || /socket hang up|ECONNRESET|ETIMEDOUT|EPIPE|premature close|fetch failed/i.test(message ?? ''));
  const retryAfterMs = parseRetryAfter(headerOf(e.response?.headers, 'retry-after'));
  const facts: DriveErrorFacts = { network, aborted };
  if (status !== undefined) facts.status = status;
  if (reason) facts.reason = reason;
  if (location) facts.location = location;
  if (oauthError) facts.oauthError = oauthError;
  if (message) facts.message = message;
  if (code) facts.code = code;
  if (retryAfterMs !== undefined) facts.retryAfterMs = retryAfterMs;
  return facts;
}

export function isThrottle(f: DriveErrorFacts): boolean {
  return f.status === 429 || ((f.status === 403 || f.status === 429) && f.reason !== undefined && THROTTLE_REASONS.has(f.reason));
}

/** This connector's classifier for withRetry. */
export function classifyDriveError(err: unknown): ErrorClass {
  if (err instanceof UserError) return { kind: 'permanent' };
  if (err instanceof ItemError && err.cause === undefined) return { kind: 'permanent' };
  const f = driveErrorFacts(err);
  if (f.aborted) return { kind: 'permanent' };
  if (isThrottle(f) || (f.status === 503 && f.retryAfterMs !== undefined)) {
    return f.retryAfterMs !== undefined ? { kind: 'throttled', retryAfterMs: f.retryAfterMs } : { kind: 'throttled' };
  }
  if (f.status === 404) return { kind: 'notFound' };
  if (f.status !== undefined && (f.status >= 500 || f.status === 408)) return { kind: 'retryable' };
  if (f.reason !== undefined && SERVER_REASONS.has(f.reason)) return { kind: 'retryable' };
  if (f.network) return { kind: 'retryable' };
  return { kind: 'permanent' };
}

/**
 * Outcome reason for an item: access_denied, not_found, throttled, server_error, network,
 * not_downloadable, bad_request, auth, aborted, error.
 */
export function driveErrorReason(err: unknown): string {
  if (err instanceof ItemError) return err.reason;
  const f = driveErrorFacts(err);
  if (f.aborted) return 'aborted';
  if (isThrottle(f)) return 'throttled';
  if (f.oauthError || f.status === 401) return 'auth';
  if (f.reason === 'fileNotDownloadable' || f.reason === 'cannotDownloadFile') return 'not_downloadable';
  if (f.status === 403) return 'access_denied';
  if (f.status === 404) return 'not_found';
  if (f.status !== undefined && f.status >= 500) return 'server_error';
  if (f.network) return 'network';
  if (f.status !== undefined && f.status >= 400) return 'bad_request';
  return 'error';
}

/** True when the error is about the credentials themselves (token endpoint refused them, 401). */
export function isCredentialError(err: unknown): boolean {
  const f = driveErrorFacts(err);
  return f.status === 401 || (f.oauthError !== undefined && OAUTH_CREDENTIAL_ERRORS.has(f.oauthError));
}

/** One line, no secrets: `HTTP 403 insufficientFilePermissions: The user does not have ...`. */
export function describeDriveError(err: unknown): string {
  const f = driveErrorFacts(err);
  const head = [f.status !== undefined ? `HTTP ${f.status}` : undefined, f.reason ?? f.oauthError ?? (f.status === undefined ? f.code : undefined)].filter(Boolean).join(' ');
  let msg = (f.message ?? '').replace(/\s+/g, ' ').trim();
  // gaxios puts the OAuth error code at the front of its message too: say it once
  const code = f.reason ?? f.oauthError;
  if (code && msg.startsWith(`${code}: `)) msg = msg.slice(code.length + 2);
  else if (code && msg === code) msg = '';
  // Never echo bearer tokens or assertions that a library may have put in a message.
  msg = msg.replace(/(Bearer\s+)[\w.\-~+/]+=*/gi, '$1***').replace(/(assertion|refresh_token|access_token|client_secret)=[^&\s]+/gi, '$1=***');
  if (msg.length > 200) msg = `${msg.slice(0, 200)}...`;
  return [head, msg].filter(Boolean).join(': ') || 'unknown error';
}

export function toItemError(err: unknown, what: string): ItemError {
  if (err instanceof ItemError) return err;
  return new ItemError(driveErrorReason(err), `${what}: ${describeDriveError(err)}`, { cause: err });
}

/** Drive answers 400 (invalid pageToken) or 410 for a change token it no longer accepts. */
export function isExpiredTokenError(err: unknown): boolean {
  const f = driveErrorFacts(err);
  if (f.status === 410) return true;
  return f.status === 400 && (f.location === 'pageToken' || f.reason === 'invalid' || /page ?token/i.test(f.message ?? ''));
}
