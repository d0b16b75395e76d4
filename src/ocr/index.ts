/** The OCR engine: image preparation (prepare.ts) and the tesseract.js worker pool (pool.ts). */
export type { Box, OcrEngine, OcrLine, OcrResult, OcrWord } from './types.js';
export {
  OCR_PIXEL_LIMIT,
  PREPARE_DEFAULTS,
  chooseScale,
  mapBox,
  prepareForOcr,
  type Geometry,
  type Prepared,
  type PreparedImage,
  type PrepareOptions,
} from './prepare.js';
export { createOcrPool, defaultLangPath, readingOrder, type OcrPool, type OcrPoolOptions, type OcrPoolStats, type OcrRecognizeOptions, type Psm } from './pool.js';
