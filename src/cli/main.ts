/**
 * casb — command-line entry. Each command lives in its own file; this one wires them to
 * commander and turns errors into one clear line (stack traces only with --verbose).
 *
 * Exit codes: 0 ok, 1 the run failed (e.g. the database went away mid-scan), 2 usage or configuration error.
 */
import { Command, CommanderError } from 'commander';
import { UserError, errorMessage } from '../util/errors.js';
import { logger, setVerbose } from '../util/log.js';
import { registerClassify } from './classify.js';
import { registerFindings } from './findings.js';
import { registerModel } from './model.js';
import { registerPolicy } from './policy.js';
import { registerRemediate } from './remediate.js';
import { registerScan } from './scan.js';
import { registerSource } from './source.js';

const program = new Command()
  .name('casb')
  .description('Find sensitive images (passports, ID cards, SSN cards, payment cards, screenshots) in cloud storage.')
  .option('-v, --verbose', 'debug logs and stack traces on stderr')
  .showHelpAfterError('(run casb --help for usage)')
  .exitOverride()
  .hook('preAction', (cmd) => setVerbose(Boolean(cmd.opts().verbose)));

registerScan(program);
registerClassify(program);
registerFindings(program);
registerModel(program);
registerPolicy(program);
registerSource(program);
registerRemediate(program);

// `casb findings | head`: a closed pipe ends the output, it is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = report(err);
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (or the help text)
    return err.exitCode === 0 ? 0 : 2;
  }
  const verbose = Boolean(program.opts().verbose);
  if (err instanceof UserError) {
    process.stderr.write(`casb: ${err.message}\n`);
    if (verbose) logger.error({ err: err.cause ?? err }, 'details');
    return err.exitCode;
  }
  process.stderr.write(`casb: unexpected error: ${errorMessage(err).split('\n')[0]}. Run again with --verbose for details, and report it if it persists.\n`);
  if (verbose) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}
