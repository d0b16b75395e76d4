/**
 * The OCR stage inside a real scan: shipped model, real tesseract, real store. Findings carry the
 * redacted value, a keyed hash and word boxes; the raw values never reach the database.
 */
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createOcrPool } from '../src/ocr/pool.js';
import { parsePolicy } from '../src/policy/load.js';
import { scanSource } from '../src/scan-source.js';
import { openStore } from '../src/store/index.js';
import { runCli, storeFlags } from './helpers/cli.js';
import { passportPage, paymentCard, ssnCard } from './helpers/documents.js';
import { tempDir, testStoreOptions } from './helpers/env.js';

// Where OCR runs is the policy tests' subject; here every image is read, whatever the classifier says.
const OCR_ALL = parsePolicy('ocr:\n  labels: [passport, id_card, ssn_card, payment_card, screenshot, other]\n  minScore: 0\n');
const SSN = '536-22-8437'; // inside the issued ranges; not a published number
const RAW = ['4111111111111111', '4111 1111 1111 1111', 'L898902C3', 'ERIKSSON', SSN, SSN.replace(/-/g, '')];

async function documentsFolder(dir: string) {
  await writeFile(path.join(dir, 'card.png'), await paymentCard('4111111111111111'));
  await writeFile(path.join(dir, 'passport.jpg'), await passportPage(undefined, { jpegQuality: 85 }));
  await writeFile(path.join(dir, 'ssn.png'), await ssnCard(SSN));
}

test('validated entities become findings with redacted value, keyed hash and boxes; raw values are never stored', async (t) => {
  const dir = await tempDir(t);
  await documentsFolder(dir);
  const so = await testStoreOptions(t);
  const store = await openStore(so);
  t.after(() => store.close());
  const s1 = await scanSource(dir, { ...so, store, policy: OCR_ALL });
  assert.equal(s1.scanned, 3);
  assert.equal(s1.ocr.images, 3);
  assert.deepEqual(s1.findingsByEntity, { payment_card_number: 1, mrz: 1, us_ssn: 1 });

  const rows = await store.listFindings({ source: pathToFileURL(dir).href });
  const entity = (type: string) => rows.find((r) => r.entity_type === type)!;
  const pan = entity('payment_card_number');
  assert.equal(path.basename(pan.path), 'card.png');
  assert.equal(pan.redacted_value, '**** **** **** 1111');
  assert.match(pan.value_hash, /^[0-9a-f]{64}$/);
  assert.ok(pan.boxes.length >= 1, 'word boxes recorded');
  assert.match(String(pan.explanation.summary), /Luhn valid/);
  assert.equal(path.basename(entity('mrz').path), 'passport.jpg');
  assert.match(String(entity('mrz').explanation.summary), /MRZ valid \(TD3/);
  assert.match(entity('us_ssn').redacted_value!, /6789|8437$/);
  // each document also carries its label finding, confirmed or raised by the entity when the classifier was not sure
  const labelOf = (p: string) => rows.filter((r) => path.basename(r.path) === p && !r.entity_type).map((r) => r.label);
  assert.deepEqual(labelOf('card.png'), ['payment_card']);
  assert.deepEqual(labelOf('passport.jpg'), ['passport']);
  assert.deepEqual(labelOf('ssn.png'), ['ssn_card']);

  // nothing at rest holds a raw value: dump every table as text and look
  const dump = JSON.stringify(
    await Promise.all(['items', 'findings', 'scan_runs', 'cursors', 'sources'].map(async (tbl) => (await store.db.query(`SELECT * FROM ${tbl}`)).rows)),
  );
  for (const raw of RAW) assert.ok(!dump.includes(raw), `raw value ${raw.slice(0, 4)}… found in the database`);

  // same key, same hash: an unchanged rescan skips everything; a changed file is re-read and hashes the same
  const s2 = await scanSource(dir, { ...so, store, policy: OCR_ALL });
  assert.deepEqual(s2.skipped, { unchanged: 3 });
  await utimes(path.join(dir, 'card.png'), new Date(), new Date(Date.now() + 5000));
  const s3 = await scanSource(dir, { ...so, store, policy: OCR_ALL });
  assert.equal(s3.scanned, 1);
  const again = (await store.listFindings({ source: pathToFileURL(dir).href, entity: 'payment_card_number' }))[0]!;
  assert.equal(again.value_hash, pan.value_hash);
  assert.equal(again.id, pan.id, 'an upsert, not a second finding');

  // a different policy makes every item stale
  const s4 = await scanSource(dir, { ...so, store, policy: parsePolicy('suspected: { action: drop }\nocr: { labels: [passport, id_card, ssn_card, payment_card, screenshot, other], minScore: 0 }') });
  assert.equal(s4.scanned, 3);
});

test('policy exclusions: matching paths are skipped:excluded unread; an excluded source is refused in one line', async (t) => {
  const dir = await tempDir(t);
  await documentsFolder(dir);
  const so = await testStoreOptions(t);
  await mkdir(path.join(dir, 'thumbnails', 'deep'), { recursive: true });
  await writeFile(path.join(dir, 'thumbnails', 'deep', 'x.jpg'), await paymentCard('4539148803436467', { width: 300, jpegQuality: 80 }));
  const store = await openStore(so);
  t.after(() => store.close());
  const s = await scanSource(dir, { ...so, store, policy: parsePolicy('exclude:\n  paths: ["*.png", "thumbnails/**"]\n'), ocr: false });
  assert.deepEqual(s.skipped, { excluded: 3 });
  assert.equal(s.scanned, 1);
  assert.equal(s.downloaded, 1, 'excluded items are never read');
  // exclusion depends on the policy, not the content: without it, the next scan reads them
  const again = await scanSource(dir, { ...so, store, ocr: false });
  assert.equal(again.scanned, 4);
  await assert.rejects(scanSource(dir, { ...so, store, policy: parsePolicy(`exclude:\n  sources: ["${pathToFileURL(dir).href}"]\n`) }), /is excluded by the policy/);
  // a plain folder path works too, and covers the folders inside it
  await assert.rejects(scanSource(path.join(dir, 'thumbnails'), { ...so, store, policy: parsePolicy(`exclude:\n  sources: ["${dir}"]\n`) }), /is excluded by the policy/);
});

test('an OCR timeout keeps the classification, records failed:ocr_timeout, and leaves earlier entity findings open', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'card.png'), await paymentCard('5555555555554444'));
  const so = await testStoreOptions(t);
  const store = await openStore(so);
  t.after(() => store.close());
  const s1 = await scanSource(dir, { ...so, store, policy: OCR_ALL });
  assert.deepEqual(s1.findingsByEntity, { payment_card_number: 1 });

  await utimes(path.join(dir, 'card.png'), new Date(), new Date(Date.now() + 5000));
  const engine = createOcrPool({ size: 1, jobTimeoutMs: 1 });
  t.after(() => engine.close());
  // the bytes are the same, so the verdict cache would answer without OCR: off, to reach the OCR
  const s2 = await scanSource(dir, { ...so, store, policy: OCR_ALL, ocrEngine: engine, verdictCache: false });
  assert.deepEqual(s2.failed, { ocr_timeout: 1 });
  assert.equal(s2.ocr.failed, 1);
  const [item] = await store.itemOutcomes(pathToFileURL(dir).href);
  assert.equal(item!.outcome, 'failed:ocr_timeout');
  assert.ok(item!.label, 'the classification was recorded');
  const open = await store.listFindings({ source: pathToFileURL(dir).href, entity: 'payment_card_number' });
  assert.equal(open.length, 1, 'the PAN finding from the complete scan stays open');

  // not final: the next scan retries it, and succeeds
  const s3 = await scanSource(dir, { ...so, store, policy: OCR_ALL });
  assert.equal(s3.scanned, 1);
});

test('casb findings shows why; casb policy check names the bad field; a bad --policy stops the scan in one line', async (t) => {
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'card.png'), await paymentCard('4111111111111111'));
  const so = await testStoreOptions(t);
  const policyFile = path.join(dir, 'policy.yaml');
  await writeFile(policyFile, 'ocr:\n  labels: [passport, id_card, ssn_card, payment_card, screenshot, other]\n  minScore: 0\nexclude:\n  paths: ["*.yaml"]\n');
  const scan = await runCli(['scan', dir, ...storeFlags(so), '--policy', policyFile]);
  assert.equal(scan.code, 0, scan.stderr);
  assert.match(scan.stdout, /entities 1 {2}\(payment_card_number 1\)/);
  assert.match(scan.stdout, /ocr +1 images/);
  const list = await runCli(['findings', ...storeFlags(so)]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /payment_card_number \*{4} \*{4} \*{4} 1111/);
  assert.match(list.stdout, /why: payment_card \d\.\d\d; Luhn valid/);
  for (const raw of RAW) assert.ok(!list.stdout.includes(raw) && !scan.stdout.includes(raw) && !scan.stderr.includes(raw));

  const bad = path.join(dir, 'bad.yaml');
  await writeFile(bad, 'ocr:\n  minScore: 2\n');
  const check = await runCli(['policy', 'check', bad]);
  assert.equal(check.code, 2);
  assert.match(check.stderr, /^casb: the policy file .*bad\.yaml is invalid at ocr\.minScore: .*\n$/);
  const refused = await runCli(['scan', dir, ...storeFlags(so), '--policy', bad]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /invalid at ocr\.minScore/);
  // a label the model does not have is a typo that would switch a rule off: refused
  await writeFile(bad, 'labels:\n  pasport: { severity: high }\n');
  const typo = await runCli(['scan', dir, ...storeFlags(so), '--policy', bad]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^casb: the policy names label pasport that model \S+ does not have \(its labels: passport, /);
  const show = await runCli(['policy', 'show']);
  assert.equal(show.code, 0);
  assert.match(show.stdout, /^# policy version default-2#[0-9a-f]{8}\n/);
  assert.match(show.stdout, /minDocumentMass: 0\.25/);
});
