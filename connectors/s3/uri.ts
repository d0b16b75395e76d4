/**
 * `s3://bucket[/prefix]` parsing and validation.
 *
 * The prefix is an S3 key prefix, used exactly as given (S3 semantics, not folder
 * semantics): `s3://b/photos` also matches `photos-old/x.jpg`; write `s3://b/photos/`
 * for one folder. It is not percent-decoded: S3 keys are raw strings.
 */
import { UserError } from '../../src/util/errors.js';

export interface S3Location {
  bucket: string;
  /** Key prefix, '' for the whole bucket. */
  prefix: string;
  /** Canonical URI: `s3://bucket` or `s3://bucket/prefix`. */
  uri: string;
}

/**
 * Returns why `name` is not a valid bucket name under AWS's general-purpose bucket
 * rules, or undefined when it is.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `must be 3 to 63 characters long (it has ${name.length})`;
  if (!/^[a-z0-9.-]+$/.test(name)) return 'may only contain lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'must begin and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'must not look like an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) return 'must not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)';
  if (/(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return 'must not end with a reserved suffix';
  return undefined;
}

/** The URI as it may appear inside a one-line message. */
function shown(uri: string): string {
  const flat = uri.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

export function isS3Uri(uri: string): boolean {
  return /^s3:\/\//i.test(uri);
}

/** Parses `s3://bucket[/prefix]`; throws a one-line UserError when it is not one. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(uri);
  if (!m) {
    throw new UserError(`Not an S3 URI: "${shown(uri)}". Write it as s3://bucket or s3://bucket/prefix.`);
  }
  const bucket = m[1] ?? '';
  const prefix = m[2] ?? '';
  if (!bucket) {
    throw new UserError(`S3 URI "${shown(uri)}" has no bucket name. Write it as s3://bucket or s3://bucket/prefix.`);
  }
  const problem = bucketNameProblem(bucket);
  if (problem) {
    throw new UserError(`Invalid S3 bucket name "${shown(bucket)}" in "${shown(uri)}": a bucket name ${problem}.`);
  }
  if (/[\r\n\0]/.test(prefix)) {
    throw new UserError(`Invalid S3 prefix in "${shown(uri)}": it contains a line break or NUL character.`);
  }
  if (Buffer.byteLength(prefix, 'utf8') > 1024) {
    throw new UserError(`Invalid S3 prefix in "${shown(uri)}": S3 keys (and so prefixes) are at most 1024 bytes.`);
  }
  return { bucket, prefix, uri: prefix ? `s3://${bucket}/${prefix}` : `s3://${bucket}` };
}

/** Display path of one object, for people: `s3://bucket/key`. */
export function objectPath(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
