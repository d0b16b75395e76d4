/**
 * The listing benchmark (`npm run bench -- --only listing`): peak memory of a tenant-wide Google
 * Drive scan as the tenant grows. A local documented-API Drive server (test/fakes/drive-server.ts)
 * runs in this process with a tenant of N items spread over a few users; `casb scan gdrive://…`
 * runs as a child process against it, exactly as an operator would run it (service-account key,
 * --admin, --api-url / --token-url pointing at the local server, a fresh data dir, the shipped
 * model, --no-ocr).
 *
 * Items: most are tiny non-image bytes labelled image/png (the pipeline downloads them, sniffs them
 * and records skipped:not_image: the cheap path, so the run is dominated by listing and
 * bookkeeping), plus a small share (default 1%) of real small PNGs so the decode + model path runs.
 *
 * Measured in the child by a preloaded module (`node --import`): process.resourceUsage().maxRSS
 * (the kernel's high-water mark, all threads) and periodic process.memoryUsage() samples, written
 * on exit to the file named by CASB_BENCH_MEM_OUT. Also the child's CPU time and this process's
 * CPU time over the run (the fake server's share), so a slow run says which side is slow.
 *
 * Correctness gate: the scan's printed summary must say `listed N` with N = the tenant's item
 * count and report no failed items, so a broken listing cannot report a good (small) RSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { startDriveServer } from '../../test/fakes/drive-server.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CASB = path.join(REPO, 'src/cli/casb.mjs');
const DOMAIN = 'example.com';
const ADMIN = `alice@${DOMAIN}`;
const SA_EMAIL = 'casb-bench@casb-bench.iam.gserviceaccount.com';

/** Preloaded into the scanner: samples RSS every 200 ms, writes the peaks on exit. */
const PRELOAD = `
import { writeFileSync } from 'node:fs';
const out = process.env.CASB_BENCH_MEM_OUT;
let peakRss = 0, peakHeap = 0, peakExternal = 0, samples = 0;
const sample = () => {
  const m = process.memoryUsage();
  samples++;
  if (m.rss > peakRss) peakRss = m.rss;
  if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
  if (m.external + m.arrayBuffers > peakExternal) peakExternal = m.external + m.arrayBuffers;
};
const timer = setInterval(sample, 200);
timer.unref();
// Live heap: every 5 s a full GC (--expose-gc) and heapUsed after it. A peak of heapUsed alone
// mostly says how lazily V8 collects; growth of the post-GC figure with N would be a leak.
let peakLiveHeap = 0, lastLiveHeap = 0;
const gcTimer = setInterval(() => {
  if (typeof globalThis.gc !== 'function') return;
  globalThis.gc();
  lastLiveHeap = process.memoryUsage().heapUsed;
  if (lastLiveHeap > peakLiveHeap) peakLiveHeap = lastLiveHeap;
}, 5000);
gcTimer.unref();
process.on('exit', () => {
  sample();
  const r = process.resourceUsage();
  if (out) writeFileSync(out, JSON.stringify({ maxRssKiB: r.maxRSS, peakRssSampled: peakRss, peakHeapUsed: peakHeap, peakLiveHeap, lastLiveHeap, peakExternal, samples, userCpuUs: r.userCPUTime, systemCpuUs: r.systemCPUTime }));
});
`;

/** The caller's environment, less what would point the scan elsewhere (a PostgreSQL URL, a policy). */
function scannerEnv(memOut: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CASB_BENCH_MEM_OUT: memOut };
  for (const k of ['DATABASE_URL', 'CASB_DATA_DIR', 'CASB_POLICY', 'GOOGLE_APPLICATION_CREDENTIALS', 'GDRIVE_ADMIN_USER']) delete env[k];
  return env;
}

export interface ListingBenchOptions {
  /** Tenant sizes to scan, e.g. [5000, 50000]. */
  sizes: number[];
  /** Users the items are spread over (default 10; the first is the Workspace admin). */
  users?: number;
  /** Share of items that are real PNGs (default 0.01). */
  pngShare?: number;
  /** Keep the temp folder (credentials, data dirs, memory files) and say where it is. */
  keep?: boolean;
  log?: (line: string) => void;
  /**
   * A PostgreSQL server URL (e.g. postgres://postgres@127.0.0.1:5432/test): each run gets a fresh
   * database created there and dropped afterwards, instead of an embedded PGlite data dir. Tells
   * the scanner's own memory apart from PGlite's (its WASM heap grows with the data and never shrinks).
   */
  db?: string;
}

/** A fresh database on the server of `url` for one run; returns its URL and a dropper. */
async function freshDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `casb_listing_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

export interface ListingRun {
  items: number;
  pngs: number;
  listed: number;
  scanned: number;
  skipped: number;
  failed: number;
  /** Peak RSS of the scanner process (MiB): getrusage maxRSS. */
  peakRssMiB: number;
  /** Highest RSS seen by the 200 ms sampler (MiB). */
  sampledPeakRssMiB: number;
  peakHeapUsedMiB: number;
  /** Highest JS heap right after a forced full GC (every 5 s): the live set; growth with N = a leak. */
  liveHeapMiB: number;
  peakExternalMiB: number;
  /** Spawn to exit, including start-up (module loading, model load, database creation). */
  wallMs: number;
  /** The scan's own wall time, from its summary. */
  scanWallMs: number;
  /** Items per second of the scan's own wall time. */
  itemsPerSec: number;
  /** Items per second spawn to exit. */
  itemsPerSecEndToEnd: number;
  scannerCpuSec: number;
  /** CPU time of the bench process (the fake Drive server) during the run. */
  serverCpuSec: number;
  serverRequests: number;
  setupMs: number;
}

export interface ListingBenchResult {
  users: number;
  pngShare: number;
  runs: ListingRun[];
  /** Peak RSS of the largest run over that of the smallest (flat memory: close to 1). */
  rssRatio: number | null;
  /** Largest size over smallest. */
  sizeRatio: number | null;
  /** Peak RSS growth from the smallest to the largest run, per extra item (KiB): the ratio hides it under the ~0.9 GiB model + database floor. */
  rssKiBPerExtraItem: number | null;
  /** Peak heapUsed of the largest run over that of the smallest. */
  heapRatio: number | null;
  liveHeapRatio: number | null;
}

const MiB = 1024 * 1024;

/** A small, unique PNG (noise + a colour per index) so the decode and model path does real work. */
async function smallPng(i: number): Promise<Buffer> {
  return sharp({ create: { width: 320, height: 240, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 }, background: '#000' } })
    .composite([{ input: { create: { width: 160, height: 80, channels: 3, background: { r: (i * 53) % 256, g: (i * 97) % 256, b: (i * 31) % 256 } } }, top: 40 + (i % 100), left: 60 }])
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/** Pulls the counts out of the scan's printed summary (src/cli/scan.ts summaryText). */
export function parseSummary(text: string): { listed: number; downloaded: number; scanned: number; skipped: number; failed: number; wallMs: number } {
  const num = (re: RegExp, what: string) => {
    const m = re.exec(text);
    if (!m) throw new Error(`listing bench: no "${what}" in the scan's summary:\n${text}`);
    return Number(m[1]);
  };
  return {
    wallMs: num(/^Scanned \S+ in ([\d.]+) s/m, 'Scanned … in') * 1000,
    listed: num(/^\s+listed\s+(\d+)/m, 'listed'),
    downloaded: num(/^\s+listed\s+\d+[^,\n]*, (\d+) downloaded/m, 'downloaded'),
    scanned: num(/^\s+scanned\s+(\d+)/m, 'scanned'),
    skipped: num(/^\s+skipped\s+(\d+)/m, 'skipped'),
    failed: num(/^\s+failed\s+(\d+)/m, 'failed'),
  };
}

async function runOne(root: string, keyPem: { privatePem: string; publicPem: string }, n: number, nUsers: number, pngShare: number, log: (l: string) => void, db?: string): Promise<ListingRun> {
  const t0 = performance.now();
  const server = await startDriveServer({ domain: DOMAIN });
  try {
    const users = Array.from({ length: nUsers }, (_, i) => (i === 0 ? ADMIN : `user${String(i).padStart(2, '0')}@${DOMAIN}`));
    users.forEach((u, i) => server.addUser(u, i === 0 ? { admin: true } : {}));
    server.addServiceAccount(SA_EMAIL, keyPem.publicPem, { delegation: true });
    // every 1/pngShare-th item is a real PNG, spread evenly over the users
    const every = pngShare > 0 ? Math.max(1, Math.round(1 / pngShare)) : Infinity;
    let pngs = 0;
    for (let i = 0; i < n; i++) {
      const owner = users[i % nUsers]!;
      const isPng = i % every === every - 1;
      const content = isPng ? await smallPng(i) : Buffer.from(`not an image, item ${i}\n`);
      if (isPng) pngs++;
      server.addFile({ name: `IMG_${String(i).padStart(6, '0')}.png`, content, owner, mimeType: 'image/png' });
    }
    const dir = await mkdtemp(path.join(root, `n${n}-`));
    const credentials = path.join(dir, 'sa.json');
    await writeFile(credentials, JSON.stringify({ type: 'service_account', client_email: SA_EMAIL, private_key: keyPem.privatePem, private_key_id: 'bench1' }));
    const memOut = path.join(dir, 'mem.json');
    const setupMs = performance.now() - t0;
    log(`listing bench: tenant of ${n} items (${pngs} PNGs) over ${nUsers} users ready in ${(setupMs / 1000).toFixed(1)} s; scanning...\n`);

    // A fresh PGlite folder costs ~800 MiB RSS once, for initdb; every later open ~300 MiB. A
    // tenant is scanned into an existing database on every run but the first, so the database is
    // created (migrations applied) by a separate `casb findings` before the measured scan.
    if (!db) {
      const init = spawnSync(process.execPath, [CASB, 'findings', '--data-dir', path.join(dir, 'data'), '--limit', '1'], { cwd: REPO, env: scannerEnv(path.join(dir, 'init-mem.json')), encoding: 'utf8' });
      if (init.status !== 0) throw new Error(`listing bench: creating the embedded database failed:\n${init.stderr}`);
    }

    server.resetCounters();
    const cpu0 = process.cpuUsage();
    const t1 = performance.now();
    const args = [
      '--expose-gc',
      '--import', pathToFileURL(path.join(root, 'mem-preload.mjs')).href,
      CASB, 'scan', `gdrive://${DOMAIN}`,
      '--credentials', credentials, '--admin', ADMIN,
      '--api-url', server.rootUrl, '--token-url', server.tokenUrl,
      '--data-dir', path.join(dir, 'data'), '--no-ocr', '--no-progress',
      ...(db ? ['--db', db] : []),
    ];
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: REPO,
        env: scannerEnv(memOut),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-20000)));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    const wallMs = performance.now() - t1;
    const cpu = process.cpuUsage(cpu0);
    if (code !== 0) throw new Error(`listing bench: casb scan exited ${code} at n=${n}\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`);
    const s = parseSummary(stdout);
    if (s.listed !== n) throw new Error(`listing bench: the scan listed ${s.listed} items, the tenant holds ${n}\n${stdout.slice(0, 2000)}`);
    if (s.failed !== 0) throw new Error(`listing bench: ${s.failed} items failed at n=${n}\n${stderr.slice(-4000)}`);
    if (s.scanned + s.skipped !== n) throw new Error(`listing bench: scanned ${s.scanned} + skipped ${s.skipped} ≠ ${n}\n${stdout.slice(0, 2000)}`);
    const mem = JSON.parse(await readFile(memOut, 'utf8')) as { maxRssKiB: number; peakRssSampled: number; peakHeapUsed: number; peakLiveHeap: number; peakExternal: number; userCpuUs: number; systemCpuUs: number };
    const run: ListingRun = {
      items: n,
      pngs,
      listed: s.listed,
      scanned: s.scanned,
      skipped: s.skipped,
      failed: s.failed,
      peakRssMiB: mem.maxRssKiB / 1024,
      sampledPeakRssMiB: mem.peakRssSampled / MiB,
      peakHeapUsedMiB: mem.peakHeapUsed / MiB,
      liveHeapMiB: mem.peakLiveHeap / MiB,
      peakExternalMiB: mem.peakExternal / MiB,
      wallMs,
      scanWallMs: s.wallMs,
      itemsPerSec: n / (s.wallMs / 1000),
      itemsPerSecEndToEnd: n / (wallMs / 1000),
      scannerCpuSec: (mem.userCpuUs + mem.systemCpuUs) / 1e6,
      serverCpuSec: (cpu.user + cpu.system) / 1e6,
      serverRequests: server.requests.length,
      setupMs,
    };
    log(`listing bench: n=${n}: peak RSS ${run.peakRssMiB.toFixed(0)} MiB, scan ${(s.wallMs / 1000).toFixed(1)} s (${run.itemsPerSec.toFixed(0)} items/s), ${(wallMs / 1000).toFixed(1)} s end to end\n`);
    return run;
  } finally {
    await server.stop();
  }
}

export async function runListingBench(opts: ListingBenchOptions): Promise<ListingBenchResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l));
  const nUsers = Math.max(1, opts.users ?? 10);
  const pngShare = opts.pngShare ?? 0.01;
  const root = await mkdtemp(path.join(os.tmpdir(), 'casb-listing-bench-'));
  try {
    await writeFile(path.join(root, 'mem-preload.mjs'), PRELOAD);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    const runs: ListingRun[] = [];
    for (const n of opts.sizes) {
      const fresh = opts.db ? await freshDatabase(opts.db) : undefined;
      try {
        runs.push(await runOne(root, key, n, nUsers, pngShare, log, fresh?.url));
      } finally {
        await fresh?.drop();
      }
    }
    const bySize = [...runs].sort((a, b) => a.items - b.items);
    const [lo, hi] = [bySize[0], bySize[bySize.length - 1]];
    const two = lo && hi && lo !== hi;
    return {
      users: nUsers,
      pngShare,
      runs,
      rssRatio: two ? hi.peakRssMiB / lo.peakRssMiB : null,
      sizeRatio: two ? hi.items / lo.items : null,
      rssKiBPerExtraItem: two && hi.items > lo.items ? ((hi.peakRssMiB - lo.peakRssMiB) * 1024) / (hi.items - lo.items) : null,
      heapRatio: two ? hi.peakHeapUsedMiB / lo.peakHeapUsedMiB : null,
      liveHeapRatio: two ? hi.liveHeapMiB / lo.liveHeapMiB : null,
    };
  } finally {
    if (opts.keep) log(`listing bench: kept ${root}\n`);
    else await rm(root, { recursive: true, force: true });
  }
}

export function formatListingBench(r: ListingBenchResult): string {
  const head = `${'items'.padStart(8)}${'peak RSS MiB'.padStart(14)}${'heap MiB'.padStart(10)}${'live heap'.padStart(11)}${'scan s'.padStart(9)}${'items/s'.padStart(9)}${'wall s'.padStart(9)}${'scan cpu s'.padStart(12)}${'server cpu s'.padStart(14)}${'listed'.padStart(8)}${'scanned'.padStart(9)}`;
  const rows = r.runs.map(
    (x) =>
      `${String(x.items).padStart(8)}${x.peakRssMiB.toFixed(0).padStart(14)}${x.peakHeapUsedMiB.toFixed(0).padStart(10)}${x.liveHeapMiB.toFixed(0).padStart(11)}${(x.scanWallMs / 1000).toFixed(1).padStart(9)}${x.itemsPerSec.toFixed(0).padStart(9)}${(x.wallMs / 1000).toFixed(1).padStart(9)}${x.scannerCpuSec.toFixed(1).padStart(12)}${x.serverCpuSec.toFixed(1).padStart(14)}${String(x.listed).padStart(8)}${String(x.scanned).padStart(9)}`,
  );
  const tail =
    r.rssRatio !== null
      ? `\npeak RSS at ${r.sizeRatio!.toFixed(0)}x the items / smallest: ${r.rssRatio.toFixed(2)} (flat = 1.00) · heap ${r.heapRatio!.toFixed(2)} · live heap after GC ${r.liveHeapRatio!.toFixed(2)} · ${r.rssKiBPerExtraItem?.toFixed(2) ?? '-'} KiB RSS per extra item\n`
      : '\n';
  const note = 'scan s: the scan\'s own wall time (its summary); wall s: spawn to exit (start-up, model and database load included)\n';
  return `${head}\n${rows.join('\n')}\n${tail}${note}`;
}
