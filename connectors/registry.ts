/**
 * name → connector factory, and a source string → the connector that serves it.
 * `s3://…` → s3; `gdrive://…` → gdrive; `onedrive://…` → onedrive; `file://…` or a plain path → local.
 * Factories are loaded lazily so a local scan never loads the AWS, Google or Microsoft SDKs.
 */
import type { Connector, ConnectorFactory, ConnectorOptions } from './contract.js';
import { UserError } from '../src/util/errors.js';

const factories = new Map<string, () => Promise<ConnectorFactory>>([
  ['local', async () => (await import('./local/index.js')).createLocalConnector],
  ['s3', async () => (await import('./s3/index.js')).createS3Connector],
  ['gdrive', async () => (await import('./gdrive/index.js')).createGdriveConnector],
  ['onedrive', async () => (await import('./onedrive/index.js')).createOnedriveConnector],
]);

/** Lets a plugin add itself (or a test replace one). */
export function registerConnector(kind: string, load: () => Promise<ConnectorFactory>): void {
  factories.set(kind, load);
}

export function connectorKinds(): string[] {
  return [...factories.keys()];
}

export function kindOf(source: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source);
  if (!m) return 'local';
  const scheme = m[1]!.toLowerCase();
  return scheme === 'file' ? 'local' : scheme;
}

export async function openConnector(source: string, opts: ConnectorOptions = {}): Promise<Connector> {
  const kind = kindOf(source);
  const load = factories.get(kind);
  if (!load) {
    throw new UserError(`unknown source type '${kind}://' in '${source}'. Supported: a folder path, ${[...factories.keys()].filter((k) => k !== 'local').map((k) => `${k}://`).join(', ')}.`);
  }
  return (await load())(source, opts);
}
