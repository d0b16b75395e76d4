/**
 * A tiny fault-injecting HTTP proxy (node:http, loopback only) in front of an S3 server,
 * so that retry, throttling and access-denied paths run through the real SDK.
 *
 * Requests are forwarded unchanged (Host header included, so SigV4 signatures made for the
 * proxy's address still verify upstream). Path-style addressing is assumed:
 * `/bucket/key?query`.
 *
 * Faults are matched in order; each fires `times` times (default: forever):
 *   deny      403 AccessDenied (S3 XML error body)
 *   slowdown  503 SlowDown with an optional Retry-After header
 *   error500  500 InternalError
 *   reset     the connection is destroyed before any answer (ECONNRESET / socket hang up)
 *   truncate  the upstream answer is forwarded but cut after `afterBytes` body bytes
 * List rewrites change what ListObjectsV2 answers say about given keys (StorageClass,
 * RestoreStatus), for servers that cannot store archive classes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  bucket: string;
  /** Decoded object key; undefined for bucket-level requests. */
  key?: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

export type FaultAction = 'deny' | 'slowdown' | 'error500' | 'reset' | 'truncate';

export interface Fault {
  match: (r: ProxiedRequest) => boolean;
  action: FaultAction;
  /** How many times this fault fires; default unlimited. */
  times?: number;
  /** For slowdown: the Retry-After header value (seconds or HTTP date). */
  retryAfter?: string;
  /** For truncate: body bytes forwarded before the connection is cut. */
  afterBytes?: number;
}

export interface ListRewrite {
  storageClass?: string;
  restoreStatus?: { inProgress: boolean; expiry?: Date };
}

export interface LoggedRequest extends Omit<ProxiedRequest, 'headers'> {
  /** Status sent to the client, or 'reset' / 'truncated'. */
  outcome: number | 'reset' | 'truncated';
  /** Which fault answered, if any. */
  fault?: FaultAction;
}

export interface FaultProxy {
  endpoint: string;
  faults: Fault[];
  listRewrites: Map<string, ListRewrite>;
  log: LoggedRequest[];
  /** Clears faults, rewrites and the log. */
  reset(): void;
  stop(): Promise<void>;
}

/** Matchers for common cases. */
export const on = {
  getObject: (key: string) => (r: ProxiedRequest) => r.method === 'GET' && r.key === key,
  anyGetObject: () => (r: ProxiedRequest) => r.method === 'GET' && r.key !== undefined,
  list: () => (r: ProxiedRequest) => r.method === 'GET' && r.key === undefined && r.query.get('list-type') === '2',
  any: () => () => true,
};

function parseRequest(req: http.IncomingMessage): ProxiedRequest {
  const url = new URL(req.url ?? '/', 'http://proxy.invalid');
  const path = url.pathname.replace(/^\//, '');
  const slash = path.indexOf('/');
  const bucket = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
  const rawKey = slash < 0 ? '' : path.slice(slash + 1);
  const r: ProxiedRequest = { method: req.method ?? 'GET', bucket, query: url.searchParams, headers: req.headers };
  if (rawKey) r.key = decodeURIComponent(rawKey);
  return r;
}

function errorXml(code: string, message: string, r: ProxiedRequest): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${esc(message)}</Message>` +
    (r.key !== undefined ? `<Key>${esc(r.key)}</Key>` : '') +
    `<BucketName>${esc(r.bucket)}</BucketName><RequestId>faultproxy</RequestId><HostId>faultproxy</HostId></Error>`
  );
}

function xmlUnescape(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

/** Applies list rewrites to a ListObjectsV2 XML body. */
export function rewriteListXml(xml: string, rewrites: Map<string, ListRewrite>): string {
  if (rewrites.size === 0) return xml;
  const urlEncoded = /<EncodingType>url<\/EncodingType>/i.test(xml);
  return xml.replace(/<Contents>([\s\S]*?)<\/Contents>/g, (block, inner: string) => {
    const m = /<Key>([\s\S]*?)<\/Key>/.exec(inner);
    if (!m) return block;
    let key = xmlUnescape(m[1]!);
    if (urlEncoded) {
      try {
        key = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        /* leave as is */
      }
    }
    const rw = rewrites.get(key);
    if (!rw) return block;
    let out = inner;
    if (rw.storageClass !== undefined) {
      if (/<StorageClass>[\s\S]*?<\/StorageClass>/.test(out)) {
        out = out.replace(/<StorageClass>[\s\S]*?<\/StorageClass>/, `<StorageClass>${rw.storageClass}</StorageClass>`);
      } else {
        out += `<StorageClass>${rw.storageClass}</StorageClass>`;
      }
    }
    if (rw.restoreStatus) {
      out = out.replace(/<RestoreStatus>[\s\S]*?<\/RestoreStatus>/, '');
      out +=
        `<RestoreStatus><IsRestoreInProgress>${rw.restoreStatus.inProgress}</IsRestoreInProgress>` +
        (rw.restoreStatus.expiry ? `<RestoreExpiryDate>${rw.restoreStatus.expiry.toISOString()}</RestoreExpiryDate>` : '') +
        '</RestoreStatus>';
    }
    return `<Contents>${out}</Contents>`;
  });
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const up = new URL(upstream);
  if (up.protocol !== 'http:') throw new Error('the fault proxy only forwards to http:// upstreams');
  const faults: Fault[] = [];
  const listRewrites = new Map<string, ListRewrite>();
  const log: LoggedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    const r = parseRequest(req);
    const entry: LoggedRequest = { method: r.method, bucket: r.bucket, query: r.query, outcome: 0 };
    if (r.key !== undefined) entry.key = r.key;
    log.push(entry);

    const fault = faults.find((f) => (f.times === undefined || f.times > 0) && f.match(r));
    if (fault && fault.action !== 'truncate') {
      if (fault.times !== undefined) fault.times--;
      entry.fault = fault.action;
      req.resume();
      if (fault.action === 'reset') {
        entry.outcome = 'reset';
        req.socket.destroy();
        return;
      }
      const [status, code, message] =
        fault.action === 'deny'
          ? [403, 'AccessDenied', 'Access Denied']
          : fault.action === 'slowdown'
            ? [503, 'SlowDown', 'Please reduce your request rate.']
            : [500, 'InternalError', 'We encountered an internal error. Please try again.'];
      const body = r.method === 'HEAD' ? '' : errorXml(code, message, r);
      const headers: http.OutgoingHttpHeaders = {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
        'x-amz-request-id': 'faultproxy',
      };
      if (fault.action === 'slowdown' && fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      entry.outcome = status;
      res.writeHead(status, headers);
      res.end(body);
      return;
    }
    const truncate = fault?.action === 'truncate' ? fault : undefined;
    if (truncate) {
      if (truncate.times !== undefined) truncate.times--;
      entry.fault = 'truncate';
    }

    const upReq = http.request(
      { host: up.hostname, port: up.port || 80, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        const status = upRes.statusCode ?? 502;
        entry.outcome = status;
        const rewriteList = on.list()(r) && listRewrites.size > 0 && status === 200;
        if (rewriteList) {
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => chunks.push(c));
          upRes.on('end', () => {
            const body = Buffer.from(rewriteListXml(Buffer.concat(chunks).toString('utf8'), listRewrites), 'utf8');
            const headers = { ...upRes.headers };
            delete headers['transfer-encoding'];
            delete headers['content-md5'];
            headers['content-length'] = String(body.length);
            res.writeHead(status, headers);
            res.end(body);
          });
          upRes.on('error', () => res.destroy());
          return;
        }
        res.writeHead(status, upRes.headers);
        if (truncate) {
          let sent = 0;
          const limit = truncate.afterBytes ?? 0;
          upRes.on('data', (c: Buffer) => {
            if (sent >= limit) return;
            const part = c.subarray(0, limit - sent);
            sent += part.length;
            res.write(part);
            if (sent >= limit) {
              entry.outcome = 'truncated';
              upRes.destroy();
              // Let the written bytes reach the client before cutting the connection.
              setTimeout(() => req.socket.destroy(), 20);
            }
          });
          upRes.on('end', () => res.end());
          return;
        }
        upRes.pipe(res);
      },
    );
    upReq.on('error', () => {
      entry.outcome = 502;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('fault proxy: upstream unreachable');
      } else {
        res.destroy();
      }
    });
    req.pipe(upReq);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 2000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    faults,
    listRewrites,
    log,
    reset() {
      faults.length = 0;
      listRewrites.clear();
      log.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
