/**
 * Download Debian packages that carry real images (wallpapers, photos, documentation
 * screenshots), unpack them under .cache/debian/, and write an index of usable image
 * files per role. Images whose sha256 matches a file in ../shared/datasets/real-dev
 * are dropped (that folder is validation-only).
 *
 *   tsx src/training/fetch-debian.ts            # download + unpack + index
 *   tsx src/training/fetch-debian.ts --index    # re-index only
 *
 * Packages reserved for evaluation are refused outright.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DEBIAN_CACHE = path.resolve('.cache/debian');
export const DEBIAN_INDEX = path.join(DEBIAN_CACHE, 'index.json');
export const REAL_DEV_DIR = path.resolve('../shared/datasets/real-dev');

/** Never train on these: they are the evaluation sources. */
export const FORBIDDEN_PACKAGES: readonly RegExp[] = [
  /^opencv-doc$/,
  /^python3-skimage/,
  /^gimp-help-/,
  /^kmail$/,
  /^gwenview$/,
  /^okular$/,
  /^dolphin$/,
  /^ukui-wallpapers$/,
];

export interface PackageSpec {
  name: string;
  role: 'other' | 'screenshot';
  /** Only files whose path matches are indexed. */
  include?: RegExp;
  /** Files whose path matches are skipped. */
  exclude?: RegExp;
  minBytes?: number;
}

export const PACKAGES: readonly PackageSpec[] = [
  { name: 'gnome-backgrounds', role: 'other' },
  { name: 'mate-backgrounds', role: 'other' },
  { name: 'sway-backgrounds', role: 'other' },
  { name: 'plasma-workspace-wallpapers', role: 'other', include: /\/contents\/images\/(1920x1080|1080x1920)\.(png|jpe?g)$/ },
  { name: 'lomiri-wallpapers', role: 'other' },
  { name: 'imagemagick-6-doc', role: 'other', minBytes: 8_000, exclude: /(button|arrow|logo|icon|sprite|examples\/.*\.gif$)/i },
  { name: 'tuxpaint-stamps-default', role: 'other', include: /\/stamps\/.*\.(png|jpe?g)$/ },
  { name: 'gnome-user-docs', role: 'screenshot', include: /\/help\/C\/[^/]+\/figures\//, minBytes: 15_000, exclude: /(icon|emblem|symbolic)/i },
  { name: 'mate-user-guide', role: 'screenshot', include: /\/help\/C\/[^/]+\/figures\//, minBytes: 15_000, exclude: /(icon|emblem)/i },
  { name: 'marble-data', role: 'screenshot', include: /\/doc\/HTML\/en\/marble\/.*\.png$/, minBytes: 20_000, exclude: /logo/ },
];

export interface IndexEntry {
  file: string; // relative to repo root
  sha256: string;
  package: string;
  role: 'other' | 'screenshot';
}

export interface DebianIndex {
  packages: { name: string; version: string; role: string }[];
  files: IndexEntry[];
  droppedRealDev: number;
}

const IMAGE_EXT = /\.(jpe?g|png|webp|svg|gif|tiff?)$/i;

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

export function realDevHashes(): Set<string> {
  return new Set(walk(REAL_DEV_DIR).filter((f) => IMAGE_EXT.test(f)).map(sha256File));
}

function assertAllowed(name: string): void {
  if (FORBIDDEN_PACKAGES.some((r) => r.test(name))) throw new Error(`package ${name} is reserved for evaluation`);
}

function download(spec: PackageSpec): string {
  assertAllowed(spec.name);
  const debDir = path.join(DEBIAN_CACHE, 'debs');
  const root = path.join(DEBIAN_CACHE, 'root', spec.name);
  mkdirSync(debDir, { recursive: true });
  let deb = readdirSync(debDir).find((f) => f.startsWith(`${spec.name}_`) && f.endsWith('.deb'));
  if (!deb) {
    execFileSync('apt-get', ['download', spec.name], { cwd: debDir, stdio: 'inherit' });
    deb = readdirSync(debDir).find((f) => f.startsWith(`${spec.name}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${spec.name} produced no .deb`);
  }
  if (!existsSync(root)) {
    mkdirSync(root, { recursive: true });
    execFileSync('dpkg-deb', ['-x', path.join(debDir, deb), root], { stdio: 'inherit' });
  }
  return execFileSync('dpkg-deb', ['-f', path.join(debDir, deb), 'Version']).toString().trim();
}

export function buildIndex(versions: Map<string, string>): DebianIndex {
  const banned = realDevHashes();
  const files: IndexEntry[] = [];
  const seen = new Set<string>();
  let droppedRealDev = 0;
  for (const spec of PACKAGES) {
    const root = path.join(DEBIAN_CACHE, 'root', spec.name);
    for (const f of walk(root).sort()) {
      if (!IMAGE_EXT.test(f)) continue;
      if (spec.include && !spec.include.test(f)) continue;
      if (spec.exclude && spec.exclude.test(f)) continue;
      if (statSync(f).size < (spec.minBytes ?? 20_000)) continue;
      const sha = sha256File(f);
      if (banned.has(sha)) {
        droppedRealDev++;
        continue;
      }
      if (seen.has(sha)) continue;
      seen.add(sha);
      files.push({ file: path.relative(process.cwd(), f), sha256: sha, package: spec.name, role: spec.role });
    }
  }
  return {
    packages: PACKAGES.map((p) => ({ name: p.name, version: versions.get(p.name) ?? 'unknown', role: p.role })),
    files,
    droppedRealDev,
  };
}

export function loadDebianIndex(): DebianIndex | null {
  if (!existsSync(DEBIAN_INDEX)) return null;
  return JSON.parse(readFileSync(DEBIAN_INDEX, 'utf8')) as DebianIndex;
}

async function main(): Promise<void> {
  const indexOnly = process.argv.includes('--index');
  const versions = new Map<string, string>();
  for (const spec of PACKAGES) {
    if (indexOnly) {
      const deb = existsSync(path.join(DEBIAN_CACHE, 'debs'))
        ? readdirSync(path.join(DEBIAN_CACHE, 'debs')).find((f) => f.startsWith(`${spec.name}_`))
        : undefined;
      if (deb) versions.set(spec.name, execFileSync('dpkg-deb', ['-f', path.join(DEBIAN_CACHE, 'debs', deb), 'Version']).toString().trim());
      continue;
    }
    try {
      versions.set(spec.name, download(spec));
    } catch (err) {
      console.error(`skip ${spec.name}: ${(err as Error).message}`);
    }
  }
  const index = buildIndex(versions);
  writeFileSync(DEBIAN_INDEX, JSON.stringify(index, null, 1));
  const counts = new Map<string, number>();
  for (const f of index.files) counts.set(`${f.role}\t${f.package}`, (counts.get(`${f.role}\t${f.package}`) ?? 0) + 1);
  for (const [k, v] of counts) console.log(`${v}\t${k}`);
  console.log(`indexed ${index.files.length} images, dropped ${index.droppedRealDev} matching real-dev`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
