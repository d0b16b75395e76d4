/**
 * Finding-level evaluation: run the whole pipeline (classifier → policy → OCR → recognizers) over a
 * folder laid out <label>/<files>, with the default policy or --policy, and report per label how
 * many images were flagged, and how many documents yielded their validated entity.
 *
 *   tsx src/training/eval-findings.ts <dir> [--policy file] [--model dir|version] [--out DIR]
 *
 * An image counts as flagged when it has a finding with a sensitive label or a validated entity.
 * For sensitive images without their entity (a passport without a valid MRZ), the misses are
 * diagnosed by OCR'ing them again in memory: was nothing MRZ-like read, or did check digits fail?
 * Only recognizer explanations are printed (never raw values or OCR text).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../model/backbone.js';
import { activeModelDir } from '../model/select.js';
import { createMrzPool, createOcrPool } from '../ocr/pool.js';
import { createOcrStage } from '../ocr/stage.js';
import { loadPolicy } from '../policy/load.js';
import { scanSource } from '../scan-source.js';
import { openStore } from '../store/index.js';

const SENSITIVE = ['passport', 'id_card', 'ssn_card', 'payment_card'];
/** The entity that confirms each document class. */
const CLASS_ENTITY: Record<string, string> = { passport: 'mrz', id_card: 'mrz', ssn_card: 'us_ssn', payment_card: 'payment_card_number' };

interface ImageRow {
  path: string;
  truth: string;
  outcome: string;
  label: string | null;
  score: number | null;
  findings: Array<{ label: string; entity: string; severity: string; reason: string; summary: string }>;
  flagged: boolean;
  flaggedStrict: boolean;
  entity: boolean;
  ocr: boolean;
  diagnosis?: string;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { policy: { type: 'string' }, model: { type: 'string' }, out: { type: 'string' } },
});
const dir = positionals[0];
if (!dir) {
  process.stderr.write('usage: npm run eval:findings -- <dir laid out label/files> [--policy file] [--model dir|version] [--out DIR]\n');
  process.exit(2);
}

const policy = await loadPolicy(values.policy);
const data = await mkdtemp(path.join(os.tmpdir(), 'casb-evalf-'));
try {
  const modelDir = await activeModelDir(values.model, data);
  const t0 = performance.now();
  const summary = await scanSource(path.resolve(dir), { dataDir: data, modelDir, policy, db: '' });
  const wall = (performance.now() - t0) / 1000;
  const store = await openStore({ dataDir: data, db: '' });
  const uri = pathToFileURL(path.resolve(dir)).href;
  const items = await store.db.query<{ path: string; outcome: string; label: string | null; score: number | null; id: string }>(
    `SELECT i.id, i.path, i.outcome, i.label, i.score FROM items i JOIN sources s ON s.id = i.source_id WHERE s.uri = $1 ORDER BY i.path`,
    [uri],
  );
  const findings = await store.db.query<{ item_id: string; label: string; entity_type: string; severity: string; explanation: Record<string, unknown> }>(
    `SELECT f.item_id, f.label, f.entity_type, f.severity, f.explanation FROM findings f WHERE f.status = 'open'`,
  );
  await store.close();

  const rows: ImageRow[] = [];
  const root = path.resolve(dir);
  for (const it of items.rows) {
    const rel = path.relative(root, it.path);
    const truth = rel.split(path.sep)[0]!;
    if (!rel.includes(path.sep)) continue; // files at the top level (MANIFEST.tsv) have no label
    const fs = findings.rows.filter((f) => String(f.item_id) === String(it.id));
    const sens = (f: (typeof fs)[number]) => Boolean(f.entity_type) || Boolean(policy.labels[f.label]);
    rows.push({
      path: rel,
      truth,
      outcome: it.outcome,
      label: it.label,
      score: it.score,
      findings: fs.map((f) => ({ label: f.label, entity: f.entity_type, severity: f.severity, reason: String(f.explanation.reason ?? ''), summary: String(f.explanation.summary ?? '') })),
      flagged: fs.some(sens),
      flaggedStrict: fs.some((f) => sens(f) && f.explanation.reason !== 'suspected'),
      entity: fs.some((f) => f.entity_type === CLASS_ENTITY[truth]),
      ocr: fs.some((f) => (f.explanation.ocr as { ran?: boolean } | undefined)?.ran === true),
    });
  }

  // Diagnose documents that gave no validated entity of their class: OCR again, in memory, and say what the recognizers saw.
  // The same OCR stage the scan uses (MRZ second look included); only explanations come out of it.
  const engine = createOcrPool({ size: 1, cachePath: path.join(data, 'tesseract') });
  const mrzEngine = createMrzPool({ cachePath: path.join(data, 'tesseract') });
  const stage = createOcrStage(engine, Buffer.alloc(32, 7), { mrzEngine });
  try {
    for (const r of rows.filter((x) => SENSITIVE.includes(x.truth) && !x.entity && x.outcome === 'scanned')) {
      const rep = await stage.run(readFileSync(path.join(root, r.path)));
      const want = CLASS_ENTITY[r.truth]!;
      const es = rep.evidence.filter((e) => e.entity === want);
      r.diagnosis = es.length
        ? es.map((e) => `${e.validation}: ${e.explanation}`).join(' | ')
        : `no ${want} read (${rep.words} words OCR'd)`;
      if (!r.ocr) r.diagnosis += '; the policy did not send it to OCR in the scan';
    }
  } finally {
    await engine.close();
    await mrzEngine.close();
  }

  const byLabel = new Map<string, ImageRow[]>();
  for (const r of rows) byLabel.set(r.truth, [...(byLabel.get(r.truth) ?? []), r]);
  const sensitive = rows.filter((r) => SENSITIVE.includes(r.truth));
  const other = rows.filter((r) => r.truth === 'other');
  const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '-');
  const lines: string[] = [];
  lines.push(`# Finding-level evaluation: ${dir}`, '', `policy ${summary.policyVersion}; ${summary.scanned} scanned in ${wall.toFixed(1)} s; OCR on ${summary.ocr.images} images (${((summary.timings.ocr ?? 0) / 1000).toFixed(1)} s)`, '');
  lines.push('| label | images | flagged | flagged (no suspected) | entity of its class | OCR ran |', '|---|---|---|---|---|---|');
  for (const [label, rs] of [...byLabel].sort()) {
    const n = rs.length;
    lines.push(`| ${label} | ${n} | ${rs.filter((r) => r.flagged).length} (${pct(rs.filter((r) => r.flagged).length, n)}) | ${rs.filter((r) => r.flaggedStrict).length} | ${CLASS_ENTITY[label] ? `${rs.filter((r) => r.entity).length} ${CLASS_ENTITY[label]}` : '-'} | ${rs.filter((r) => r.ocr).length} |`);
  }
  lines.push('', `**Sensitive flagged: ${sensitive.filter((r) => r.flagged).length}/${sensitive.length} (${pct(sensitive.filter((r) => r.flagged).length, sensitive.length)})**; without suspected findings ${pct(sensitive.filter((r) => r.flaggedStrict).length, sensitive.length)}.`);
  lines.push(`**Other flagged: ${other.filter((r) => r.flagged).length}/${other.length} (${pct(other.filter((r) => r.flagged).length, other.length)})**; without suspected findings ${pct(other.filter((r) => r.flaggedStrict).length, other.length)}.`, '');
  lines.push('## Sensitive images not flagged', '');
  for (const r of sensitive.filter((x) => !x.flagged)) lines.push(`- ${r.path}: classified ${r.label} ${r.score?.toFixed(2)}; ${r.diagnosis ?? ''}`);
  lines.push('', '## Documents without a validated entity of their class', '');
  for (const r of sensitive.filter((x) => !x.entity)) lines.push(`- ${r.path}: ${r.diagnosis ?? r.outcome}`);
  lines.push('', '## Non-sensitive images flagged', '');
  for (const r of rows.filter((x) => !SENSITIVE.includes(x.truth) && x.flagged)) lines.push(`- ${r.path}: ${r.findings.map((f) => `${f.severity} ${f.summary}`).join(' | ')}`);
  const md = `${lines.join('\n')}\n`;
  process.stdout.write(md);

  const out = values.out ?? path.join(REPO_ROOT, '.eval', `findings-${path.basename(path.resolve(dir))}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'findings.md'), md);
  writeFileSync(path.join(out, 'findings.json'), `${JSON.stringify({ dir, policy: summary.policyVersion, summary, rows }, null, 2)}\n`);
  process.stderr.write(`wrote ${path.relative(process.cwd(), out)}/findings.{md,json}\n`);
} finally {
  await rm(data, { recursive: true, force: true });
}
