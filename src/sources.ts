/**
 * Named sources (`casb source add finance gdrive://example.com --credentials sa.json`), kept in a
 * config file — `<data dir>/sources.yaml`, or $CASB_SOURCES — never in the database. A source holds
 * its URI and connector options; credentials are a *path* to the secret, never the secret itself.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { kindOf, connectorKinds } from '../connectors/registry.js';
import { UserError, errorMessage } from './util/errors.js';

const NAME = /^[a-z][a-z0-9_-]{0,62}$/i;

export const sourceSchema = z
  .object({
    uri: z.string().min(1),
    /** gdrive/onedrive: path of the credentials file. */
    credentials: z.string().min(1).optional(),
    /** S3-compatible endpoint. */
    endpoint: z.string().url().optional(),
    region: z.string().min(1).optional(),
    /** gdrive/onedrive: API root and token endpoint overrides (sovereign clouds). */
    apiUrl: z.string().url().optional(),
    tokenUrl: z.string().url().optional(),
    /** gdrive/onedrive tenant scans: scan these users instead of enumerating the directory. */
    users: z.array(z.string().email()).optional(),
    /** gdrive: the Workspace admin impersonated to read the user directory (tenant scans) and owning the quarantine folder (casb remediate). */
    admin: z.string().email().optional(),
    /** The organisation's own domains (exposure: who counts as external). */
    domains: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type SourceConfig = z.infer<typeof sourceSchema>;

const fileSchema = z.object({ sources: z.record(z.string().regex(NAME), sourceSchema).default({}) }).strict();

export function sourcesFile(dataDir: string): string {
  return process.env.CASB_SOURCES || path.join(dataDir, 'sources.yaml');
}

export async function loadSources(file: string): Promise<Record<string, SourceConfig>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UserError(`cannot read the sources file ${file}: ${errorMessage(err)}`, 2, { cause: err });
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text) ?? {};
  } catch (err) {
    throw new UserError(`the sources file ${file} is not valid YAML: ${errorMessage(err).split('\n')[0]}`, 2, { cause: err });
  }
  const r = fileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UserError(`the sources file ${file} is invalid at ${issue.path.join('.') || '(top level)'}: ${issue.message}`, 2);
  }
  return r.data.sources;
}

async function save(file: string, sources: Record<string, SourceConfig>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `# casb named sources (casb source add/remove). Credentials are file paths; the secrets stay in those files.\n${YAML.stringify({ sources })}`, { mode: 0o600 });
  await rename(tmp, file);
}

/** Which options mean something for which kind of source (others are refused, not silently kept). */
const OPTIONS_FOR: Record<string, Array<keyof SourceConfig>> = {
  local: [],
  s3: ['endpoint', 'region'],
  gdrive: ['credentials', 'users', 'admin', 'domains', 'apiUrl', 'tokenUrl'],
  onedrive: ['credentials', 'domains', 'apiUrl', 'tokenUrl'],
};

/** The URI as the connector would read it: invalid ones are refused now, not at the first scan. */
async function checkUri(kind: string, uri: string): Promise<string> {
  if (kind === 'gdrive') return (await import('../connectors/gdrive/uri.js')).parseGdriveUri(uri).uri;
  if (kind === 'onedrive') return (await import('../connectors/onedrive/uri.js')).parseOnedriveUri(uri).uri;
  if (kind === 's3') return (await import('../connectors/s3/uri.js')).parseS3Uri(uri) && uri;
  if (kind === 'local') {
    // a folder path is kept absolute, so the source means the same from any working directory
    const { localPathOf } = await import('../connectors/local/index.js');
    const p = path.resolve(uri.startsWith('file://') ? localPathOf(uri) : uri);
    if (!existsSync(p) || !statSync(p).isDirectory()) throw new UserError(`folder not found: ${p}. Check the path.`);
    return p;
  }
  return uri;
}

/** Adds or replaces a named source; returns whether one of that name was replaced. */
export async function addSource(file: string, name: string, cfg: SourceConfig): Promise<{ replaced: boolean; config: SourceConfig }> {
  if (!NAME.test(name)) throw new UserError(`source name '${name}' must start with a letter and hold only letters, digits, - and _ (at most 63)`);
  const parsed = sourceSchema.safeParse(cfg);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`source '${name}': ${issue.path.join('.')}: ${issue.message}`);
  }
  const kind = kindOf(cfg.uri);
  if (!connectorKinds().includes(kind)) throw new UserError(`unknown source type '${kind}://' in '${cfg.uri}'. Supported: a folder path, ${connectorKinds().filter((k) => k !== 'local').map((k) => `${k}://`).join(', ')}.`);
  const config = { ...parsed.data, uri: await checkUri(kind, parsed.data.uri) };
  const allowed = OPTIONS_FOR[kind] ?? [];
  const extra = (Object.keys(config) as Array<keyof SourceConfig>).filter((k) => k !== 'uri' && !allowed.includes(k));
  if (extra.length) throw new UserError(`source '${name}': ${extra.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} ${extra.length > 1 ? 'do' : 'does'} not apply to ${kind} sources`);
  if (kind === 'gdrive' && config.users) {
    // (--admin applies to one user's source too: the admin owns the quarantine folder of casb remediate)
    const loc = (await import('../connectors/gdrive/uri.js')).parseGdriveUri(config.uri);
    if (loc.user) throw new UserError(`source '${name}': --users is for a whole domain (gdrive://${loc.domain}), not for one user's ${config.uri}`);
    if (loc.users && config.users) throw new UserError(`source '${name}': the users are given twice (in the URI and with --users); give them once`);
  }
  const badDomain = config.domains?.find((d) => !/^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i.test(d));
  if (badDomain) throw new UserError(`source '${name}': "${badDomain.slice(0, 100)}" is not a domain (write e.g. example.com)`);
  if (config.credentials) {
    // stored absolute (a scan may run from another folder), and it must be there now
    config.credentials = path.resolve(config.credentials);
    if (!existsSync(config.credentials) || !statSync(config.credentials).isFile()) throw new UserError(`source '${name}': no credentials file ${config.credentials}. Check the path.`);
  }
  const all = await loadSources(file);
  const replaced = name in all;
  all[name] = config;
  await save(file, all);
  return { replaced, config };
}

export async function removeSource(file: string, name: string): Promise<boolean> {
  const all = await loadSources(file);
  if (!(name in all)) return false;
  delete all[name];
  await save(file, all);
  return true;
}

/**
 * What `casb scan <arg>` means: a URI or path as given, or a named source. A bare word names a
 * source when one is configured under it; a folder of the same name is then `./name`.
 */
export async function resolveSource(arg: string, file: string): Promise<{ uri: string; config?: SourceConfig; name?: string }> {
  if (arg.includes('://') || arg.includes('/') || arg.startsWith('.') || !NAME.test(arg)) return { uri: arg };
  const cfg = (await loadSources(file))[arg];
  if (cfg) return { uri: cfg.uri, config: cfg, name: arg };
  if (!existsSync(arg)) throw new UserError(`no folder ./${arg} and no named source '${arg}' (casb source list shows them; casb source add creates one)`);
  return { uri: arg };
}
