/**
 * Debug logging (pino) on stderr. Quiet unless --verbose; user-facing lines are written by
 * the CLI itself. Never pass credentials, raw sensitive values or image bytes to the logger:
 * the redact paths are a second line of defence, not the first.
 */
import pino from 'pino';

export const logger = pino(
  {
    level: process.env.CASB_LOG_LEVEL ?? 'warn',
    base: undefined,
    redact: {
      paths: ['*.password', '*.secretAccessKey', '*.sessionToken', '*.authorization', '*.Authorization', '*.credentials', 'err.config'],
      censor: '[redacted]',
    },
  },
  pino.destination(2),
);

export function setVerbose(on: boolean): void {
  if (on) logger.level = 'debug';
}

/** The pipeline's debug hook: a message plus, with --verbose, the error and its stack. */
export function debugHook(msg: string, err?: unknown): void {
  if (!logger.isLevelEnabled('debug')) return;
  logger.debug(err ? { err } : {}, msg);
}
