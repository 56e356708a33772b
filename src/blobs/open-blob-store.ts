import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { BlobStore } from './blob-store.js';
import { LocalBlobStore } from './blob-store-local.js';
import { S3BlobStore } from './blob-store-s3.js';

export interface OpenBlobStoreOptions {
  /** Create the S3 bucket when it is missing (development and tests); ignored for the folder. */
  createBucket?: boolean;
}

/**
 * The blob store the configuration asks for: the S3-compatible bucket when `S3_ENDPOINT` is set,
 * otherwise the folder `KEEL_DATA_DIR/blobs`.
 *
 * @example
 *   const blobs = await openBlobStore(config, { createBucket: config.profile === 'development' });
 *   await blobs.put(`backups/${stamp}.tar.gz`, archiveStream, { contentType: 'application/gzip' });
 */
export async function openBlobStore(
  config: Pick<Config, 'blobs' | 'dataDir'>,
  options: OpenBlobStoreOptions = {},
): Promise<BlobStore> {
  const s3 = config.blobs.s3;
  if (!s3) return new LocalBlobStore(join(config.dataDir, 'blobs'));
  const store = new S3BlobStore(s3);
  if (options.createBucket) {
    try {
      await store.ensureBucket();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}
