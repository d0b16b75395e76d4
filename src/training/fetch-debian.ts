/**
 * Download Debian packages that carry real images (wallpapers, photos, artwork, plots and
 * diagrams from documentation, playing-card decks, documentation screenshots), unpack them
 * under .cache/debian/, keep only the image files the index uses, and write an index of
 * usable image files per role. Every indexed image also gets a small copy (≤1024 px,
 * JPEG, or PNG when it has transparency) under .cache/debian/small1024/ so the generator never
 * decodes a full-size wallpaper. Card decks (one SVG sheet per deck) are cut into single
 * cards under .cache/debian/derived/.
 *
 * Images whose sha256 matches a file in ../shared/datasets/real-dev are dropped (that
 * folder is validation-only). Packages reserved for evaluation are refused outright.
 *
 *   tsx src/training/fetch-debian.ts              # download + unpack + prune + index
 *   tsx src/training/fetch-debian.ts --index      # re-index only (what is already unpacked)
 *   tsx src/training/fetch-debian.ts --keep-debs  # keep the .deb files after unpacking
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { runScript } from '../util/script.js';

export const DEBIAN_CACHE = path.resolve('.cache/debian');
export const DEBIAN_INDEX = path.join(DEBIAN_CACHE, 'index.json');
export const REAL_DEV_DIR = path.resolve('../shared/datasets/real-dev');
/** The evaluation set built from the reserved packages by fetch-eval.ts (also never trained on). */
export const EVAL_DEBIAN_DIR = path.resolve('.cache/eval-debian');

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

/**
 * other: photos/artwork/plots that are themselves `other` samples (and, kind photo/art, scene backgrounds);
 * object: cut-out objects (transparent PNGs) placed in document-like scenes and used as occluders; kind `person`
 *   (painted or drawn people, never photos of real people) also fill the portrait box of synthetic documents;
 * cards: single playing cards cut from deck sheets (hard negatives for payment cards);
 * screenshot: documentation screenshots.
 */
export type Role = 'other' | 'screenshot' | 'object' | 'cards';
export type Kind = 'photo' | 'art' | 'diagram' | 'drawing' | 'object' | 'person' | 'card' | 'ui';

export interface PackageSpec {
  name: string;
  role: Role;
  kind: Kind;
  /** Only files whose path matches are indexed. */
  include?: RegExp;
  /** Files whose path matches are skipped. */
  exclude?: RegExp;
  minBytes?: number;
  /** role cards: how single cards are cut from each sheet. */
  cards?: 'grid13x5' | 'components';
}

/** Clipart folders used as cut-out objects and people rather than as flat drawings. */
const CLIPART_OBJECTS = /\/openclipart\/png\/(people|food|transportation|animals|household|office|computer\/hardware)\//;

const DOC_SHOTS = (app: string): RegExp => new RegExp(`/doc/HTML/en/${app}/[^/]+\\.png$`);

export const PACKAGES: readonly PackageSpec[] = [
  // wallpapers and photos
  { name: 'gnome-backgrounds', role: 'other', kind: 'photo' },
  { name: 'mate-backgrounds', role: 'other', kind: 'photo' },
  { name: 'sway-backgrounds', role: 'other', kind: 'art' },
  { name: 'plasma-workspace-wallpapers', role: 'other', kind: 'art', include: /\/contents\/images\/(1920x1080|1080x1920)\.(png|jpe?g)$/ },
  { name: 'lomiri-wallpapers', role: 'other', kind: 'photo' },
  { name: 'lomiri-wallpapers-16.04', role: 'other', kind: 'photo' },
  { name: 'lomiri-wallpapers-20.04', role: 'other', kind: 'photo' },
  { name: 'desktop-base', role: 'other', kind: 'art', include: /\/wallpaper\/contents\/images\/1920x1080\.(svg|png)$/, minBytes: 2_000 },
  { name: 'scratch', role: 'other', kind: 'photo', include: /\/Media\/Backgrounds\/.*\.(jpe?g|png|gif)$/ },
  { name: 'tuxpaint-data', role: 'other', kind: 'photo', include: /\/tuxpaint\/templates\/.*\.(jpe?g|png)$/ },
  { name: 'palapeli-data', role: 'other', kind: 'photo', include: /\/palapeli\/(collection|backgrounds)\/.*\.jpe?g$/ },
  { name: 'kdegames-mahjongg-data-kf5', role: 'other', kind: 'art', include: /\/kmahjongglib\/backgrounds\/.*\.svgz$/, minBytes: 5_000 },
  { name: 'stellarium-data', role: 'other', kind: 'photo', include: /\/nebulae\/default\/[^/]+\.png$/, minBytes: 60_000 },
  { name: 'hugin-data', role: 'other', kind: 'photo', include: /\/help_en_EN\/[^/]+\.jpe?g$/ },
  { name: 'wesnoth-1.16-data', role: 'other', kind: 'art', include: /\/images\/story\/[^/]+\.jpg$/ },
  { name: 'openclipart-png', role: 'other', kind: 'drawing', include: /\/openclipart\/png\/.*\.png$/, exclude: CLIPART_OBJECTS, minBytes: 30_000 },
  // drawings, plots, diagrams, maps
  { name: 'imagemagick-6-doc', role: 'other', kind: 'art', minBytes: 8_000, exclude: /(button|arrow|logo|icon|sprite|examples\/.*\.gif$)/i },
  { name: 'tuxpaint-data', role: 'other', kind: 'drawing', include: /\/tuxpaint\/starters\/.*\.(png|svg)$/, exclude: /-back\.png$/, minBytes: 8_000 },
  { name: 'octave-doc', role: 'other', kind: 'diagram', include: /\/octave\.html\/.*\.png$/, minBytes: 8_000 },
  { name: 'graphviz-doc', role: 'other', kind: 'diagram', include: /\/html\/info\/.*\.(png|gif)$/, minBytes: 6_000 },
  { name: 'kgeography-data', role: 'other', kind: 'diagram', include: /\/share\/kgeography\/[^/]+\.png$/, minBytes: 20_000 },
  { name: 'libvips-doc', role: 'other', kind: 'diagram', include: /\/html\/libvips\/.*\.(png|jpg)$/, minBytes: 8_000 },
  // cut-out objects (transparent PNG)
  { name: 'tuxpaint-stamps-default', role: 'object', kind: 'object', include: /\/stamps\/.*\.(png|jpe?g)$/ },
  { name: 'scratch', role: 'object', kind: 'object', include: /\/Media\/Costumes\/(Things|Transportation|Animals)\/.*\.png$/, minBytes: 8_000 },
  { name: 'scratch', role: 'object', kind: 'person', include: /\/Media\/Costumes\/People\/.*\.png$/, minBytes: 8_000 },
  { name: 'openclipart-png', role: 'object', kind: 'object', include: CLIPART_OBJECTS, minBytes: 20_000 },
  { name: 'wesnoth-1.16-data', role: 'object', kind: 'person', include: /\/images\/portraits\/(humans|elves|dwarves|dunefolk|merfolk)\/[^/]+\.png$/, minBytes: 30_000 },
  // playing cards
  { name: 'aisleriot', role: 'cards', kind: 'card', include: /\/aisleriot\/cards\/.*\.svgz$/, minBytes: 1_000, cards: 'grid13x5' },
  { name: 'kdegames-card-data-kf5', role: 'cards', kind: 'card', include: /\/carddecks\/svg-[^/]+\/[^/]+\.svgz$/, exclude: /Ancient_Egyptians/, minBytes: 1_000, cards: 'components' },
  // documentation screenshots
  { name: 'gnome-user-docs', role: 'screenshot', kind: 'ui', include: /\/help\/C\/[^/]+\/figures\//, minBytes: 15_000, exclude: /(icon|emblem|symbolic)/i },
  { name: 'mate-user-guide', role: 'screenshot', kind: 'ui', include: /\/help\/C\/[^/]+\/figures\//, minBytes: 15_000, exclude: /(icon|emblem)/i },
  { name: 'marble-data', role: 'screenshot', kind: 'ui', include: /\/doc\/HTML\/en\/marble\/.*\.png$/, minBytes: 20_000, exclude: /logo/ },
  { name: 'kaddressbook', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('kaddressbook'), minBytes: 12_000 },
  { name: 'akregator', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('akregator'), minBytes: 12_000 },
  { name: 'korganizer', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('korganizer'), minBytes: 12_000 },
  { name: 'kig', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('kig'), minBytes: 12_000 },
  { name: 'kwordquiz', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('kwordquiz'), minBytes: 12_000 },
  { name: 'kbruch', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('kbruch'), minBytes: 12_000 },
  { name: 'kmplot', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('kmplot'), minBytes: 12_000 },
  { name: 'kdenlive-data', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('kdenlive'), minBytes: 12_000 },
  { name: 'ark', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('ark'), minBytes: 12_000 },
  { name: 'kde-spectacle', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('spectacle'), minBytes: 12_000 },
  { name: 'kstars-data', role: 'screenshot', kind: 'ui', include: DOC_SHOTS('kstars'), minBytes: 15_000 },
  { name: 'hugin-data', role: 'screenshot', kind: 'ui', include: /\/help_en_EN\/[^/]+\.png$/, minBytes: 15_000 },
];

export interface IndexEntry {
  file: string; // relative to repo root
  sha256: string;
  package: string;
  role: Role;
  kind?: Kind;
  /** ≤1024 px copy (relative to repo root), what the generator actually reads. */
  small?: string;
}

export interface DebianIndex {
  packages: { name: string; version: string; role: string }[];
  files: IndexEntry[];
  droppedRealDev: number;
  /** sha256 of the package specs the index was built with: a different PACKAGES list means a stale index. */
  specs?: string;
}

/** Fingerprint of the package specs (what to fetch and how to filter). */
export function specsFingerprint(specs: readonly PackageSpec[] = PACKAGES): string {
  return createHash('sha256').update(specKey(specs)).digest('hex');
}

export const IMAGE_EXT = /\.(jpe?g|png|webp|svgz?|gif|tiff?)$/i;
const SMALL_SIDE = 1024;

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** sha256 of every image under `dir` (default: the validation-only real-dev folder). */
export function realDevHashes(dir: string = REAL_DEV_DIR): Set<string> {
  return new Set(walk(dir).filter((f) => IMAGE_EXT.test(f)).map(sha256File));
}

export function isForbidden(name: string): boolean {
  return FORBIDDEN_PACKAGES.some((r) => r.test(name));
}

export function assertAllowed(name: string): void {
  if (isForbidden(name)) throw new Error(`package ${name} is reserved for evaluation`);
}

/** Does `file` (absolute, under the package root) pass the spec's filters (size aside)? */
function wanted(spec: PackageSpec, file: string): boolean {
  if (!IMAGE_EXT.test(file)) return false;
  if (spec.include && !spec.include.test(file)) return false;
  if (spec.exclude && spec.exclude.test(file)) return false;
  return true;
}

function specKey(specs: readonly PackageSpec[]): string {
  return JSON.stringify(specs.map((s) => [s.role, s.kind, String(s.include ?? ''), String(s.exclude ?? ''), s.minBytes ?? 0, s.cards ?? '']));
}

interface Stamp {
  version: string;
  key: string;
}

/**
 * `apt-get download` a package (unless it is already unpacked with the same `key`), unpack it under
 * <cacheDir>/root/<name> and delete every file `keep` rejects. Returns the package version.
 * Shared by the training fetch (which refuses evaluation packages first) and fetch-eval.ts.
 */
export function unpackPackage(name: string, opts: { cacheDir: string; key: string; keep: (file: string) => boolean; keepDebs?: boolean }): string {
  const debDir = path.join(opts.cacheDir, 'debs');
  const root = path.join(opts.cacheDir, 'root', name);
  const stampFile = path.join(opts.cacheDir, 'root', `${name}.stamp.json`);
  if (existsSync(stampFile) && existsSync(root)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp;
    if (stamp.key === opts.key) return stamp.version;
  }
  mkdirSync(debDir, { recursive: true });
  const findDeb = (): string | undefined => readdirSync(debDir).find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
  let deb = findDeb();
  if (!deb) {
    execFileSync('apt-get', ['download', name], { cwd: debDir, stdio: ['ignore', 'inherit', 'inherit'] });
    deb = findDeb();
    if (!deb) throw new Error(`apt-get download ${name} produced no .deb`);
  }
  const debPath = path.join(debDir, deb);
  const version = execFileSync('dpkg-deb', ['-f', debPath, 'Version']).toString().trim();
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  execFileSync('dpkg-deb', ['-x', debPath, root], { stdio: 'inherit' });
  let kept = 0;
  for (const f of walk(root)) {
    if (opts.keep(f)) kept++;
    else unlinkSync(f);
  }
  writeFileSync(stampFile, JSON.stringify({ version, key: opts.key } satisfies Stamp));
  if (!opts.keepDebs) unlinkSync(debPath);
  console.log(`${name} ${version}: kept ${kept} image files`);
  return version;
}

/** Download a training package (never an evaluation one) and prune it to the images some spec may index. */
function download(name: string, specs: readonly PackageSpec[], keepDebs: boolean): string {
  assertAllowed(name);
  return unpackPackage(name, { cacheDir: DEBIAN_CACHE, key: specKey(specs), keep: (f) => specs.some((s) => wanted(s, f)), keepDebs });
}

/** Bounding boxes of the opaque connected regions of an RGBA raster (on a coarse grid). */
function opaqueComponents(alpha: (i: number) => number, W: number, H: number, cell: number): { x: number; y: number; w: number; h: number }[] {
  const gw = Math.ceil(W / cell);
  const gh = Math.ceil(H / cell);
  const grid = new Uint8Array(gw * gh);
  for (let gy = 0; gy < gh; gy++)
    for (let gx = 0; gx < gw; gx++) {
      // a cell is opaque when its centre pixel is
      const x = Math.min(W - 1, gx * cell + (cell >> 1));
      const y = Math.min(H - 1, gy * cell + (cell >> 1));
      grid[gy * gw + gx] = alpha(y * W + x) > 128 ? 1 : 0;
    }
  const seen = new Uint8Array(gw * gh);
  const boxes: { x: number; y: number; w: number; h: number }[] = [];
  const stack: number[] = [];
  for (let start = 0; start < grid.length; start++) {
    if (!grid[start] || seen[start]) continue;
    let x0 = gw, y0 = gh, x1 = 0, y1 = 0;
    stack.push(start);
    seen[start] = 1;
    while (stack.length) {
      const c = stack.pop() as number;
      const cx = c % gw;
      const cy = (c - cx) / gw;
      x0 = Math.min(x0, cx); x1 = Math.max(x1, cx); y0 = Math.min(y0, cy); y1 = Math.max(y1, cy);
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
        const nx = cx + dx;
        const ny = cy + dy;
        if (nx < 0 || ny < 0 || nx >= gw || ny >= gh) continue;
        const n = ny * gw + nx;
        if (grid[n] && !seen[n]) {
          seen[n] = 1;
          stack.push(n);
        }
      }
    }
    boxes.push({ x: x0 * cell, y: y0 * cell, w: Math.min(W, (x1 + 1) * cell) - x0 * cell, h: Math.min(H, (y1 + 1) * cell) - y0 * cell });
  }
  return boxes;
}

/** Cut one card deck sheet into single-card PNGs (≤420 px high) under `outDir`; returns the files. */
export async function cutCards(sheet: string, mode: 'grid13x5' | 'components', outDir: string): Promise<string[]> {
  const meta = await sharp(sheet).metadata();
  const density = Math.max(24, Math.min(300, (72 * 1700) / Math.max(1, meta.width ?? 1700)));
  const { data, info } = await sharp(sheet, { density }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const W = info.width;
  const H = info.height;
  let boxes: { x: number; y: number; w: number; h: number }[];
  if (mode === 'grid13x5') {
    const cw = W / 13;
    const ch = H / 5;
    boxes = [];
    for (let r = 0; r < 5; r++) for (let c = 0; c < (r < 4 ? 13 : 3); c++) boxes.push({ x: Math.round(c * cw), y: Math.round(r * ch), w: Math.floor(cw), h: Math.floor(ch) });
  } else {
    boxes = opaqueComponents((i) => data[i * 4 + 3] as number, W, H, 3).filter((b) => {
      const aspect = b.h / b.w;
      return aspect > 1.2 && aspect < 1.8 && b.w > W / 40;
    });
    // touching cards merge into one component: such a sheet is not cut (rather none than wrong ones)
    if (boxes.length < 20) boxes = [];
  }
  rmSync(outDir, { recursive: true, force: true });
  if (boxes.length === 0) return [];
  mkdirSync(outDir, { recursive: true });
  const base = path.basename(sheet).replace(/\.svgz?$/, '');
  const out: string[] = [];
  const rgba = sharp(data, { raw: { width: W, height: H, channels: 4 } });
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i]!;
    const file = path.join(outDir, `${base}-${String(i).padStart(2, '0')}.png`);
    await rgba.clone().extract({ left: b.x, top: b.y, width: Math.min(b.w, W - b.x), height: Math.min(b.h, H - b.y) }).resize(420, 420, { fit: 'inside' }).png({ compressionLevel: 6 }).toFile(file);
    out.push(file);
  }
  return out;
}

/** ≤1024 px copy: PNG when the image has transparency (objects, cards), JPEG otherwise. */
async function makeSmall(file: string, sha: string, smallDir: string, keepAlpha: boolean): Promise<string> {
  mkdirSync(smallDir, { recursive: true });
  const out = path.join(smallDir, `${sha}.${keepAlpha ? 'png' : 'jpg'}`);
  if (existsSync(out)) return out;
  let p = sharp(file, { limitInputPixels: 200_000_000, pages: 1, density: /\.svgz?$/i.test(file) ? 48 : 72 }).rotate().toColourspace('srgb');
  p = p.resize(SMALL_SIDE, SMALL_SIDE, { fit: 'inside', withoutEnlargement: !/\.svgz?$/i.test(file) });
  const buf = keepAlpha ? await p.ensureAlpha().png({ compressionLevel: 6 }).toBuffer() : await p.flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
  writeFileSync(out, buf);
  return out;
}

export interface BuildOptions {
  packages?: readonly PackageSpec[];
  cacheDir?: string;
  /** Folders of evaluation images; a training image with the same sha256 is dropped (default real-dev and the Debian evaluation set). */
  realDevDir?: string | string[];
  /** Write the ≤1024 px copies (default true). */
  small?: boolean;
  /** Paths in the index are relative to this (default: the working directory). */
  relativeTo?: string;
}

/**
 * Index what is unpacked under <cacheDir>/root/<package>: filter by each spec, cut card sheets,
 * drop anything whose sha256 matches a real-dev image (sources and derived cards alike), dedupe by sha256.
 */
export async function buildIndex(versions: Map<string, string>, opts: BuildOptions = {}): Promise<DebianIndex> {
  const specs = opts.packages ?? PACKAGES;
  const cacheDir = opts.cacheDir ?? DEBIAN_CACHE;
  const rel = opts.relativeTo ?? process.cwd();
  const evalDirs = opts.realDevDir === undefined ? [REAL_DEV_DIR, EVAL_DEBIAN_DIR] : [opts.realDevDir].flat();
  const banned = new Set(evalDirs.flatMap((d) => [...realDevHashes(d)]));
  const files: IndexEntry[] = [];
  const seen = new Set<string>();
  let droppedRealDev = 0;
  const add = async (spec: PackageSpec, f: string, sha: string): Promise<void> => {
    if (banned.has(sha)) {
      droppedRealDev++;
      return;
    }
    if (seen.has(sha)) return;
    seen.add(sha);
    const entry: IndexEntry = { file: path.relative(rel, f), sha256: sha, package: spec.name, role: spec.role, kind: spec.kind };
    if (opts.small !== false) {
      try {
        entry.small = path.relative(rel, await makeSmall(f, sha, path.join(cacheDir, 'small1024'), spec.role === 'object' || spec.role === 'cards'));
      } catch (err) {
        console.error(`skip ${f}: ${(err as Error).message}`);
        return;
      }
    }
    files.push(entry);
  };
  for (const spec of specs) {
    assertAllowed(spec.name);
    const root = path.join(cacheDir, 'root', spec.name);
    for (const f of walk(root).sort()) {
      if (!wanted(spec, f)) continue;
      if (statSync(f).size < (spec.minBytes ?? 20_000)) continue;
      const sha = sha256File(f);
      if (banned.has(sha)) {
        droppedRealDev++;
        continue;
      }
      if (spec.cards) {
        const outDir = path.join(cacheDir, 'derived', spec.name, path.basename(path.dirname(f)));
        for (const card of await cutCards(f, spec.cards, outDir)) await add(spec, card, sha256File(card));
      } else await add(spec, f, sha);
    }
  }
  const pkgs = new Map<string, { name: string; version: string; role: string }>();
  for (const p of specs) {
    const prev = pkgs.get(p.name);
    if (prev) {
      if (!prev.role.split('+').includes(p.role)) prev.role += `+${p.role}`;
    } else pkgs.set(p.name, { name: p.name, version: versions.get(p.name) ?? 'unknown', role: p.role });
  }
  return { packages: [...pkgs.values()], files, droppedRealDev, specs: specsFingerprint(specs) };
}

export function loadDebianIndex(): DebianIndex | null {
  if (!existsSync(DEBIAN_INDEX)) return null;
  return JSON.parse(readFileSync(DEBIAN_INDEX, 'utf8')) as DebianIndex;
}

function packageSpecs(): Map<string, PackageSpec[]> {
  const byName = new Map<string, PackageSpec[]>();
  for (const s of PACKAGES) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  return byName;
}

/** Download, unpack and index every training package (see the file comment); returns the index written. */
export async function fetchDebian(opts: { indexOnly?: boolean; keepDebs?: boolean; log?: (line: string) => void } = {}): Promise<DebianIndex> {
  const log = opts.log ?? ((l: string) => console.log(l));
  sharp.concurrency(1);
  const versions = new Map<string, string>();
  for (const [name, specs] of packageSpecs()) {
    if (opts.indexOnly) {
      const stampFile = path.join(DEBIAN_CACHE, 'root', `${name}.stamp.json`);
      if (existsSync(stampFile)) versions.set(name, (JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp).version);
      continue;
    }
    try {
      versions.set(name, download(name, specs, opts.keepDebs ?? false));
    } catch (err) {
      console.error(`skip ${name}: ${(err as Error).message}`);
    }
  }
  const index = await buildIndex(versions);
  writeFileSync(DEBIAN_INDEX, JSON.stringify(index, null, 1));
  const counts = new Map<string, number>();
  for (const f of index.files) counts.set(`${f.role}\t${f.kind}\t${f.package}`, (counts.get(`${f.role}\t${f.kind}\t${f.package}`) ?? 0) + 1);
  for (const [k, v] of counts) log(`${v}\t${k}`);
  log(`indexed ${index.files.length} images, dropped ${index.droppedRealDev} matching an evaluation image`);
  return index;
}

async function main(): Promise<void> {
  await fetchDebian({ indexOnly: process.argv.includes('--index'), keepDebs: process.argv.includes('--keep-debs') });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runScript('npm run fetch-debian', `npm run fetch-debian [-- --index] [--keep-debs]\n  Downloads (apt-get download) and unpacks the Debian packages whose images train the classifier, and writes their index\n  under .cache/debian. --index rebuilds the index from what is already unpacked; --keep-debs keeps the .deb files.`, main);
}
