/**
 * S3 error classification: one place that reads an SDK / network error and says
 *  - how the shared retry helper should treat it (`classifyS3Error` → ErrorClass), and
 *  - which short reason an item records when it finally fails (`s3ErrorReason`,
 *    e.g. `failed:access_denied`).
 * Works on the SDK's ServiceException shape (name = S3 error code, $metadata.httpStatusCode,
 * $response.headers) and on plain Node network errors, duck-typed so that no SDK class
 * identity is needed.
 */
import type { ErrorClass } from '../../src/util/retry.js';
import { parseRetryAfter } from '../../src/util/retry.js';
import { ItemError, UserError } from '../../src/util/errors.js';
import { NETWORK_CODES, UNREACHABLE_CODES } from '../net-errors.js';


export { UNREACHABLE_CODES } from '../net-errors.js';

const THROTTLE_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'TooManyRequestsException', 'RequestLimitExceeded', 'ServiceUnavailable']);
const TRANSIENT_CODES = new Set(['InternalError', 'RequestTimeout', 'RequestTimeoutException', 'OperationAborted', 'BadGateway', 'GatewayTimeout', 'TimeoutError']);
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound', 'NoSuchVersion']);
const ACCESS_CODES = new Set([
  'AccessDenied',
  'Forbidden',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidSecurity',
  'NotSignedUp',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
]);
const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'TokenRefreshRequired', 'CredentialsProviderError']);

export interface ErrorFacts {
  /** S3 error code (`AccessDenied`, `SlowDown`, ...) or Node error code (`ECONNRESET`), or error name. */
  code?: string;
  status?: number;
  retryAfterMs?: number;
  network: boolean;
  aborted: boolean;
  /** The bucket's real region, when S3 said the request went to the wrong one. */
  bucketRegion?: string;
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
  }
  return undefined;
}

/** Walks the `cause` chain (ItemError wraps the SDK error) to the innermost informative error. */
function unwrap(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && (e instanceof ItemError || e instanceof UserError) && e.cause !== undefined; i++) e = e.cause;
  return e;
}

/** Reads what matters out of an SDK or Node error. */
export function errorFacts(err: unknown): ErrorFacts {
  const e = unwrap(err) as
    | {
        name?: string;
        code?: string;
        Code?: string;
        message?: string;
        $metadata?: { httpStatusCode?: number };
        $response?: { statusCode?: number; headers?: Record<string, string> };
        cause?: unknown;
        BucketRegion?: string;
      }
    | null
    | undefined;
  if (!e || typeof e !== 'object') return { network: false, aborted: false };
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const nodeCode = typeof e.code === 'string' ? e.code : undefined;
  const causeCode = (e.cause as { code?: unknown } | undefined)?.code;
  const name = typeof e.name === 'string' ? e.name : undefined;
  // The SDK puts the S3 error code in `name` (and `Code`); plain Node errors carry `code`.
  const code =
    (typeof e.Code === 'string' && e.Code) ||
    (nodeCode && (NETWORK_CODES.has(nodeCode) || !name || name === 'Error') ? nodeCode : undefined) ||
    (name && name !== 'Error' && name !== 'Unknown' && name !== 'UnknownError' ? name : undefined) ||
    nodeCode ||
    (typeof causeCode === 'string' ? causeCode : undefined);
  const message = typeof e.message === 'string' ? e.message : '';
  const aborted = name === 'AbortError' || code === 'ABORT_ERR';
  const network =
    !aborted &&
    status === undefined &&
    ((code !== undefined && NETWORK_CODES.has(code)) ||
      (typeof causeCode === 'string' && NETWORK_CODES.has(causeCode)) ||
      name === 'TimeoutError' ||
      (!(e instanceof UserError) && /socket hang up|ECONNRESET|ETIMEDOUT|EPIPE|premature close/i.test(message)));
  const headers = e.$response?.headers;
  const retryAfterMs = parseRetryAfter(headerOf(headers, 'retry-after'));
  const bucketRegion = headerOf(headers, 'x-amz-bucket-region') ?? (typeof e.BucketRegion === 'string' ? e.BucketRegion : undefined);
  return { code, status, retryAfterMs, network, aborted, bucketRegion };
}

/** This connector's classifier for the shared retry helper. */
export function classifyS3Error(err: unknown): ErrorClass {
  // A UserError already explains a final failure (e.g. listing gave up after its own retries).
  if (err instanceof UserError) return { kind: 'permanent' };
  if (err instanceof ItemError && err.cause === undefined) return { kind: 'permanent' };
  const f = errorFacts(err);
  if (f.aborted) return { kind: 'permanent' };
  const { code, status } = f;
  if ((code && THROTTLE_CODES.has(code)) || status === 503 || status === 429) {
    return f.retryAfterMs !== undefined ? { kind: 'throttled', retryAfterMs: f.retryAfterMs } : { kind: 'throttled' };
  }
  if ((code && NOT_FOUND_CODES.has(code)) || status === 404) return { kind: 'notFound' };
  if ((code && ACCESS_CODES.has(code)) || status === 403 || status === 401) return { kind: 'permanent' };
  if ((code && TRANSIENT_CODES.has(code)) || status === 500 || status === 502 || status === 504 || status === 408) {
    return { kind: 'retryable' };
  }
  if (f.network) return { kind: 'retryable' };
  return { kind: 'permanent' };
}

/**
 * A short machine reason for an item that could not be read, recorded by the pipeline as
 * `failed:<reason>`: access_denied, not_found, throttled, network, server_error, changed,
 * archived, too_large, wrong_region, aborted, bad_request, error.
 */
export function s3ErrorReason(err: unknown): string {
  if (err instanceof ItemError) return err.reason;
  const f = errorFacts(err);
  const { code, status } = f;
  if (f.aborted) return 'aborted';
  if (code === 'InvalidObjectState') return 'archived';
  if (code === 'PreconditionFailed' || status === 412) return 'changed';
  if (code === 'PermanentRedirect' || status === 301 || (code === 'AuthorizationHeaderMalformed' && f.bucketRegion)) return 'wrong_region';
  if ((code && ACCESS_CODES.has(code)) || status === 403 || status === 401) return 'access_denied';
  if ((code && NOT_FOUND_CODES.has(code)) || status === 404) return 'not_found';
  if ((code && THROTTLE_CODES.has(code)) || status === 503 || status === 429) return 'throttled';
  if ((code && TRANSIENT_CODES.has(code)) || (status !== undefined && status >= 500)) return 'server_error';
  if (f.network) return 'network';
  if (status !== undefined && status >= 400) return 'bad_request';
  return 'error';
}

/** True when the error is about the credentials themselves rather than a missing grant. */
export function isCredentialError(err: unknown): boolean {
  const { code } = errorFacts(err);
  return code !== undefined && CREDENTIAL_CODES.has(code);
}

/** A one-line description of an SDK/network error, without secrets. */
export function describeS3Error(err: unknown): string {
  const e = unwrap(err) as { message?: unknown } | undefined;
  const f = errorFacts(err);
  const parts = [f.code, f.status !== undefined ? `HTTP ${f.status}` : undefined].filter(Boolean).join(', ');
  let msg = typeof e?.message === 'string' ? e.message : String(e);
  msg = msg.replace(/\s+/g, ' ').trim();
  if (!msg || msg === f.code || msg === 'UnknownError' || msg === 'Unknown') msg = '';
  if (msg.length > 200) msg = `${msg.slice(0, 200)}...`;
  return [parts, msg].filter(Boolean).join(': ') || 'unknown error';
}

/** Wraps an error that escaped all retries into an ItemError carrying its outcome reason. */
export function toItemError(err: unknown, what: string): ItemError {
  if (err instanceof ItemError) return err;
  return new ItemError(s3ErrorReason(err), `${what}: ${describeS3Error(err)}`, { cause: err });
}
