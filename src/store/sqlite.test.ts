import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreContract } from '../../test/contracts/store-contract.js';
import { SqliteStore } from './sqlite.js';

describeStoreContract('sqlite', async () =>
  SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'keel-store-')), 'keel.db')),
);
