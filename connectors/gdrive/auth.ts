/**
 * Credentials for the Drive connector, read from `opts.credentialsFile` or
 * GOOGLE_APPLICATION_CREDENTIALS:
 *  - a service-account key (`type: service_account`): a JWT client per impersonated user
 *    (`subject`), which needs domain-wide delegation for the scopes below;
 *  - an authorized-user JSON (`type: authorized_user`: client_id, client_secret,
 *    refresh_token): one user's OAuth grant (single-user URIs only).
 * Nothing from these files is ever logged or put into an error message.
 *
 * Token endpoint override (tests, private deployments): OAuth2Client takes
 * `endpoints.oauth2TokenUrl`, but the JWT client (gtoken) posts to a hard-coded
 * https://oauth2.googleapis.com/token. Both go through the auth client's gaxios transporter,
 * so a request interceptor rewrites that URL to `tokenUrl`. The same interceptor turns off
 * gaxios' own retries on every request (token and API): the shared withRetry is the only
 * one retrying.
 */
import { readCredentialsJson } from '../credentials-file.js';
import { JWT, UserRefreshClient } from 'google-auth-library';
import type { AuthClient, OAuth2Client } from 'google-auth-library';
import { UserError } from '../../src/util/errors.js';

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const SCOPE_DRIVE_READONLY = 'https://www.googleapis.com/auth/drive.readonly';
export const SCOPE_DIRECTORY_USERS_READONLY = 'https://www.googleapis.com/auth/admin.directory.user.readonly';

export interface ServiceAccountKey {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}
export interface AuthorizedUser {
  type: 'authorized_user';
  client_id: string;
  client_secret: string;
  refresh_token: string;
}
export type GdriveCredentials = ServiceAccountKey | AuthorizedUser;

/** Validates parsed credentials JSON; `where` names the file (never its content). */
export function parseCredentials(json: unknown, where: string): GdriveCredentials {
  const o = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const str = (k: string) => typeof o[k] === 'string' && (o[k] as string).length > 0;
  if (o.type === 'service_account' || (!o.type && str('client_email') && str('private_key'))) {
    if (!str('client_email') || !str('private_key')) {
      throw new UserError(`Google credentials ${where} is a service-account key without client_email or private_key: download a new JSON key for the service account.`);
    }
    const key: ServiceAccountKey = { type: 'service_account', client_email: o.client_email as string, private_key: o.private_key as string };
    if (str('private_key_id')) key.private_key_id = o.private_key_id as string;
    if (str('token_uri')) key.token_uri = o.token_uri as string;
    return key;
  }
  if (o.type === 'authorized_user' || (!o.type && str('refresh_token'))) {
    if (!str('client_id') || !str('client_secret') || !str('refresh_token')) {
      throw new UserError(`Google credentials ${where} is an authorized-user file without client_id, client_secret or refresh_token.`);
    }
    return { type: 'authorized_user', client_id: o.client_id as string, client_secret: o.client_secret as string, refresh_token: o.refresh_token as string };
  }
  throw new UserError(
    `Google credentials ${where} is neither a service-account key (type service_account) nor an authorized-user file (type authorized_user)${typeof o.type === 'string' ? ` (type is "${String(o.type).slice(0, 40)}")` : ''}.`,
  );
}

/** Reads the credentials file (opts.credentialsFile, else GOOGLE_APPLICATION_CREDENTIALS). */
export async function loadCredentials(file: string | undefined): Promise<GdriveCredentials> {
  const path = file || process.env.GOOGLE_APPLICATION_CREDENTIALS;
  if (!path) {
    throw new UserError('No Google credentials: pass --credentials <key.json> or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key (with domain-wide delegation) or an authorized-user JSON.');
  }
  const json = await readCredentialsJson(path, 'Google');
  return parseCredentials(json, `file ${path}`);
}

/** Request interceptor: token URL override + no library retries. */
function installInterceptor(client: AuthClient, tokenUrl: string | undefined): void {
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      const c = config as typeof config & { retry?: boolean; retryConfig?: unknown };
      c.retry = false;
      delete c.retryConfig;
      if (tokenUrl && String(config.url) === GOOGLE_TOKEN_URL) config.url = new URL(tokenUrl);
      return config;
    },
  });
}

export interface AuthFactoryOptions {
  tokenUrl?: string;
}

/** Hands out (cached) auth clients per impersonated user and scope set. */
export class AuthFactory {
  private readonly cache = new Map<string, OAuth2Client>();
  private readonly tokenUrl: string | undefined;

  constructor(
    readonly credentials: GdriveCredentials,
    opts: AuthFactoryOptions = {},
  ) {
    const fromKey = credentials.type === 'service_account' && credentials.token_uri && credentials.token_uri !== GOOGLE_TOKEN_URL ? credentials.token_uri : undefined;
    this.tokenUrl = opts.tokenUrl || fromKey;
  }

  get kind(): GdriveCredentials['type'] {
    return this.credentials.type;
  }

  /** Service-account email, for messages (not secret). */
  get principal(): string {
    return this.credentials.type === 'service_account' ? this.credentials.client_email : `OAuth client ${this.credentials.client_id.slice(0, 12)}...`;
  }

  /**
   * Forgets every cached access token, so the next request of each client gets a new one (after
   * a 401: a token revoked before its expiry). Not the library's forceRefreshOnFailure, which
   * would also retry every 403, and a permission 403 must not be retried. An expiry in the past
   * makes the JWT client's gtoken cache refresh too.
   */
  dropTokens(): void {
    for (const c of this.cache.values()) {
      // 'jwt-placeholder' is the JWT client's own stand-in for a refresh token (it refreshes by signing).
      c.setCredentials({ refresh_token: this.credentials.type === 'authorized_user' ? this.credentials.refresh_token : 'jwt-placeholder', expiry_date: 1 });
    }
  }

  /** An auth client acting as `subject` (ignored for authorized-user credentials). */
  client(subject: string | undefined, scopes: string[]): OAuth2Client {
    const key = `${subject ?? ''}|${scopes.join(' ')}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    let c: OAuth2Client;
    const creds = this.credentials;
    if (creds.type === 'service_account') {
      const opts: ConstructorParameters<typeof JWT>[0] = { email: creds.client_email, key: creds.private_key, scopes };
      if (creds.private_key_id) opts.keyId = creds.private_key_id;
      if (subject) opts.subject = subject;
      c = new JWT(opts);
    } else {
      const opts: ConstructorParameters<typeof UserRefreshClient>[0] = {
        clientId: creds.client_id,
        clientSecret: creds.client_secret,
        refreshToken: creds.refresh_token,
      };
      if (this.tokenUrl) opts.endpoints = { oauth2TokenUrl: this.tokenUrl };
      c = new UserRefreshClient(opts);
    }
    installInterceptor(c, this.tokenUrl);
    this.cache.set(key, c);
    return c;
  }
}
