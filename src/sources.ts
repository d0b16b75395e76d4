/**
 * Named sources (`casb source add finance gdrive://example.com --credentials sa.json`), kept in a
 * config file — `<data dir>/sources.yaml`, or $CASB_SOURCES — never in the database. A source holds
 * its URI and connector options; credentials are a *path* to the secret, never the secret itself.
 */
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
    /** gdrive tenant scans: the Workspace admin impersonated to read the user directory. */
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

export async function addSource(file: string, name: string, cfg: SourceConfig): Promise<void> {
  if (!NAME.test(name)) throw new UserError(`source name '${name}' must start with a letter and hold only letters, digits, - and _ (at most 63)`);
  const parsed = sourceSchema.safeParse(cfg);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`source '${name}': ${issue.path.join('.')}: ${issue.message}`);
  }
  const kind = kindOf(cfg.uri);
  if (!connectorKinds().includes(kind)) throw new UserError(`unknown source type '${kind}://' in '${cfg.uri}'. Supported: a folder path, ${connectorKinds().filter((k) => k !== 'local').map((k) => `${k}://`).join(', ')}.`);
  const all = await loadSources(file);
  all[name] = parsed.data;
  await save(file, all);
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
  return cfg ? { uri: cfg.uri, config: cfg, name: arg } : { uri: arg };
}
