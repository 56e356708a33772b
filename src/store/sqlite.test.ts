import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAccountStoreContract } from '../../test/contracts/account-store-contract.js';
import { describeStoreContract } from '../../test/contracts/store-contract.js';
import { SqliteStore } from './sqlite.js';

describeStoreContract('sqlite', async () =>
  SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'keel-store-')), 'keel.db')),
);

describeAccountStoreContract('sqlite', async () =>
  SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'keel-accounts-')), 'keel.db')),
);
