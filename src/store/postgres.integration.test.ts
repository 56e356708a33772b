import { afterAll, beforeAll } from 'vitest';
import { describeAccountStoreContract } from '../../test/contracts/account-store-contract.js';
import { describeStoreContract } from '../../test/contracts/store-contract.js';
import { type TestDatabase, createTestDatabase } from '../../test/helpers/postgres-database.js';
import { PostgresStore } from './postgres.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

// Each test gets a store on a fresh schema of this file's database: empty, freshly migrated.
const open = async () => PostgresStore.open({ url: await database.freshSchemaUrl(), poolMax: 8 });

describeStoreContract('postgres', open);
describeAccountStoreContract('postgres', open);
