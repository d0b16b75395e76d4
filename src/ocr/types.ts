/**
 * What the OCR engine hands to the recognizers: words with confidence and a box in the
 * ORIGINAL image's pixel coordinates (prepare.ts maps them back from the resized copy),
 * grouped into lines in reading order.
 */

/** Axis-aligned box in original image pixels. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface OcrWord {
  text: string;
  /** Tesseract word confidence, 0..100. */
  conf: number;
  box: Box;
}

export interface OcrLine {
  words: OcrWord[];
  /** Union of the word boxes. */
  box: Box;
}

export interface OcrResult {
  lines: OcrLine[];
  /** Original image size (the coordinate space of every box). */
  width: number;
  height: number;
  /** Wall time of recognition, for timings. */
  ms: number;
  /** Which prepared variants were read (e.g. 'full', 'rot90'), for the explanation. */
  passes: string[];
}

/** The OCR engine the pipeline uses (pool.ts implements it with tesseract.js workers). */
export interface OcrEngine {
  /** OCR an encoded image (any format sharp decodes). Rejects with ItemError('ocr_timeout' | 'corrupt' | ...). */
  recognize(image: Buffer, opts?: { signal?: AbortSignal }): Promise<OcrResult>;
  close(): Promise<void>;
}
