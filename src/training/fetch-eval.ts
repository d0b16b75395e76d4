/**
 * Build a second, larger evaluation folder from the Debian packages that are reserved for evaluation
 * (FORBIDDEN_PACKAGES: never trained on). real-dev has only 27 `other` and 12 `screenshot` images, so
 * a false-positive rate measured there moves in steps of 4%; this set has a few hundred of each.
 *
 *   npm run fetch-eval                 # → .cache/eval-debian/{other,screenshot}/… + MANIFEST.tsv
 *   npm run eval -- .cache/eval-debian
 *
 * Only `other` and `screenshot` can come from packages (nothing in Debian is a passport); the
 * sensitive classes are measured on real-dev. Files are chosen by path rule, not by looking at
 * them, and every file's package, version and path are recorded in MANIFEST.tsv.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runScript } from '../util/script.js';
import { isForbidden, sha256File, unpackPackage, walk } from './fetch-debian.js';

/** <label>/<files> + MANIFEST.tsv: what `npm run eval` reads. */
export const EVAL_SET = path.resolve('.cache/eval-debian');
/** Unpacked packages (kept apart from the training cache, .cache/debian). */
const EVAL_PACKAGES = path.resolve('.cache/eval-debian-packages');

export interface EvalSource {
  pkg: string;
  label: 'other' | 'screenshot';
  include: RegExp;
  /** Files matching this are left out (near-duplicate series: one scene counts once). */
  exclude?: RegExp;
  /** Keep every n-th matching file (sorted by path): thins out near-duplicate series. */
  every?: number;
  minBytes?: number;
}

const KDE_DOC = /\/doc\/HTML\/en\/[^/]+\/[^/]+\.png$/;

export const EVAL_SOURCES: readonly EvalSource[] = [
  // photos and sample images
  // …but not 26 frames of the same camera-calibration chessboard (left01-14, right01-14): keep the first of each
  { pkg: 'opencv-doc', label: 'other', include: /\/examples\/data\/[^/]+\.(png|jpe?g)$/i, exclude: /\/(left|right)(0[2-9]|1\d)\.jpg$/ },
  { pkg: 'python3-skimage', label: 'other', include: /\/skimage\/data\/[^/]+\.(png|jpe?g)$/i },
  { pkg: 'ukui-wallpapers', label: 'other', include: /\.(png|jpe?g)$/i },
  // GIMP's filter examples are one photo under many filters: a few of each
  { pkg: 'gimp-help-en', label: 'other', include: /\/images\/filters\/examples\/[^/]+\.(png|jpe?g)$/i, every: 4 },
  // application screenshots from the documentation
  { pkg: 'kmail', label: 'screenshot', include: KDE_DOC },
  { pkg: 'okular', label: 'screenshot', include: KDE_DOC },
  { pkg: 'dolphin', label: 'screenshot', include: KDE_DOC },
  { pkg: 'gwenview', label: 'screenshot', include: KDE_DOC },
  { pkg: 'gimp-help-en', label: 'screenshot', include: /\/images\/(dialogs|preferences)\/[^/]+\.png$/ },
];

export interface EvalFile {
  label: string;
  file: string;
  pkg: string;
  version: string;
  source: string;
}

/** Choose files from unpacked packages (root/<pkg>/…) by the rules; dedupe by content. */
type Chosen = Omit<EvalFile, 'file'> & { path: string };

export function selectEvalFiles(roots: Map<string, { dir: string; version: string }>, sources: readonly EvalSource[] = EVAL_SOURCES): Chosen[] {
  const out: Chosen[] = [];
  const seen = new Set<string>();
  for (const s of sources) {
    const root = roots.get(s.pkg);
    if (!root) continue;
    const files = walk(root.dir)
      .filter((f) => s.include.test(f) && !s.exclude?.test(f) && statSync(f).size >= (s.minBytes ?? 15_000))
      .sort();
    files.forEach((f, i) => {
      if (i % (s.every ?? 1) !== 0) return;
      const sha = sha256File(f);
      if (seen.has(sha)) return;
      seen.add(sha);
      out.push({ label: s.label, pkg: s.pkg, version: root.version, source: path.relative(root.dir, f), path: f });
    });
  }
  return out;
}

async function main(): Promise<void> {
  const roots = new Map<string, { dir: string; version: string }>();
  for (const pkg of new Set(EVAL_SOURCES.map((s) => s.pkg))) {
    if (!isForbidden(pkg)) throw new Error(`${pkg} is not an evaluation-only package; it would leak into training`);
    const rules = EVAL_SOURCES.filter((s) => s.pkg === pkg);
    try {
      const version = unpackPackage(pkg, {
        cacheDir: EVAL_PACKAGES,
        key: JSON.stringify(rules.map((r) => String(r.include))),
        keep: (f) => rules.some((r) => r.include.test(f)),
      });
      roots.set(pkg, { dir: path.join(EVAL_PACKAGES, 'root', pkg), version });
    } catch (err) {
      console.error(`skip ${pkg}: ${(err as Error).message}`);
    }
  }
  const chosen = selectEvalFiles(roots);
  for (const label of ['other', 'screenshot']) rmSync(path.join(EVAL_SET, label), { recursive: true, force: true });
  const rows: EvalFile[] = [];
  for (const c of chosen) {
    const dir = path.join(EVAL_SET, c.label);
    mkdirSync(dir, { recursive: true });
    let name = `${c.pkg}__${path.basename(c.path)}`;
    for (let k = 2; existsSync(path.join(dir, name)); k++) name = `${c.pkg}__${k}_${path.basename(c.path)}`;
    copyFileSync(c.path, path.join(dir, name));
    rows.push({ label: c.label, file: `${c.label}/${name}`, pkg: c.pkg, version: c.version, source: c.source });
  }
  writeFileSync(path.join(EVAL_SET, 'MANIFEST.tsv'), ['label\tfile\tpackage\tversion\tpath_in_package', ...rows.map((r) => [r.label, r.file, r.pkg, r.version, r.source].join('\t'))].join('\n') + '\n');
  const by = (l: string) => rows.filter((r) => r.label === l).length;
  console.log(`wrote ${rows.length} images to ${path.relative(process.cwd(), EVAL_SET)}: other ${by('other')}, screenshot ${by('screenshot')} (evaluation only; never trained on)`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runScript('npm run fetch-eval', `npm run fetch-eval\n  Writes .cache/eval-debian/{other,screenshot}/ and MANIFEST.tsv from the Debian packages reserved for evaluation (never trained on);\n  then: npm run eval -- .cache/eval-debian`, main);
}
