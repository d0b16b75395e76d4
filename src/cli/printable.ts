/**
 * Text from the outside world (file names, object keys, platform messages) as it may be printed
 * on a terminal: a name with a newline or escape codes must not forge report lines, clear the
 * screen or retitle the window. JSON output needs none of this (JSON.stringify escapes).
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
