/**
 * The OCR stage as the pipeline runs it: OCR the image, run the recognizers, and turn every
 * match into Evidence — redacted form plus keyed hash — before anything leaves this function.
 * The raw values exist only inside `run`; OCR text is never returned, stored or logged.
 *
 * MRZ second look: a general-purpose read of a whole page gets most MRZ characters right and a
 * few wrong (a check digit then fails), or splits the zone. When the first read shows an MRZ
 * that does not validate, or lines full of '<', the zone alone is read again by an engine limited
 * to the MRZ alphabet (A–Z, 0–9, '<'). On the real-dev passports this, with the K/L/C chevron rule in
 * mrz.ts, took fully valid MRZs from 3–4/10 to 9/10, for ~0.2–0.4 s on those images only.
 */
import sharp from 'sharp';
import type { Evidence, OcrReport } from '../policy/decide.js';
import { findEntities } from '../recognizers/registry.js';
import type { Match } from '../recognizers/types.js';
import { keyedHash } from '../util/redact.js';
import { unionBox } from './pool.js';
import type { Box, OcrEngine, OcrLine } from './types.js';

export interface OcrStage {
  run(image: Buffer, signal?: AbortSignal): Promise<OcrReport>;
}

export interface OcrStageOptions {
  /** An engine limited to the MRZ alphabet (pool.ts createMrzPool); absent: no second look. */
  mrzEngine?: OcrEngine;
}

const RANK = { valid: 2, unknown: 1, invalid: 0 } as const;

export function createOcrStage(engine: OcrEngine, hashKey: Buffer, opts: OcrStageOptions = {}): OcrStage {
  return {
    async run(image, signal) {
      const result = await engine.recognize(image, { signal });
      let matches = findEntities(result.lines);
      let ms = result.ms;
      const passes = [...result.passes];
      const zone = opts.mrzEngine && mrzZone(matches, result.lines, result.width, result.height);
      if (zone && opts.mrzEngine) {
        const second = await rereadZone(opts.mrzEngine, image, zone, signal);
        ms += second.ms;
        passes.push('mrz-zone');
        matches = mergeMrz(matches, second.matches);
      }
      const evidence: Evidence[] = matches.map((m) => ({
        recognizer: m.recognizer,
        entity: m.entity,
        validation: m.validation,
        score: m.score,
        explanation: m.explanation,
        details: m.details,
        redacted: m.redacted,
        valueHash: keyedHash(hashKey, m.entity, m.value),
        boxes: m.boxes,
      }));
      return { evidence, words: result.lines.reduce((n, l) => n + l.words.length, 0), ms, passes };
    },
  };
}

/**
 * The region worth a second look: the boxes of MRZ matches that did not validate, else lines
 * with three or more chevron look-alikes (an MRZ the recognizer could not even fit). Undefined
 * when a valid MRZ is already there or nothing MRZ-like was read.
 */
function mrzZone(matches: Match[], lines: OcrLine[], width: number, height: number): Box | undefined {
  const mrz = matches.filter((m) => m.entity === 'mrz');
  if (mrz.some((m) => m.validation === 'valid')) return undefined;
  let boxes = mrz.flatMap((m) => m.boxes);
  if (!boxes.length) boxes = lines.filter((l) => (l.words.map((w) => w.text).join('').match(/[<«‹]/g)?.length ?? 0) >= 3).map((l) => l.box);
  if (!boxes.length) return undefined;
  const u = unionBox(boxes);
  const [x0, y0, x1, y1] = [u.x, u.y, u.x + u.w, u.y + u.h];
  // Margins: a line's height above and below catches a line the first read missed; a little to the sides.
  const mh = (y1 - y0) * 0.25 + 6;
  const mw = (x1 - x0) * 0.04 + 6;
  const x = Math.max(0, Math.floor(x0 - mw));
  const y = Math.max(0, Math.floor(y0 - mh));
  const w = Math.min(width - x, Math.ceil(x1 - x0 + 2 * mw));
  const h = Math.min(height - y, Math.ceil(y1 - y0 + 2 * mh));
  return w > 8 && h > 8 ? { x, y, w, h } : undefined;
}

async function rereadZone(engine: OcrEngine, image: Buffer, zone: Box, signal?: AbortSignal): Promise<{ matches: Match[]; ms: number }> {
  // Boxes are in the EXIF-oriented frame, so the crop is too.
  const crop = await sharp(image, { failOn: 'none' }).rotate().extract({ left: zone.x, top: zone.y, width: zone.w, height: zone.h }).png().toBuffer();
  const r = await engine.recognize(crop, { signal });
  const shift = (b: Box): Box => ({ x: b.x + zone.x, y: b.y + zone.y, w: b.w, h: b.h });
  const lines = r.lines.map((l) => ({ box: shift(l.box), words: l.words.map((w) => ({ ...w, box: shift(w.box) })) }));
  return { matches: findEntities(lines, { only: ['mrz'] }), ms: r.ms };
}

/** Keep the better reading of the MRZ: the second look's when it validates more, else the first's. */
function mergeMrz(first: Match[], second: Match[]): Match[] {
  const best = (ms: Match[]) => ms.filter((m) => m.entity === 'mrz').sort((a, b) => RANK[b.validation] - RANK[a.validation] || b.score - a.score)[0];
  const a = best(first);
  const b = best(second);
  if (!b || (a && (RANK[a.validation] > RANK[b.validation] || (RANK[a.validation] === RANK[b.validation] && a.score >= b.score)))) return first;
  return [...first.filter((m) => m.entity !== 'mrz'), b];
}
