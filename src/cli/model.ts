/**
 * `casb model list | use <version> | add-class <name> <folder>`: see the installed model
 * versions, choose the one scan and classify use (saved per installation in the data dir), and
 * build a new version with one more class from example images.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import path from 'node:path';
import { loadModelDir, type LoadedModel, type Manifest } from '../model/manifest.js';
import { listModels, findModel, resolveActiveModel, saveChoice, userModelsDir, type ActiveModel, type ModelEntry } from '../model/select.js';
import type { Severity } from '../training/add-class.js';
import { UserError, errorMessage } from '../util/errors.js';
import { dataDirOf, positiveInt } from './options.js';

// Kept here (not imported) so `model list` and `model use` do not load the training code;
// add-class.ts checks the same numbers.
const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
const MIN_IMAGES = 20;
const DEFAULT_BASE_PER_CLASS = 150;
const MAX_AUGMENT = 20;

interface DataDirFlags {
  dataDir?: string;
}

const DATA_DIR_HELP = 'data dir: where the choice of `model use` is saved and user models live (default: $CASB_DATA_DIR or ./.casb)';

function severity(value: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')}`);
  return value as Severity;
}

function wholeNumber(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidArgumentError(`expected a whole number from 0 to ${max}`);
    return n;
  };
}

export function registerModel(program: Command): void {
  const model = program.command('model').description('list the installed classifier models, choose the active one, add a class');

  model
    .command('list')
    .description('every installed model version (shipped and user-built) and which one is active')
    .option('--json', 'one JSON object per model version per line')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (flags: DataDirFlags & { json?: boolean }) => {
      const dataDir = dataDirOf(flags);
      const entries = await listModels(dataDir);
      let active: ActiveModel | undefined;
      let activeProblem: string | undefined;
      try {
        active = await resolveActiveModel({ dataDir });
      } catch (err) {
        activeProblem = errorMessage(err);
      }
      const isActive = (e: ModelEntry) => !!active?.dir && path.resolve(active.dir) === path.resolve(e.dir);
      if (flags.json) {
        for (const e of entries) process.stdout.write(`${JSON.stringify(entryJson(e, isActive(e) ? active!.source : undefined))}\n`);
      } else {
        if (!entries.length) process.stdout.write(`No models installed (looked in models/ and ${userModelsDir(dataDir)}).\n`);
        for (const e of entries) process.stdout.write(entryText(e, isActive(e) ? active!.source : undefined));
        if (active && !entries.some(isActive)) process.stdout.write(`Active: ${active.dir ?? 'none'} (${SOURCE_TEXT[active.source]})\n`);
      }
      if (activeProblem) process.stderr.write(`casb: ${activeProblem}\n`);
    });

  model
    .command('use <version>')
    .description('make a model version (e.g. 0.2.0 or casb-classifier@0.2.0) the one scan and classify use')
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(async (spec: string, flags: DataDirFlags) => {
      const dataDir = dataDirOf(flags);
      const entry = findModel(await listModels(dataDir), spec);
      const file = await saveChoice(entry, dataDir);
      process.stdout.write(`Active model: ${entry.id} (${entry.dir}); saved in ${file}\n`);
      if (process.env.CASB_MODEL) process.stderr.write(`casb: note: $CASB_MODEL=${process.env.CASB_MODEL} is set and takes precedence over this choice\n`);
    });

  model
    .command('add-class <name> <folder>')
    .description(`build a NEW model version with every label of a base model plus <name>, learnt from the images in <folder> (at least ${MIN_IMAGES})`)
    .option('--from <version>', 'base model version (default: the active model)')
    .option('--version <new>', 'version of the new model (default: <base>+<name>)')
    .option('--severity <level>', `severity of its findings: ${SEVERITIES.join('|')} (default medium)`, severity)
    .option('--sensitive', 'images of this class make findings (the default)')
    .option('--no-sensitive', 'images of this class are labelled but make no finding')
    .option('--base-per-class <n>', `synthetic samples regenerated per base class (default ${DEFAULT_BASE_PER_CLASS})`, positiveInt)
    .option('--augment <n>', `augmented variants per example image (default: enough for ~120 positives, at most ${MAX_AUGMENT})`, wholeNumber(MAX_AUGMENT))
    .option('--seed <n>', 'seed for augmentation, split and fit (default 1)', wholeNumber(2 ** 31))
    .option('--epochs <n>', 'training epochs (default: the base recipe, at least ~300 optimiser steps)', positiveInt)
    .option('--data-dir <dir>', DATA_DIR_HELP)
    .action(
      async (
        name: string,
        folder: string,
        flags: DataDirFlags & { from?: string; version?: string; severity?: Severity; sensitive?: boolean; basePerClass?: number; augment?: number; seed?: number; epochs?: number },
      ) => {
        const dataDir = dataDirOf(flags);
        const chosen = await resolveActiveModel({ flag: flags.from, flagName: '--from', dataDir });
        if (!chosen.dir) throw new UserError('no model is installed to add a class to; restore models/ from the repository');
        let base: LoadedModel;
        try {
          base = await loadModelDir(chosen.dir);
        } catch (err) {
          throw new UserError(`cannot load the base model from ${chosen.dir}: ${errorMessage(err).split('\n')[0]}`, 2, { cause: err });
        }
        const entries = await listModels(dataDir);
        const outRoot = userModelsDir(dataDir);
        const log = (line: string) => process.stderr.write(`${line}\n`);
        log(`base model ${base.modelVersion} (${base.dir}); writing the new version under ${outRoot}`);
        const { addClass } = await import('../training/add-class.js');
        const r = await addClass({
          name,
          folder,
          base,
          outRoot,
          version: flags.version,
          takenVersions: entries.filter((e) => e.name === base.manifest.name).map((e) => e.version),
          severity: flags.severity,
          sensitive: flags.sensitive,
          basePerClass: flags.basePerClass,
          augment: flags.augment,
          seed: flags.seed,
          epochs: flags.epochs,
          log,
        });
        const rule = r.manifest.customLabels?.[name];
        const ho = r.customHoldout;
        process.stdout.write(
          [
            `Wrote ${r.modelVersion} to ${r.dir} in ${r.seconds.toFixed(0)} s`,
            `  labels    ${r.manifest.labels.join(', ')}`,
            `  ${name.padEnd(9)} ${rule?.sensitive ? `makes ${rule.severity} findings` : 'labelled, no findings'}`,
            `  hold-out  ${pct(r.fit.holdout.accuracy)} overall; ${name}: ${ho.images} held-out examples, ${pct(ho.recall)} recognised; ${ho.falsePositives} of ${ho.baseImages} base images mistaken for it`,
            `Activate it with: casb model use ${r.manifest.version}${flags.dataDir ? ` --data-dir ${flags.dataDir}` : ''}`,
            '',
          ].join('\n'),
        );
      },
    );
}

const SOURCE_TEXT: Record<ActiveModel['source'], string> = {
  flag: 'from --model',
  env: 'from $CASB_MODEL',
  saved: 'chosen with casb model use',
  newest: 'newest shipped version',
};

function pct(x: unknown): string {
  return typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '-';
}

function holdout(m: Manifest | undefined): { accuracy?: number; macroF1?: number } {
  const h = (m?.metrics as { syntheticHoldout?: { accuracy?: unknown; macroF1?: unknown } } | undefined)?.syntheticHoldout;
  return {
    ...(typeof h?.accuracy === 'number' ? { accuracy: h.accuracy } : {}),
    ...(typeof h?.macroF1 === 'number' ? { macroF1: h.macroF1 } : {}),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function trainedText(m: Manifest): string {
  const t = m.training;
  if (t.kind === 'add-class') {
    return `add-class '${str(t.className)}' onto ${str(t.base)}: ${str(t.userImages)} images from ${str(t.sourceFolder)}, ${str(t.augmentPerImage)} augmented variants each; ${str(t.basePerClass)} per base class (seed ${str(t.baseSeed)}, ${str(t.generator)})`;
  }
  const parts = [t.seed !== undefined ? `seed ${str(t.seed)}` : '', t.perClass ? `${str(t.perClass)} per class` : '', str(t.generator) ?? '', typeof t.note === 'string' ? t.note : ''];
  return parts.filter(Boolean).join(', ') || 'no training record';
}

function created(e: ModelEntry): string {
  return str(e.manifest?.training.createdAt) ?? e.modified;
}

function entryJson(e: ModelEntry, active: ActiveModel['source'] | undefined) {
  const m = e.manifest;
  const t = m?.training;
  return {
    model: e.id,
    name: e.name,
    version: e.version,
    root: e.root,
    dir: e.dir,
    active: active !== undefined,
    ...(active ? { activeSource: active } : {}),
    ...(m
      ? {
          labels: m.labels,
          taps: m.backbone.taps ?? [],
          views: m.input.views ?? [m.input.fit],
          holdoutAccuracy: holdout(m).accuracy ?? null,
          holdoutMacroF1: holdout(m).macroF1 ?? null,
          created: created(e),
          trained: {
            kind: str(t?.kind) ?? 'train',
            seed: t?.seed ?? null,
            perClass: t?.perClass ?? null,
            generator: t?.generator ?? null,
            ...(t?.kind === 'add-class' ? { base: t.base, className: t.className, sourceFolder: t.sourceFolder, userImages: t.userImages, augmentPerImage: t.augmentPerImage, basePerClass: t.basePerClass } : {}),
          },
          customLabels: m.customLabels ?? {},
        }
      : { error: e.error }),
  };
}

function entryText(e: ModelEntry, active: ActiveModel['source'] | undefined): string {
  const head = `${active ? '*' : ' '} ${e.id}${active ? `  (active: ${SOURCE_TEXT[active]})` : ''}`;
  const rows: [string, string][] = [];
  const m = e.manifest;
  if (!m) rows.push(['error', e.error ?? 'unreadable manifest']);
  else {
    const custom = Object.entries(m.customLabels ?? {}).map(([l, r]) => `${l} (${r.sensitive ? `${r.severity} findings` : 'no findings'})`);
    const h = holdout(m);
    rows.push(
      ['labels', m.labels.join(', ')],
      ...(custom.length ? [['custom', custom.join(', ')] as [string, string]] : []),
      ['backbone', `taps ${m.backbone.taps?.length ? m.backbone.taps.join(', ') : 'none'}; views ${(m.input.views ?? [m.input.fit]).join(', ')}`],
      ['hold-out', h.accuracy !== undefined ? `${pct(h.accuracy)} synthetic${h.macroF1 !== undefined ? ` (macro F1 ${h.macroF1.toFixed(3)})` : ''}` : '-'],
      ['trained', trainedText(m)],
      ['created', created(e)],
    );
  }
  rows.push(['folder', `${e.dir} (${e.root})`]);
  return `${head}\n${rows.map(([k, v]) => `    ${k.padEnd(9)} ${v}`).join('\n')}\n`;
}
