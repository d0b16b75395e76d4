/** `casb policy show|check`: print the effective policy, or validate a policy file. */
import type { Command } from 'commander';
import { loadPolicy, policyVersion, policyYaml } from '../policy/load.js';

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('show or check the policy (what makes a finding, when to OCR, what to leave out)');
  policy
    .command('show')
    .description('print the effective policy as YAML: the built-in default, or a file with its defaults filled in')
    .option('--policy <file>', 'policy file (default: $CASB_POLICY, else the built-in policy)')
    .action(async (flags: { policy?: string }) => {
      const p = await loadPolicy(flags.policy ?? (process.env.CASB_POLICY || undefined));
      process.stdout.write(`# policy version ${policyVersion(p)}\n${policyYaml(p)}`);
    });
  policy
    .command('check <file>')
    .description('validate a policy file; exit 2 with the first problem if it is invalid')
    .action(async (file: string) => {
      const p = await loadPolicy(file);
      process.stdout.write(`${file}: valid (policy version ${policyVersion(p)})\n`);
    });
}
