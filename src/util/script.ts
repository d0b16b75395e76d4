/**
 * The entry point of the npm scripts that are not the `casb` CLI (synth, train, eval, fetch-debian,
 * fetch-eval): `--help` prints the usage, a bad flag or any other error is one line on stderr with
 * what to do, and the stack trace only with `--verbose` — the same rules as `casb` (src/cli/main.ts).
 *
 * `--verbose` is taken out of process.argv before `main` runs, so each script's strict parseArgs
 * never sees it; `main` gets it as an argument.
 */
import { UserError, errorMessage } from './errors.js';

/** `name` is how the user ran it (`npm run train`); `usage` is printed for --help. */
export function runScript(name: string, usage: string, main: (opts: { verbose: boolean }) => Promise<void>): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    return;
  }
  const verbose = argv.includes('--verbose');
  if (verbose) process.argv = process.argv.filter((a, i) => i < 2 || a !== '--verbose');
  main({ verbose }).catch((err: unknown) => {
    const code = (err as { code?: string })?.code ?? '';
    // node:util parseArgs errors (unknown option, missing value) are usage errors
    const usageError = err instanceof UserError || code.startsWith('ERR_PARSE_ARGS');
    const line = errorMessage(err).split('\n')[0];
    process.stderr.write(`${name}: ${line}${usageError ? ' (--help for usage)' : verbose ? '' : '. Run again with --verbose for details.'}\n`);
    if (verbose) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = err instanceof UserError ? err.exitCode : usageError ? 2 : 1;
  });
}
