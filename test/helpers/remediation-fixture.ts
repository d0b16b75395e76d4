/**
 * What the remediation contract suite (test/remediation-contract.test.ts) needs from each
 * connector's fixture: one source holding one flagged object with a known set of grants, a
 * connector over it, and the platform's own view of that object read *around* the connector
 * (the fake server's state, a raw S3 client, the file system), so that the suite checks what
 * really changed, not what the connector says changed.
 */
import type { Connector, ObjectRef } from '../../connectors/contract.js';

export interface PlatformView {
  /** The original object is at its original place. */
  atOrigin: boolean;
  /** How many quarantined copies of it exist (0 or 1 after a successful quarantine; never 2). */
  quarantinedCopies: number;
  /** The grants on the object (wherever it is now), as `who` strings (same spelling as Grant.who), sorted. */
  grants: string[];
  /** casb tags/properties on the object wherever it is now (`casb-*` keys only). */
  tags: Record<string, string>;
}

export interface RemediationSource {
  /** A fresh connector each call (nothing cached between phases). */
  connector(): Connector;
  /** The flagged object, as the connector listed it (externalId, etag, extra ...). */
  ref: ObjectRef;
  /** What this platform can do; the suite skips (and says so) the cases it cannot. */
  supports: { revokePublic: boolean; revokeExternal: boolean; tag: boolean; quarantine: boolean };
  /** Where quarantine puts things for this fixture (QuarantineTarget.to), if not the connector default. */
  quarantineTo?: string;
  /** The platform's view, read without the connector under test. */
  view(): Promise<PlatformView>;
  /**
   * Make the next delete of the original object fail once (S3: the DeleteObject after a quarantine
   * copy). Only fixtures whose quarantine is copy-then-delete have it.
   */
  failNextOriginalDelete?(): void;
  close(): Promise<void>;
}

export interface RemediationFixture {
  name: string;
  /** Why this fixture cannot run here (then its cases are skipped and say so). */
  unavailable?: () => Promise<string | undefined>;
  /**
   * One object with, where the platform supports them: a public grant (anyone / AllUsers /
   * anonymous link), an external grant (a user at another domain), and an internal grant (a user
   * of the organisation), plus the owner.
   */
  create(): Promise<RemediationSource>;
}
