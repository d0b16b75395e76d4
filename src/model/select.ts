/**
 * Where models are found, and which one `casb scan` / `casb classify` use.
 *
 * Two roots, each laid out `<name>/<version>/manifest.json`:
 *  - shipped: the repository's `models/` (committed);
 *  - user:    `$CASB_MODELS_DIR`, else `<data dir>/models` — where `casb model add-class` writes.
 *
 * The active model, first match wins:
 *   --model <dir|version>  >  $CASB_MODEL (dir or version)  >  `casb model use` (saved in
 *   `<data dir>/active-model.json`, per installation, never in the repository)  >  the newest
 *   shipped version of casb-classifier (so adding a class never switches models by itself).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, errorMessage } from '../util/errors.js';
import { compareVersions, DEFAULT_MODEL_NAME, DEFAULT_MODELS_DIR, modelVersionOf, parseManifest, type Manifest } from './manifest.js';

export type ModelRoot = 'shipped' | 'user';

export interface ModelEntry {
  name: string;
  version: string;
  /** `${name}@${version}` — what scanned items record as their model version. */
  id: string;
  dir: string;
  root: ModelRoot;
  /** Absent when manifest.json does not parse (then `error` says why). */
  manifest?: Manifest;
  error?: string;
  /** manifest.json's modification time (ISO). */
  modified: string;
}

export type ActiveSource = 'flag' | 'env' | 'saved' | 'newest';

export interface ActiveModel {
  /** Model folder; undefined when no model is installed at all (the loader then says so). */
  dir: string | undefined;
  source: ActiveSource;
  entry?: ModelEntry;
}

export const ACTIVE_MODEL_FILE = 'active-model.json';

/** Where embedded data lives unless told otherwise (same rule as the store's). */
function dataDirOr(dataDir?: string): string {
  return path.resolve(dataDir ?? process.env.CASB_DATA_DIR ?? '.casb');
}

/** Where user-built models go: $CASB_MODELS_DIR, else <data dir>/models. */
export function userModelsDir(dataDir?: string): string {
  return path.resolve(process.env.CASB_MODELS_DIR || path.join(dataDirOr(dataDir), 'models'));
}

export function activeModelFile(dataDir?: string): string {
  return path.join(dataDirOr(dataDir), ACTIVE_MODEL_FILE);
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export function modelRoots(dataDir?: string, shippedDir = DEFAULT_MODELS_DIR): { dir: string; root: ModelRoot }[] {
  const roots: { dir: string; root: ModelRoot }[] = [{ dir: shippedDir, root: 'shipped' }];
  const user = userModelsDir(dataDir);
  if (realOr(user) !== realOr(shippedDir)) roots.push({ dir: user, root: 'user' });
  return roots;
}

async function dirs(p: string): Promise<string[]> {
  try {
    return (await readdir(p, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** Every `<root>/<name>/<version>/manifest.json`, sorted by name, then version (oldest first). */
export async function listModels(dataDir?: string, shippedDir = DEFAULT_MODELS_DIR): Promise<ModelEntry[]> {
  const out: ModelEntry[] = [];
  for (const { dir: rootDir, root } of modelRoots(dataDir, shippedDir)) {
    for (const name of (await dirs(rootDir)).sort()) {
      for (const version of await dirs(path.join(rootDir, name))) {
        const dir = path.join(rootDir, name, version);
        const file = path.join(dir, 'manifest.json');
        let modified: string;
        try {
          const st = await stat(file);
          if (!st.isFile()) continue;
          modified = st.mtime.toISOString();
        } catch {
          continue; // not a model version folder (e.g. models/backbone)
        }
        try {
          const manifest = parseManifest(JSON.parse(await readFile(file, 'utf8')), file);
          out.push({ name: manifest.name, version: manifest.version, id: modelVersionOf(manifest), dir, root, manifest, modified });
        } catch (err) {
          out.push({ name, version, id: `${name}@${version}`, dir, root, error: errorMessage(err).split('\n').join(' '), modified });
        }
      }
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version) || a.root.localeCompare(b.root));
}

/** The newest shipped casb-classifier (else the newest of any usable model). */
export function newestModel(entries: ModelEntry[]): ModelEntry | undefined {
  const ok = entries.filter((e) => e.manifest);
  const pick = (list: ModelEntry[]) => [...list].sort((a, b) => compareVersions(a.version, b.version)).at(-1);
  return pick(ok.filter((e) => e.root === 'shipped' && e.name === DEFAULT_MODEL_NAME)) ?? pick(ok.filter((e) => e.name === DEFAULT_MODEL_NAME)) ?? pick(ok);
}

function available(entries: ModelEntry[]): string {
  const ok = entries.filter((e) => e.manifest);
  if (!ok.length) return 'no models are installed';
  const names = new Set(ok.map((e) => e.name));
  return `available: ${ok.map((e) => (names.size > 1 ? e.id : e.version)).join(', ')}`;
}

/** `version` or `name@version` → the one matching model; a UserError (exit 2) listing the available ones otherwise. */
export function findModel(entries: ModelEntry[], spec: string, what = 'model version'): ModelEntry {
  const at = spec.lastIndexOf('@');
  const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [undefined, spec];
  const hits = entries.filter((e) => e.version === version && (name === undefined || e.name === name));
  const usable = hits.filter((e) => e.manifest);
  if (usable.length === 1) return usable[0]!;
  if (usable.length > 1) {
    const ids = new Set(usable.map((e) => e.id));
    if (ids.size > 1) throw new UserError(`${what} '${spec}' is ambiguous: ${[...ids].join(', ')}; give it as name@version`);
    throw new UserError(`${what} '${spec}' is installed twice (${usable.map((e) => e.dir).join(' and ')}); pass the folder with --model <dir>`);
  }
  if (hits.length) throw new UserError(`${what} '${spec}' is damaged: ${hits[0]!.error}`);
  throw new UserError(`unknown ${what} '${spec}' (${available(entries)}); casb model list shows them`);
}

/** `--model` / `$CASB_MODEL` value: an existing path (or one that looks like a path) is a folder; anything else a version. */
function looksLikePath(v: string): boolean {
  return v.includes('/') || v.includes(path.sep) || v === '.' || v === '..' || existsSync(v);
}

export interface SavedChoice {
  model: string;
  dir: string;
  setAt: string;
}

export async function readSavedChoice(dataDir?: string): Promise<SavedChoice | undefined> {
  const file = activeModelFile(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<SavedChoice>;
    if (typeof v.model !== 'string' || !v.model) throw new Error('no "model" field');
    return { model: v.model, dir: typeof v.dir === 'string' ? v.dir : '', setAt: typeof v.setAt === 'string' ? v.setAt : '' };
  } catch (err) {
    throw new UserError(`${file} is damaged (${errorMessage(err)}); run casb model use <version> to rewrite it, or delete it`);
  }
}

/** Save the choice atomically (write + rename). */
export async function saveChoice(entry: ModelEntry, dataDir?: string): Promise<string> {
  const file = activeModelFile(dataDir);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const body: SavedChoice = { model: entry.id, dir: entry.dir, setAt: new Date().toISOString() };
  await writeFile(tmp, JSON.stringify(body, null, 2) + '\n');
  await rename(tmp, file);
  return file;
}

function isModelDir(dir: string): boolean {
  try {
    return statSync(path.join(dir, 'manifest.json')).isFile();
  } catch {
    return false;
  }
}

/** The model scan/classify use (see the precedence at the top of this file). */
export async function resolveActiveModel(opts: { flag?: string; flagName?: string; dataDir?: string; shippedDir?: string } = {}): Promise<ActiveModel> {
  const fromValue = async (value: string, source: ActiveSource, what: string): Promise<ActiveModel> => {
    if (looksLikePath(value)) return { dir: path.resolve(value), source }; // the loader reports a bad folder
    return { dir: undefined, source, entry: findModel(await listModels(opts.dataDir, opts.shippedDir), value, what) };
  };
  const finish = (a: ActiveModel): ActiveModel => (a.entry ? { ...a, dir: a.entry.dir } : a);
  if (opts.flag) return finish(await fromValue(opts.flag, 'flag', `${opts.flagName ?? '--model'} version`));
  const env = process.env.CASB_MODEL;
  if (env) return finish(await fromValue(env, 'env', 'model version in $CASB_MODEL'));
  const saved = await readSavedChoice(opts.dataDir);
  const entries = await listModels(opts.dataDir, opts.shippedDir);
  if (saved) {
    const entry = entries.find((e) => e.manifest && e.id === saved.model && e.dir === saved.dir) ?? entries.find((e) => e.manifest && e.id === saved.model);
    if (entry) return { dir: entry.dir, source: 'saved', entry };
    if (saved.dir && isModelDir(saved.dir)) return { dir: saved.dir, source: 'saved' };
    throw new UserError(
      `the active model ${saved.model} (chosen with casb model use, saved in ${activeModelFile(opts.dataDir)}) is not installed any more (${available(entries)}); run casb model use <version>`,
    );
  }
  const newest = newestModel(entries);
  return { dir: newest?.dir, source: 'newest', ...(newest ? { entry: newest } : {}) };
}

/** Just the folder, for the commands' --model handling. */
export async function activeModelDir(flag: string | undefined, dataDir?: string): Promise<string | undefined> {
  return (await resolveActiveModel({ flag, dataDir })).dir;
}
