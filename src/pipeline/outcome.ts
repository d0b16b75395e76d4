/**
 * Every listed item ends with exactly one outcome: `scanned`, `skipped:<reason>` or `failed:<reason>`.
 */
export type Outcome = 'scanned' | `skipped:${string}` | `failed:${string}`;

export const skipped = (reason: string): Outcome => `skipped:${reason}`;
export const failed = (reason: string): Outcome => `failed:${reason}`;

/**
 * Reasons found only while fetching that still mean "not scanned on purpose" rather than an
 * error: an archived object (e.g. an Intelligent-Tiering archive tier the listing did not show),
 * a body larger than the cap, or an object deleted between listing and download.
 */
export const SKIP_REASONS = new Set(['archived', 'too_large', 'not_found']);

/**
 * Outcomes that a rescan of unchanged content would only repeat; items ending so are skipped
 * as `unchanged` next time. Other failures (network, throttling, access) are retried next scan.
 */
export function isFinal(outcome: string): boolean {
  // too_large and excluded depend on this run's settings (--max-bytes, --max-pixels, the policy), not on the content: decided again each scan
  if (outcome === 'skipped:too_large' || outcome === 'skipped:excluded') return false;
  // an item that was gone (deleted, or vanished before its download) and is listed again is new content as far as we know
  if (outcome === 'skipped:gone' || outcome === 'skipped:not_found') return false;
  if (outcome === 'scanned' || outcome.startsWith('skipped:')) return true;
  return ['failed:corrupt', 'failed:too_large', 'failed:unsupported'].includes(outcome);
}

/** Tallies outcomes for the run summary. */
export class OutcomeCounter {
  listed = 0;
  scanned = 0;
  downloaded = 0;
  findings = 0;
  readonly skipped: Record<string, number> = {};
  readonly failed: Record<string, number> = {};
  readonly findingsByLabel: Record<string, number> = {};

  add(outcome: Outcome): void {
    if (outcome === 'scanned') this.scanned++;
    else {
      const [kind, reason] = splitOutcome(outcome);
      const bucket = kind === 'skipped' ? this.skipped : this.failed;
      bucket[reason] = (bucket[reason] ?? 0) + 1;
    }
  }

  get done(): number {
    return this.scanned + sum(this.skipped) + sum(this.failed);
  }
}

export function splitOutcome(o: string): [string, string] {
  const i = o.indexOf(':');
  return i < 0 ? [o, ''] : [o.slice(0, i), o.slice(i + 1)];
}

export const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
