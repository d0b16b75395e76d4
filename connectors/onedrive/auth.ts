/**
 * OneDrive credentials and access tokens.
 *
 * Credentials: a JSON file (`--credentials` / opts.credentialsFile, else the path in
 * CASB_ONEDRIVE_CREDENTIALS):
 *   app-only (whole tenant or one user):  { "tenantId", "clientId", "clientSecret", "domains"? }
 *   delegated (one user, refresh token):  { "tenantId", "clientId", "refreshToken", "clientSecret"?, "domains"? }
 * `domains` optionally lists the tenant's own mail domains (for exposure); without it the
 * connector reads GET /organization verifiedDomains.
 *
 * Why not @azure/identity: its ClientSecretCredential goes through MSAL, which refuses any
 * authority that is not https (msal-common UrlString.validateAsUri → `authority_uri_insecure`),
 * so it cannot be pointed at the local token endpoint the tests run, and it has no public
 * refresh-token credential for the delegated case. Both grants are one form POST to
 * `{authority}/{tenant}/oauth2/v2.0/token` (RFC 6749 §4.4 and §6), done here directly so that
 * the code path the tests exercise is the one production uses. Secrets never reach a log line
 * or an error message.
 */
import { readCredentialsJson } from '../credentials-file.js';
import { UserError } from '../../src/util/errors.js';

export const CREDENTIALS_ENV = 'CASB_ONEDRIVE_CREDENTIALS';
export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export interface OnedriveCredentials {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  refreshToken?: string;
  /** The tenant's own mail domains, e.g. ["contoso.com", "contoso.onmicrosoft.com"]. */
  domains?: string[];
}

export type AuthMode = 'app' | 'delegated';

export function authMode(c: OnedriveCredentials): AuthMode {
  return c.refreshToken ? 'delegated' : 'app';
}

/** Validates a parsed credentials object; the message never repeats a secret. */
export function parseCredentials(raw: unknown, where: string): OnedriveCredentials {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`OneDrive credentials in ${where} are not a JSON object: write {"tenantId","clientId","clientSecret"} or {"tenantId","clientId","refreshToken"}.`);
  }
  const o = raw as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' && (o[k] as string).trim() ? (o[k] as string).trim() : undefined);
  const tenantId = str('tenantId') ?? str('tenant');
  const clientId = str('clientId') ?? str('client_id');
  const clientSecret = str('clientSecret') ?? str('client_secret');
  const refreshToken = str('refreshToken') ?? str('refresh_token');
  const notText = ['tenantId', 'clientId', 'clientSecret', 'refreshToken'].filter((k) => o[k] !== undefined && typeof o[k] !== 'string');
  if (notText.length) throw new UserError(`OneDrive credentials in ${where}: ${notText.join(', ')} must be ${notText.length > 1 ? 'strings' : 'a string'} (in quotes).`);
  const missing = [!tenantId && 'tenantId', !clientId && 'clientId', !clientSecret && !refreshToken && 'clientSecret (or refreshToken)'].filter(Boolean);
  if (missing.length) throw new UserError(`OneDrive credentials in ${where} lack ${missing.join(', ')}.`);
  const creds: OnedriveCredentials = { tenantId: tenantId!, clientId: clientId! };
  if (clientSecret) creds.clientSecret = clientSecret;
  if (refreshToken) creds.refreshToken = refreshToken;
  if (Array.isArray(o.domains)) creds.domains = o.domains.filter((d): d is string => typeof d === 'string' && d.length > 0).map((d) => d.toLowerCase());
  return creds;
}

export async function loadCredentials(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<OnedriveCredentials> {
  const path = file || env[CREDENTIALS_ENV];
  if (!path) {
    throw new UserError(`No OneDrive credentials: pass --credentials <file.json> or set ${CREDENTIALS_ENV} to the path of a JSON file with tenantId, clientId and clientSecret (or refreshToken).`);
  }
  const raw = await readCredentialsJson(path, 'OneDrive');
  return parseCredentials(raw, path);
}

/** The token endpoint: `tokenUrl` as given when it names an /oauth2/ path, else an authority host. */
export function tokenEndpoint(tenantId: string, tokenUrl?: string): string {
  const base = (tokenUrl || DEFAULT_AUTHORITY).replace(/\/+$/, '');
  if (/\/oauth2\//.test(base)) return base.replace('{tenant}', encodeURIComponent(tenantId));
  return `${base}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

/** A token endpoint refusal, with the AAD error code but never the request's secrets. */
export class TokenError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface TokenClientOptions {
  tokenUrl?: string;
  fetch?: typeof fetch;
  /** Refresh this long before expiry. */
  skewMs?: number;
}

/** Gets and caches Graph access tokens for either grant. */
export class TokenClient {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private refreshToken: string | undefined;
  readonly endpoint: string;
  /** Number of token requests made (tests, stats). */
  requests = 0;

  constructor(
    private readonly creds: OnedriveCredentials,
    private readonly opts: TokenClientOptions = {},
  ) {
    this.endpoint = tokenEndpoint(creds.tenantId, opts.tokenUrl);
    this.refreshToken = creds.refreshToken;
  }

  get mode(): AuthMode {
    return authMode(this.creds);
  }

  /** Drops the cached token (after a 401 from Graph). */
  invalidate(): void {
    this.token = undefined;
  }

  async getToken(): Promise<string> {
    const skew = this.opts.skewMs ?? 60_000;
    if (this.token && this.token.expiresAt - skew > Date.now()) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** `text` with every secret this client holds (client secret, refresh tokens) replaced. */
  private scrub(text: string): string {
    let out = text;
    for (const secret of [this.creds.clientSecret, this.creds.refreshToken, this.refreshToken]) {
      if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
    }
    return out;
  }

  private async fetchToken(): Promise<string> {
    const body = new URLSearchParams({ client_id: this.creds.clientId, scope: GRAPH_SCOPE });
    if (this.refreshToken) {
      body.set('grant_type', 'refresh_token');
      body.set('refresh_token', this.refreshToken);
      // Offline access keeps the rotated refresh token usable.
      body.set('scope', `${GRAPH_SCOPE} offline_access`);
      if (this.creds.clientSecret) body.set('client_secret', this.creds.clientSecret);
    } else {
      body.set('grant_type', 'client_credentials');
      body.set('client_secret', this.creds.clientSecret ?? '');
    }
    const f = this.opts.fetch ?? fetch;
    this.requests++;
    let res: Response;
    try {
      res = await f(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
      });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? 'network';
      throw new TokenError(-1, code, `cannot reach the token endpoint ${safeUrl(this.endpoint)} (${code})`);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* not JSON */
    }
    if (!res.ok || typeof json.access_token !== 'string') {
      const code = typeof json.error === 'string' ? json.error : `HTTP ${res.status}`;
      // AAD descriptions start with the AADSTS code and never contain the secret itself.
      const desc = typeof json.error_description === 'string' ? json.error_description.split(/\r?\n/)[0]!.slice(0, 200) : '';
      // ...and should a server ever echo one, it is cut out here, before any message is made.
      throw new TokenError(res.status, this.scrub(code), `token request to ${safeUrl(this.endpoint)} failed: ${this.scrub(code)}${desc ? ` (${this.scrub(desc)})` : ''}`);
    }
    const expiresIn = Number(json.expires_in ?? 3600);
    this.token = { value: json.access_token, expiresAt: Date.now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000 };
    // AAD rotates refresh tokens; keep the newest in memory (it is never written back to disk).
    if (typeof json.refresh_token === 'string' && json.refresh_token) this.refreshToken = json.refresh_token;
    return json.access_token;
  }
}

function safeUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return u;
  }
}
