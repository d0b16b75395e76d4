/** `casb source add|list|remove`: named sources in the sources file (see src/sources.ts). */
import type { Command } from 'commander';
import { addSource, loadSources, removeSource, sourcesFile, type SourceConfig } from '../sources.js';
import { UserError } from '../util/errors.js';
import { dataDirOf } from './options.js';

interface AddFlags {
  credentials?: string;
  endpoint?: string;
  region?: string;
  users?: string;
  admin?: string;
  domains?: string;
  dataDir?: string;
}

const list = (s?: string) => s?.split(',').map((x) => x.trim()).filter(Boolean);

export function registerSource(program: Command): void {
  const cmd = program.command('source').description('named sources for casb scan <name> (kept in <data dir>/sources.yaml or $CASB_SOURCES; never in the database)');
  cmd
    .command('add <name> <uri>')
    .description('add or replace a named source, e.g. casb source add finance gdrive://example.com --credentials sa.json')
    .option('--credentials <file>', 'gdrive/onedrive credentials file (the path is stored, not the secret)')
    .option('--endpoint <url>', 'S3-compatible endpoint')
    .option('--region <region>', 'S3 region')
    .option('--users <emails>', 'gdrive/onedrive tenant scans: comma-separated users to scan instead of the whole directory')
    .option('--admin <email>', 'gdrive: the Workspace admin impersonated to list the users (tenant scans), and owner of the quarantine folder (casb remediate)')
    .option('--domains <list>', "the organisation's own domains, comma-separated (who counts as external)")
    .option('--data-dir <dir>', 'data dir (default: $CASB_DATA_DIR or ./.casb)')
    .action(async (name: string, uri: string, f: AddFlags) => {
      const cfg: SourceConfig = { uri };
      if (f.credentials) cfg.credentials = f.credentials;
      if (f.endpoint) cfg.endpoint = f.endpoint;
      if (f.region) cfg.region = f.region;
      if (list(f.users)?.length) cfg.users = list(f.users);
      if (f.admin) cfg.admin = f.admin;
      if (list(f.domains)?.length) cfg.domains = list(f.domains);
      const file = sourcesFile(dataDirOf(f));
      const { replaced, config } = await addSource(file, name, cfg);
      process.stdout.write(`source ${name} → ${config.uri} ${replaced ? 'replaced' : 'saved'} in ${file}\n`);
    });
  cmd
    .command('list')
    .description('list the named sources')
    .option('--data-dir <dir>', 'data dir (default: $CASB_DATA_DIR or ./.casb)')
    .action(async (f: { dataDir?: string }) => {
      const file = sourcesFile(dataDirOf(f));
      const all = await loadSources(file);
      if (Object.keys(all).length === 0) process.stderr.write(`no named sources in ${file} (casb source add <name> <uri> creates one)\n`);
      for (const [name, s] of Object.entries(all)) {
        const extras = [s.credentials && `credentials ${s.credentials}`, s.endpoint && `endpoint ${s.endpoint}`, s.users && `${s.users.length} users`, s.admin && `admin ${s.admin}`, s.domains && `domains ${s.domains.join(',')}`].filter(Boolean);
        process.stdout.write(`${name.padEnd(16)} ${s.uri}${extras.length ? `  (${extras.join('; ')})` : ''}\n`);
      }
    });
  cmd
    .command('remove <name>')
    .description('remove a named source (its scan history stays in the database)')
    .option('--data-dir <dir>', 'data dir (default: $CASB_DATA_DIR or ./.casb)')
    .action(async (name: string, f: { dataDir?: string }) => {
      if (!(await removeSource(sourcesFile(dataDirOf(f)), name))) throw new UserError(`no source named ${name} (casb source list shows them)`);
      process.stdout.write(`source ${name} removed\n`);
    });
}
