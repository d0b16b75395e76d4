import { Transform, type Readable } from 'node:stream';
import { ItemError } from '../src/util/errors.js';

/** Passes bytes through until more than maxBytes arrive, then fails the stream with `too_large`. */
export function limitStream(src: Readable, maxBytes: number): Readable {
  let seen = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > maxBytes) return cb(new ItemError('too_large', `more than ${maxBytes} bytes`));
      cb(null, chunk);
    },
  });
  src.on('error', (err) => t.destroy(err));
  t.on('close', () => src.destroy());
  return src.pipe(t);
}
