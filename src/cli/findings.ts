/** `casb findings`: list recorded findings. */
import type { Command } from 'commander';
import { openConnector } from '../../connectors/registry.js';
import { openStore, type FindingRow } from '../store/index.js';
import { positiveInt, storeOptions, type DbFlags } from './options.js';
import { printable } from './printable.js';

interface FindingsFlags extends DbFlags {
  label?: string;
  source?: string;
  status?: string;
  entity?: string;
  limit?: number;
  json?: boolean;
}

export function registerFindings(program: Command): void {
  program
    .command('findings')
    .description('list recorded findings, newest first')
    .option('--label <label>', 'only this label (passport, id_card, ssn_card, payment_card, ...)')
    .option('--source <source>', 'only this source (a folder or s3://bucket/prefix, as given to scan)')
    .option('--status <status>', 'open | resolved | remediated | dismissed | all', 'open')
    .option('--entity <type>', 'only entity findings of this type (payment_card_number, us_ssn, mrz, iban)')
    .option('--limit <n>', 'at most this many (default 1000)', (v) => positiveInt(v) && Number(v))
    .option('--json', 'one JSON object per finding per line')
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else the embedded database)')
    .option('--data-dir <dir>', 'folder of the embedded database (default: $CASB_DATA_DIR or ./.casb)')
    .action(async (flags: FindingsFlags) => {
      // Sources are stored by canonical URI; accept what the user typed for scan.
      const source = flags.source ? (await openConnector(flags.source, {})).uri : undefined;
      const store = await openStore(storeOptions(flags));
      try {
        const rows = await store.listFindings({
          label: flags.label,
          source,
          status: flags.status === 'all' ? undefined : flags.status,
          entity: flags.entity,
          limit: flags.limit,
        });
        if (flags.json) for (const f of rows) process.stdout.write(`${JSON.stringify(findingJson(f))}\n`);
        else printFindingsTable(rows, 'Findings');
      } finally {
        await store.close();
      }
    });
}

/** The JSON shape of a finding on stdout. Only redacted values ever appear here. */
export function findingJson(f: FindingRow) {
  return {
    id: f.id,
    source: f.source,
    path: f.path,
    label: f.label,
    score: Number(f.score.toFixed(4)),
    entity: f.entity_type || null,
    redacted: f.redacted_value,
    valueHash: f.value_hash || null,
    boxes: f.boxes,
    severity: f.severity,
    status: f.status,
    exposure: f.exposure,
    model: f.model_version,
    firstSeen: new Date(f.first_seen_at).toISOString(),
    lastSeen: new Date(f.last_seen_at).toISOString(),
    explanation: f.explanation,
  };
}

export function printFindingsTable(rows: FindingRow[], title: string): void {
  const out = process.stdout;
  if (!rows.length) {
    out.write(`${title}: none.\n`);
    return;
  }
  out.write(`${title} (${rows.length}):\n`);
  // the id is what casb remediate takes
  const table = rows.map((f) => [f.id, f.severity, f.label, f.score.toFixed(2), f.entity_type ? `${f.entity_type} ${f.redacted_value ?? ''}` : '-', f.exposure ?? '-', printable(f.path)]);
  const head = ['ID', 'SEVERITY', 'LABEL', 'SCORE', 'ENTITY', 'EXPOSURE', 'PATH'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`;
  out.write(line(head));
  rows.forEach((f, i) => {
    out.write(line(table[i]!));
    // Why: the stored explanation, e.g. "passport 0.94; MRZ valid (TD3, issuer UTO, check digits 4/4)".
    const why = typeof f.explanation?.summary === 'string' ? f.explanation.summary : typeof f.explanation?.reason === 'string' ? f.explanation.reason : '';
    if (why) out.write(`      why: ${printable(why)}\n`);
  });
}
