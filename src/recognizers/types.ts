/**
 * Recognizers, in the Presidio style: a pattern finds candidates in OCR lines, a validator
 * answers valid / invalid / unknown, context words raise or lower the score, and the
 * explanation says why — without ever containing the raw value.
 */
import type { Box, OcrLine } from '../ocr/types.js';

export type Validation = 'valid' | 'invalid' | 'unknown';

/** Entity types a recognizer can report. Stored in findings.entity_type. */
export type EntityType = 'payment_card_number' | 'us_ssn' | 'mrz' | 'iban' | 'date_of_birth' | 'date_of_expiry';

export interface Match {
  /** Recognizer id, e.g. 'pan'. */
  recognizer: string;
  entity: EntityType;
  /**
   * The normalised value (digits only for a PAN; for an MRZ its check-digit-protected identity, see mrz.ts mrzIdentity).
   * Lives only in memory: the OCR stage turns it into a redacted form and a keyed hash and drops it.
   * NEVER logged, stored, or put into `explanation` / `details` / `redacted`.
   */
  value: string;
  validation: Validation;
  /** 0..1: pattern strength, OCR confidence and context words together. */
  score: number;
  /** One line for people, e.g. 'Luhn valid; Visa (IIN 4); 16 digits'. Never contains the raw value. */
  explanation: string;
  /** Non-sensitive structured facts (issuer, MRZ format, check digits passed, context words seen). */
  details: Record<string, unknown>;
  /** Redacted form for display and storage, e.g. '**** **** **** 1111'. */
  redacted: string;
  /** Boxes of the words the match came from, in original image pixels. */
  boxes: Box[];
}

export interface Recognizer {
  id: string;
  entity: EntityType;
  find(lines: OcrLine[]): Match[];
}
