/** Runs the real `casb` executable as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO } from './env.js';
import type { StoreOptions } from '../../src/store/index.js';

export const CASB = path.join(REPO, 'src/cli/casb.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CASB, ...args], {
    cwd: REPO,
    env: { ...process.env, DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

/** CLI flags that point at the test's store (PGlite folder, or PostgreSQL with the test's schema). */
export function storeFlags(so: StoreOptions): string[] {
  if (so.db) {
    const u = new URL(so.db);
    if (so.schema) u.searchParams.set('options', `-c search_path=${so.schema}`);
    // the data dir still holds the hash key and the OCR cache
    return ['--db', u.toString(), ...(so.dataDir ? ['--data-dir', so.dataDir] : [])];
  }
  return ['--data-dir', so.dataDir!];
}
