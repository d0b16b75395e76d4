/**
 * Contract-suite fixtures for the cloud connectors (Google Drive, OneDrive), each over its local
 * documented-API server in test/fakes/. Kept apart from the suite so that the suite reads as the
 * contract alone.
 */
import type { ContractFixture } from '../connector-contract.test.js';

export const contractFixtures: ContractFixture[] = [];
