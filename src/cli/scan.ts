/** `casb scan <source>`: scan a folder or a bucket and record outcomes and findings. */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { Progress, ScanSummary } from '../pipeline/scan.js';
import { debugHook } from '../util/log.js';
import { activeModelDir } from '../model/select.js';
import { byteSize, MODEL_FLAG_HELP, pixelCount, positiveInt, storeOptions, type DbFlags } from './options.js';
import { findingJson, printFindingsTable } from './findings.js';
import { printable } from './printable.js';
import { loadPolicy } from '../policy/load.js';
import { resolveSource, sourcesFile, type SourceConfig } from '../sources.js';

interface ScanFlags extends DbFlags {
  concurrency?: number;
  json?: boolean;
  endpoint?: string;
  pathStyle?: boolean;
  region?: string;
  maxBytes?: number;
  maxPixels?: number;
  decodeTimeout?: number;
  verdictCache?: boolean;
  model?: string;
  restart?: boolean;
  changes?: boolean;
  credentials?: string;
  admin?: string;
  apiUrl?: string;
  tokenUrl?: string;
  progress?: boolean;
  policy?: string;
  ocr?: boolean;
  ocrWorkers?: number;
  ocrTimeout?: number;
}

export function registerScan(program: Command): void {
  program
    .command('scan <source>')
    .description('scan a folder, s3://bucket[/prefix], gdrive://<domain|user>, onedrive://<tenant|user>, or a named source (casb source add), and store outcomes and findings')
    .option('-c, --concurrency <n>', 'parallel downloads (CPU work is bounded by the core count)', positiveInt)
    .option('--json', 'write one JSON object per open finding of the source to stdout, and nothing else there')
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else the embedded database)')
    .option('--data-dir <dir>', 'folder of the embedded database (default: $CASB_DATA_DIR or ./.casb)')
    .option('--endpoint <url>', 'S3-compatible endpoint, e.g. http://127.0.0.1:9000')
    .option('--no-path-style', 'use virtual-hosted-style S3 addressing with --endpoint')
    .option('--region <region>', 'S3 region (default: $AWS_REGION or us-east-1)')
    .option('--max-bytes <size>', 'skip objects larger than this (default 50MB)', byteSize)
    .option('--max-pixels <n>', 'skip images with more pixels than this, decided from the header before decoding (default 100M)', pixelCount)
    .option('--decode-timeout <seconds>', 'longest one image may take to decode; past it the item is failed:timeout (default 30)', positiveInt)
    .option('--model <dir|version>', MODEL_FLAG_HELP)
    .option('--restart', 'ignore the checkpoint of an interrupted scan and list from the start')
    .option('--changes', "incremental: only what changed since the last scan, from the source's change feed (a full scan runs when there is no stored cursor yet)")
    .option('--credentials <file>', 'gdrive/onedrive: credentials file (default: $GOOGLE_APPLICATION_CREDENTIALS / $CASB_ONEDRIVE_CREDENTIALS); never stored')
    .option('--api-url <url>', 'gdrive/onedrive: API root instead of Google / Microsoft Graph (sovereign clouds, local test servers)')
    .option('--token-url <url>', 'gdrive/onedrive: OAuth token endpoint or authority instead of the public one')
    .option('--admin <email>', 'gdrive://<domain>: the Workspace admin impersonated to list the users (default: $GDRIVE_ADMIN_USER)')
    .option('--no-progress', 'no live progress line on a terminal')
    .option('--policy <file>', 'policy file, YAML or JSON (default: $CASB_POLICY, else the built-in policy; see casb policy show)')
    .option('--no-verdict-cache', 'analyse every downloaded image, even bytes already analysed under the same model and policy')
    .option('--no-ocr', 'never OCR, whatever the policy says (label findings only)')
    .option('--ocr-workers <n>', 'parallel OCR workers (default 1)', positiveInt)
    .option('--ocr-timeout <seconds>', 'per-image OCR time limit; a stuck worker is replaced (default 60)', positiveInt)
    .action(async (arg: string, flags: ScanFlags) => {
      // a named source (casb source add) brings its URI and connector options; flags still win
      const named = await resolveSource(arg, sourcesFile(storeOptions(flags).dataDir));
      const source = named.uri;
      const cfg: SourceConfig | Partial<SourceConfig> = named.config ?? {};
      const policy = await loadPolicy(flags.policy ?? (process.env.CASB_POLICY || undefined));
      const interrupt = new AbortController();
      let signals = 0;
      const onSigint = () => {
        if (++signals > 1) process.exit(130);
        process.stderr.write('\ncasb: stopping after the items in flight; the next scan resumes from here. Press Ctrl-C again to quit now.\n');
        interrupt.abort(new Error('interrupted'));
      };
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigint);

      const bar = flags.progress !== false && process.stderr.isTTY ? progressBar() : undefined;
      try {
        // loaded here, not at start-up: every other casb command would pay for the pipeline's imports
        const { scanSource } = await import('../scan-source.js');
        await scanSource(
          source,
          {
            ...storeOptions(flags),
            endpoint: flags.endpoint ?? cfg.endpoint,
            forcePathStyle: (flags.endpoint ?? cfg.endpoint) ? flags.pathStyle !== false : undefined,
            region: flags.region ?? cfg.region,
            users: cfg.users,
            adminUser: flags.admin ?? cfg.admin,
            apiUrl: flags.apiUrl ?? cfg.apiUrl,
            tokenUrl: flags.tokenUrl ?? cfg.tokenUrl,
            domains: cfg.domains,
            concurrency: flags.concurrency,
            maxBytes: flags.maxBytes,
            pixelLimit: flags.maxPixels,
            decodeTimeoutMs: flags.decodeTimeout ? flags.decodeTimeout * 1000 : undefined,
            verdictCache: flags.verdictCache,
            modelDir: await activeModelDir(flags.model, storeOptions(flags).dataDir),
            restart: flags.restart,
            changes: flags.changes,
            credentialsFile: flags.credentials ?? cfg.credentials,
            policy,
            ocr: flags.ocr,
            ocrWorkers: flags.ocrWorkers,
            ocrTimeoutMs: flags.ocrTimeout ? flags.ocrTimeout * 1000 : undefined,
            signal: interrupt.signal,
            trigger: 'cli',
            onProgress: bar?.update,
            debug: debugHook,
          },
          async (store, summary) => {
            // Findings are read back from the store, so what is printed is what was recorded.
            const findings = await store.listFindings({ source: summary.source, status: 'open' });
            bar?.stop();
            const failedNow = await store.failedItems(summary.runId, MAX_FAILED_SHOWN);
            if (flags.json) {
              for (const f of findings) process.stdout.write(`${JSON.stringify(findingJson(f))}\n`);
              process.stderr.write(summaryText(summary));
            } else {
              process.stdout.write(summaryText(summary));
              printFindingsTable(findings, `Open findings in ${summary.source}`);
            }
            process.stderr.write(failedText(failedNow, summary));
            // an interrupted scan did not finish: say so to scripts too (128 + SIGINT, as shells do)
            if (summary.status !== 'completed') process.exitCode = 130;
          },
        );
      } finally {
        bar?.stop();
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigint);
      }
    });
}

const MAX_FAILED_SHOWN = 20;

/** What to do about access denied, in the terms of the source it happened on. */
function accessHint(source: string): string {
  const scheme = /^([a-z0-9]+):\/\//i.exec(source)?.[1]?.toLowerCase() ?? 'file';
  switch (scheme) {
    case 's3':
      return 'grant the scanner read access to it (s3:GetObject)';
    case 'gdrive':
      return 'the impersonated user cannot read it: check its sharing, and the drive.readonly scope of the domain-wide delegation';
    case 'onedrive':
      return "check the app's Files.Read.All application permission and its admin consent";
    default:
      return 'make it readable by the user running casb';
  }
}

/** One line per failed item: what failed, which item, what to do. */
function failedText(items: Array<{ path: string; outcome: string; detail: string | null }>, s: ScanSummary): string {
  if (!items.length) return '';
  const total = Object.values(s.failed).reduce((a, b) => a + b, 0);
  const hint: Record<string, string> = {
    corrupt: 'the file is damaged; re-upload it or ignore it',
    access_denied: accessHint(s.source),
    throttled: 'the source throttled us; the next scan retries it',
    network: 'the next scan retries it',
    changed: 'it changed while being scanned; the next scan picks up the new version',
    timeout: 'it took too long to decode; raise --decode-timeout or exclude it (the next scan tries again)',
    ocr_timeout: 'its classification was kept; the next scan retries the OCR (or raise --ocr-timeout)',
    ocr_error: 'its classification was kept; the next scan retries the OCR',
  };
  const lines = items.map((i) => {
    const reason = i.outcome.slice('failed:'.length);
    return `casb: ${i.outcome} ${printable(i.path)}: ${printable(i.detail ?? 'no detail')}${hint[reason] ? ` (${hint[reason]})` : ''}`;
  });
  if (total > items.length) lines.push(`casb: ... and ${total - items.length} more failed items (casb findings shows findings; --verbose logs every item)`);
  return `${lines.join('\n')}\n`;
}

function summaryText(s: ScanSummary): string {
  const fmt = (r: Record<string, number>) =>
    Object.entries(r)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const lines = [
    `${s.status === 'completed' ? 'Scanned' : 'Interrupted scan of'} ${s.source} in ${(s.wallMs / 1000).toFixed(1)} s (${s.imagesPerSec.toFixed(1)} images/s)${s.resumedFrom ? `, resumed from run ${s.resumedFrom}` : ''}`,
    `  mode     ${s.mode === 'changes' ? 'changes since the last scan' : 'full listing'}${s.fullBecause ? ` (${s.fullBecause})` : ''}`,
    `  listed   ${s.listed}${s.mode === 'changes' ? ' changed' : ''}, ${s.downloaded} downloaded${s.deleted ? `, ${s.deleted} gone (deleted at the source)` : ''}`,
    `  scanned  ${s.scanned}${s.verdictsReused ? ` (${s.verdictsReused} identical to content analysed before: verdict reused, not decoded again)` : ''}`,
    `  skipped  ${total(s.skipped)}${total(s.skipped) ? `  (${fmt(s.skipped)})` : ''}`,
    `  failed   ${total(s.failed)}${total(s.failed) ? `  (${fmt(s.failed)})` : ''}`,
    `  findings ${s.findings}${s.findings ? `  (${fmt(s.findingsByLabel)})` : ''}  in this run`,
    `  entities ${total(s.findingsByEntity)}${total(s.findingsByEntity) ? `  (${fmt(s.findingsByEntity)})` : ''}  validated by OCR`,
    `  ocr      ${s.ocr.images} images${s.ocr.failed ? `, ${s.ocr.failed} could not be read` : ''}${s.timings.ocr ? ` (${(s.timings.ocr / 1000).toFixed(1)} s)` : ''}`,
  ];
  if (s.incomplete?.length) {
    const shown = s.incomplete.slice(0, 10).map((g) => `           ${printable(g)}`);
    lines.push(`  gaps     ${s.incomplete.length} part(s) of the source could not be listed, so nothing was marked gone for not being listed:`, ...shown);
    if (s.incomplete.length > shown.length) lines.push(`           ... and ${s.incomplete.length - shown.length} more (--verbose logs each)`);
    lines.push('           Fix the access and scan again to cover them.');
  }
  if (s.requests?.throttled || s.requests?.retries) lines.push(`  requests ${s.requests.requests}, ${s.requests.retries} retried (${s.requests.throttled} throttled by the source)`);
  if (s.status !== 'completed') {
    const open = s.listed - s.scanned - total(s.skipped) - total(s.failed);
    if (open > 0) lines.push(`  stopped  ${open} listed items were not finished (no outcome yet); the next run picks them up`);
    lines.push('  Run the same command again to finish the source.');
  }
  return `${lines.join('\n')}\n`;
}

function progressBar() {
  const bar = new cliProgress.SingleBar(
    {
      format: 'scanning | {done} done of {listed} listed | {rate} img/s | {findings} findings | {failed} failed',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(0, 0, { done: 0, listed: 0, rate: '0.0', findings: 0, failed: 0 });
  return {
    update(p: Progress) {
      bar.setTotal(p.listed);
      bar.update(p.done, {
        done: p.done,
        listed: p.listed,
        rate: (p.scanned / Math.max(p.elapsedMs / 1000, 1e-3)).toFixed(1),
        findings: p.findings,
        failed: p.failed,
      });
    },
    stop: () => bar.stop(),
  };
}
