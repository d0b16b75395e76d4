/** OcrLine fixtures for the recognizer tests: text lines → words with fake, distinct boxes. */
import assert from 'node:assert/strict';
import type { Box, OcrLine } from '../../src/ocr/types.js';
import type { Match } from '../../src/recognizers/types.js';

const CHAR_W = 10;
const LINE_H = 30;

/**
 * One OcrLine per text; words split on spaces. A word's box is x = 10 px per character
 * offset, y = 30 px per line, so every word of a fixture has its own box.
 */
export function ocrLines(texts: readonly string[], conf = 90): OcrLine[] {
  return texts.map((text, li) => {
    const words = [];
    const re = /\S+/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      words.push({ text: m[0], conf, box: { x: m.index * CHAR_W, y: li * LINE_H, w: m[0].length * CHAR_W, h: 20 } });
    }
    const x0 = Math.min(...words.map((w) => w.box.x), 0);
    const x1 = Math.max(...words.map((w) => w.box.x + w.box.w), 0);
    return { words, box: { x: x0, y: li * LINE_H, w: x1 - x0, h: 20 } };
  });
}

/** The boxes of the given words (line index, word indexes) of a fixture. */
export function boxesOf(lines: OcrLine[], line: number, words: readonly number[]): Box[] {
  const l = lines[line];
  assert.ok(l, `no line ${line}`);
  return words.map((i) => {
    const w = l.words[i];
    assert.ok(w, `no word ${i} on line ${line}`);
    return w.box;
  });
}

/** Every box of the given lines, in order. */
export function boxesOfLines(lines: OcrLine[], which: readonly number[]): Box[] {
  return which.flatMap((i) => (lines[i]?.words ?? []).map((w) => w.box));
}

/**
 * The raw value must never leak into what is displayed or stored: scan explanation, details
 * and redacted (as JSON) for each secret (a digit string, a document number, a date).
 * Secrets are compared with separators removed as well, so "4111 1111 …" is caught too.
 */
export function assertNoLeak(m: Match, secrets: readonly string[]): void {
  const shown = JSON.stringify({ explanation: m.explanation, details: m.details, redacted: m.redacted });
  const squashed = shown.replace(/[\s\-.*•]/g, '');
  for (const s of secrets) {
    if (s.length < 5) throw new Error(`secret too short to check meaningfully: ${s.length} chars`);
    const plain = s.replace(/[\s\-.]/g, '');
    assert.ok(!shown.includes(s), `raw value leaked into ${m.recognizer} output`);
    assert.ok(!squashed.includes(plain), `raw value (separators removed) leaked into ${m.recognizer} output`);
  }
}
