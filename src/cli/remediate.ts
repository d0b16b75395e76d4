/**
 * `casb remediate`, `casb restore`, `casb actions`: act on findings (quarantine, revoke public or
 * external sharing, tag), undo an action from its before-snapshot, and read the audit trail.
 * The work is in src/remediation/; this file parses, opens connectors and prints.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import picomatch from 'picomatch';
import type { Connector, ConnectorOptions } from '../../connectors/contract.js';
import { isInside, realPathOf } from '../../connectors/local/remediate.js';
import { kindOf, openConnector } from '../../connectors/registry.js';
import { loadPolicy } from '../policy/load.js';
import type { Policy } from '../policy/schema.js';
import { ACTIONS } from '../remediation/actions/index.js';
import type { ActionResult, ConnectorFor } from '../remediation/runner.js';
import { loadSources, sourcesFile } from '../sources.js';
import { openStore, type ActionRow } from '../store/index.js';
import { UserError } from '../util/errors.js';
import { printable } from './printable.js';
import { storeOptions, type DbFlags } from './options.js';

interface ConnectorFlags {
  endpoint?: string;
  region?: string;
  credentials?: string;
  apiUrl?: string;
  tokenUrl?: string;
  admin?: string;
}

interface RemediateFlags extends DbFlags, ConnectorFlags {
  action: string;
  dryRun?: boolean;
  label?: string;
  exposure?: string;
  source?: string;
  all?: boolean;
  param: string[];
  force?: boolean;
  policy?: string;
  actor?: string;
  json?: boolean;
}

function connectorOptions(cmd: Command): Command {
  return cmd
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else the embedded database)')
    .option('--data-dir <dir>', 'folder of the embedded database (default: $CASB_DATA_DIR or ./.casb)')
    .option('--endpoint <url>', 'S3-compatible endpoint (default: the named source\'s)')
    .option('--region <region>', 'S3 region')
    .option('--credentials <file>', 'gdrive/onedrive credentials file (default: the named source\'s, else the environment)')
    .option('--api-url <url>', 'gdrive/onedrive API root (local test servers, sovereign clouds)')
    .option('--token-url <url>', 'gdrive/onedrive OAuth token endpoint')
    .option('--admin <email>', 'gdrive: the Workspace admin (owner of the quarantine folder; default $GDRIVE_ADMIN_USER)');
}

const collect = (v: string, prev: string[]) => [...prev, v];
const EXPOSURES = ['public', 'anyone_with_link', 'domain', 'external', 'internal', 'private', 'unknown'];

export function registerRemediate(program: Command): void {
  connectorOptions(
    program
      .command('remediate [finding-ids...]')
      .description('act on findings: quarantine, revoke-public, revoke-external or tag (by id, or every open finding matching --label/--exposure/--source)')
      .requiredOption('--action <name>', `one of ${Object.keys(ACTIONS).join(', ')}`)
      .option('--dry-run', 'read the live state and print the plan; change nothing, record nothing')
      .option('--label <label>', 'bulk: open findings with this label')
      .option('--exposure <level>', 'bulk: items with this exposure (public, anyone_with_link, domain, external, internal, private)')
      .option('--source <uri>', 'bulk: items of this source (its URI as casb findings shows it)')
      .option('--all', 'bulk: every open finding (with no other filter)')
      .option('--param <key=value>', 'action parameter, repeatable (quarantine: to=<location>; revoke-external: organization=true; tag: tags.casb-x=y)', collect, [])
      .option('--force', 'go above the per-run cap (policy remediation.maxItems, default 25)')
      .option('--policy <file>', 'policy file with the remediation section (default: $CASB_POLICY, else the built-in policy)')
      .option('--actor <name>', 'who is acting, for the audit (default: $CASB_ACTOR, else user@host)')
      .option('--json', 'one JSON object per item on stdout'),
  ).action(async (ids: string[], flags: RemediateFlags) => {
    const bulk = flags.label ?? flags.exposure ?? flags.source;
    if (ids.length && (bulk || flags.all)) throw new UserError('give finding ids or a filter (--label, --exposure, --source, --all), not both.');
    if (flags.all && bulk) throw new UserError('--all acts on every open finding: leave out --label, --exposure and --source, or --all.');
    if (flags.exposure && !EXPOSURES.includes(flags.exposure)) throw new UserError(`--exposure ${flags.exposure.slice(0, 40)}: use one of ${EXPOSURES.join(', ')}.`);
    // sources are stored by canonical URI; accept what the user typed for scan (./pics, a path)
    const source = flags.source ? (await openConnector(flags.source, {})).uri : undefined;
    if (!ids.length && !bulk && !flags.all) throw new UserError('nothing selected: give finding ids, or a filter (--label, --exposure, --source); --all acts on every open finding.');
    const policy = await loadPolicy(flags.policy ?? (process.env.CASB_POLICY || undefined));
    const params = parseParams(flags.param);
    const so = storeOptions(flags);
    const store = await openStore(so);
    // Ctrl-C: finish the item in hand (a quarantine is never left half done by us), then stop
    const interrupt = new AbortController();
    const onSignal = () => {
      if (interrupt.signal.aborted) process.exit(130);
      process.stderr.write('\ncasb: stopping after the item in hand; run the same command again to go on. Press Ctrl-C again to quit now.\n');
      interrupt.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const { remediate } = await import('../remediation/runner.js');
      const report = await remediate(store, connectorsFor(flags, so.dataDir), {
        signal: interrupt.signal,
        action: flags.action,
        params,
        ...(ids.length ? { findingIds: ids } : { filter: { label: flags.label, exposure: flags.exposure, source } }),
        dryRun: Boolean(flags.dryRun),
        cap: policy.remediation.maxItems,
        force: flags.force,
        actor: flags.actor,
        quarantineTo: (uri) => quarantineLocation(policy, uri, so.dataDir),
        checkQuarantineTo: async (uri, to) => {
          // a quarantine folder inside any scanned folder would be scanned again and flagged as new
          if (kindOf(uri) !== 'local' || !to || !path.isAbsolute(to)) return;
          const q = await realPathOf(to);
          for (const other of await store.sourcesOfKind('local')) {
            const root = await realPathOf(fileURLToPath(other));
            if (isInside(q, root)) throw new UserError(`the quarantine folder ${to} is inside the scanned folder ${fileURLToPath(other)}: choose one outside every scanned folder.`);
          }
        },
      });
      if (flags.json) for (const r of report.results) process.stdout.write(`${JSON.stringify(r)}\n`);
      else printResults(report.results, report.dryRun, flags.force ? undefined : policy.remediation.maxItems);
      if (report.notStarted) {
        process.stderr.write(`casb: interrupted: ${report.notStarted} item(s) not started; run the same command again to go on (done items are no-ops then).\n`);
        process.exitCode = 130;
      } else if (report.results.some((r) => /^(failed|blocked):/.test(r.status))) {
        // something the admin asked for did not happen: scripts must notice
        process.exitCode = 1;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await store.close();
    }
  });

  connectorOptions(
    program
      .command('restore <action-id>')
      .description('undo a quarantine, revoke or tag from its before-snapshot: move the file back, grant again what was removed, put the tags back')
      .option('--dry-run', 'print what would be restored; change nothing')
      .option('--actor <name>', 'who is acting, for the audit (default: $CASB_ACTOR, else user@host)')
      .option('--json', 'the result as one JSON object'),
  ).action(async (id: string, flags: DbFlags & ConnectorFlags & { dryRun?: boolean; actor?: string; json?: boolean }) => {
    const so = storeOptions(flags);
    const store = await openStore(so);
    try {
      const { restoreAction } = await import('../remediation/runner.js');
      const r = await restoreAction(store, connectorsFor(flags, so.dataDir), id, { dryRun: Boolean(flags.dryRun), actor: flags.actor });
      if (flags.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else printResults([r], Boolean(flags.dryRun));
      if (/^(failed|blocked):/.test(r.status)) process.exitCode = 1;
    } finally {
      await store.close();
    }
  });

  program
    .command('actions')
    .description('the remediation audit trail, newest first')
    .option('--finding <id>', 'only actions on this finding (or its item)')
    .option('--limit <n>', 'at most this many (default 200)', (v) => Number(v))
    .option('--json', 'one JSON object per action (with the before/after snapshots) per line')
    .option('--db <url>', 'PostgreSQL URL (default: $DATABASE_URL, else the embedded database)')
    .option('--data-dir <dir>', 'folder of the embedded database (default: $CASB_DATA_DIR or ./.casb)')
    .action(async (flags: DbFlags & { finding?: string; limit?: number; json?: boolean }) => {
      if (flags.finding !== undefined && !/^\d{1,18}$/.test(flags.finding)) throw new UserError(`"${flags.finding}" is not a finding id.`);
      if (flags.limit !== undefined && !(Number.isInteger(flags.limit) && flags.limit > 0 && flags.limit <= 100_000)) throw new UserError('--limit takes a whole number from 1 to 100000.');
      const store = await openStore(storeOptions(flags));
      try {
        const rows = await store.listActions({ findingId: flags.finding, limit: flags.limit });
        if (flags.json) {
          for (const a of rows) process.stdout.write(`${JSON.stringify(a)}\n`);
          return;
        }
        printActions(rows);
      } finally {
        await store.close();
      }
    });
}

/** `--param to=s3://q/x --param organization=true --param tags.casb-owner=alice` → params. */
export function parseParams(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq < 1) throw new UserError(`--param ${p}: write key=value.`);
    const key = p.slice(0, eq);
    const raw = p.slice(eq + 1);
    const value: unknown = raw === 'true' ? true : raw === 'false' ? false : raw;
    const dot = key.indexOf('.');
    if (dot > 0) {
      const head = key.slice(0, dot);
      const sub = (out[head] ??= {}) as Record<string, unknown>;
      sub[key.slice(dot + 1)] = value;
    } else out[key] = value;
  }
  return out;
}

/**
 * Connectors by source URI, with the options of the named source of that URI (casb source add),
 * and the command-line flags over them.
 */
function connectorsFor(flags: ConnectorFlags, dataDir: string): ConnectorFor {
  return async (uri: string): Promise<Connector> => {
    const named = Object.values(await loadSources(sourcesFile(dataDir))).find((s) => s.uri === uri || canonicalOr(s.uri) === uri);
    const endpoint = flags.endpoint ?? named?.endpoint;
    const opts: ConnectorOptions = {
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      ...((flags.region ?? named?.region) ? { region: flags.region ?? named?.region } : {}),
      ...((flags.credentials ?? named?.credentials) ? { credentialsFile: flags.credentials ?? named?.credentials } : {}),
      ...((flags.apiUrl ?? named?.apiUrl) ? { apiUrl: flags.apiUrl ?? named?.apiUrl } : {}),
      ...((flags.tokenUrl ?? named?.tokenUrl) ? { tokenUrl: flags.tokenUrl ?? named?.tokenUrl } : {}),
      ...((flags.admin ?? named?.admin) ? { adminUser: flags.admin ?? named?.admin } : {}),
      ...(named?.users ? { users: named.users } : {}),
      ...(named?.domains ? { domains: named.domains } : {}),
    };
    return openConnector(uri, opts);
  };
}

function canonicalOr(uri: string): string {
  // only local paths are written differently from their canonical URI (./pics vs file:///abs/pics)
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? uri : pathToFileURL(path.resolve(uri)).href;
}

/**
 * Quarantine location: the policy's entry for the source URI (or a glob over it), else for its
 * connector kind; local folders default to `<data dir>/quarantine/<source hash>` (outside the tree).
 */
export function quarantineLocation(policy: Policy, uri: string, dataDir: string): string | undefined {
  const q = policy.remediation.quarantine;
  if (q[uri]) return q[uri];
  for (const [k, v] of Object.entries(q)) if (k.includes('://') && picomatch.isMatch(uri, k)) return v;
  let kind: string | undefined;
  try {
    kind = kindOf(uri);
  } catch {
    kind = undefined;
  }
  if (kind && q[kind]) return q[kind];
  if (kind === 'local') return path.join(dataDir, 'quarantine', createHash('sha256').update(uri).digest('hex').slice(0, 12));
  return undefined;
}

function printResults(results: ActionResult[], dryRun: boolean, cap?: number): void {
  const out = process.stdout;
  if (!results.length) {
    out.write('No open findings match: nothing to do.\n');
    return;
  }
  for (const r of results) {
    const id = r.actionId ? ` (action ${r.actionId})` : '';
    out.write(`${r.status.padEnd(10)} ${r.action} ${printable(r.path)}${id}\n`);
    out.write(`           ${printable(r.detail)}\n`);
    for (const n of r.notes ?? []) out.write(`           note: ${printable(n)}\n`);
  }
  const by = new Map<string, number>();
  for (const r of results) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  out.write(`${dryRun ? 'Dry run, nothing changed: ' : ''}${results.length} item(s): ${[...by].map(([k, v]) => `${v} ${k}`).join(', ')}\n`);
  if (dryRun && cap !== undefined && results.length > cap) out.write(`Applying this would be refused: ${results.length} items is above the cap of ${cap}; add --force to go above it.\n`);
}


function printActions(rows: ActionRow[]): void {
  const out = process.stdout;
  if (!rows.length) {
    out.write('No remediation actions recorded.\n');
    return;
  }
  for (const a of rows) {
    const when = new Date(a.started_at).toISOString().replace('T', ' ').slice(0, 19);
    const extra = a.restores ? ` restores ${a.restores}` : a.restored_by ? ` (restored by ${a.restored_by})` : '';
    out.write(`${a.id.padStart(5)}  ${when}  ${a.action.padEnd(15)} ${a.status.padEnd(18)} finding ${a.finding_id ?? '-'}  ${printable(a.actor)}  ${printable(a.path)}${extra}\n`);
    if (a.detail) out.write(`       ${printable(a.detail)}\n`);
  }
}
