/**
 * The npm scripts beside `casb` (synth, train, eval) follow the CLI's rules: --help prints the usage,
 * a bad flag or argument is one line on stderr with exit code 2, and no stack trace without --verbose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO } from './helpers/env.js';

function script(file: string, args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, file), ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('synth, train and eval: --help prints the usage; bad input is one line and exit 2, a stack only with --verbose', () => {
  for (const [file, name] of [['src/training/synth/cli.ts', 'synth'], ['src/training/train.ts', 'train'], ['src/training/eval.ts', 'eval']] as const) {
    const help = script(file, ['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^npm run ${name}`), 'the usage names the npm command');
  }
  const cases: Array<[string, string[], RegExp]> = [
    ['src/training/synth/cli.ts', ['--out', '/tmp/casb-never-written', '--labels', 'dragon'], /unknown label 'dragon'/],
    ['src/training/synth/cli.ts', ['--bogus'], /Unknown option '--bogus'/],
    ['src/training/train.ts', ['--per-class', 'abc'], /--per-class must be a whole number/],
    ['src/training/train.ts', ['--views', 'fill,sideways'], /unknown view 'sideways'/],
    ['src/training/eval.ts', [], /give the folder to evaluate/],
    ['src/training/eval.ts', ['/nonexistent-casb-eval'], /is not a folder/],
  ];
  for (const [file, args, msg] of cases) {
    const r = script(file, args);
    assert.equal(r.code, 2, `${file} ${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${r.stderr}`);
    assert.match(lines[0]!, msg);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const verbose = script('src/training/eval.ts', ['/nonexistent-casb-eval', '--verbose']);
  assert.equal(verbose.code, 2);
  assert.match(verbose.stderr, /\n\s+at /, '--verbose adds the stack');
});
