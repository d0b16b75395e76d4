/**
 * Reads a cloud connector's credentials file: a small JSON file (a service-account key is ~2 KB).
 * Anything above 1 MiB is refused before it is read, so a wrong path (a disk image, a log) costs
 * nothing. Messages name the file, never its content.
 */
import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../src/util/errors.js';

export const MAX_CREDENTIALS_BYTES = 1024 * 1024;

/** The parsed JSON of `path`; `what` names the kind of credentials for messages ("Google", "OneDrive"). */
export async function readCredentialsJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new UserError(`The ${what} credentials file ${path} is a directory: give the path of the JSON file.`);
    if (st.size > MAX_CREDENTIALS_BYTES) throw new UserError(`The ${what} credentials file ${path} is ${st.size} bytes, far too big for credentials: check the path.`);
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot read the ${what} credentials file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'read error')}. Check the path.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    // Never echo the parser's message: it can quote the file's content.
    throw new UserError(`The ${what} credentials file ${path} is not valid JSON.`);
  }
}
