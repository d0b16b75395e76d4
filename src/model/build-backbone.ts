/**
 * CLI: build (if missing or stale) models/backbone/mobilenet_v2.onnx from the nsfwjs package
 * and print its path and sha256.   Usage: tsx src/model/build-backbone.ts [--force] [--dir DIR]
 */
import { ensureBackbone } from './backbone.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const dirIdx = args.indexOf('--dir');
  const dir = dirIdx >= 0 ? args[dirIdx + 1] : undefined;
  const started = performance.now();
  const info = await ensureBackbone({ force, ...(dir ? { dir } : {}) });
  const ms = Math.round(performance.now() - started);
  process.stdout.write(`${info.path}\nsha256 ${info.sha256}\nsource ${info.source}\n(${ms} ms)\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`build-backbone: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
