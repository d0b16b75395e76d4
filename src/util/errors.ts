/**
 * Errors meant for a person: one line saying what failed, on which item, and what to do.
 * The CLI prints `message` alone (plus the stack with --verbose) and exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** A failure with a short machine reason, recorded as `failed:<reason>` on an item. */
export class ItemError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ItemError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
