import {
  AbortMultipartUploadCommand,
  type BucketLocationConstraint,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { UpstreamError, ValidationError } from '../errors.js';
import {
  assertValidBlobKey,
  assertValidBlobPrefix,
  type BlobInfo,
  type BlobListOptions,
  type BlobListPage,
  type BlobObject,
  type BlobPutOptions,
  type BlobPutResult,
  type BlobStore,
  decodeBlobCursor,
  DEFAULT_CONTENT_TYPE,
  digestBody,
  encodeBlobCursor,
  resolveListLimit,
  resolvePutOptions,
} from './blob-store.js';

/** Parts of exactly this size (R2 wants equal parts); one part at a time is held in memory. */
const PART_BYTES = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;

export interface S3BlobStoreOptions {
  /**
   * `https://s3.eu-west-1.amazonaws.com`, `http://minio:9000`,
   * `https://<account>.r2.cloudflarestorage.com`.
   */
  endpoint: string;
  bucket: string;
  /** `us-east-1` for MinIO and s3rver, `auto` for R2. */
  region: string;
  /** Both or neither; without them the SDK's default chain (environment, instance role) is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `endpoint/bucket/key` URLs, as MinIO and most self-hosted servers need. */
  forcePathStyle: boolean;
  /** Time to open a connection; default 5 s. */
  connectTimeoutMs?: number;
  /** Time from sending a request (a part included) to the response headers; default 60 s. */
  requestTimeoutMs?: number;
  /** Silence allowed on an open connection, downloads included; default 30 s. */
  idleTimeoutMs?: number;
  /** Attempts per request, retries included (the SDK backs off between them); default 3. */
  maxAttempts?: number;
}

interface SdkError {
  name?: string;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const isMissing = (error: unknown) =>
  ['NoSuchKey', 'NotFound'].includes((error as SdkError)?.name ?? '');

/**
 * Blobs in an S3-compatible bucket: AWS S3, MinIO, Cloudflare R2. Large bodies go up as a
 * multipart upload in 8 MiB parts, aborted if anything fails; small ones in one request.
 *
 * @example
 *   const blobs = new S3BlobStore({ endpoint: 'http://127.0.0.1:9000', bucket: 'keel',
 *     region: 'us-east-1', forcePathStyle: true, accessKeyId, secretAccessKey });
 *   await blobs.ensureBucket();
 */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly region: string;
  private readonly host: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.region = options.region;
    // Only the host goes into messages: an endpoint may carry user:password.
    this.host = new URL(options.endpoint).host;
    const { accessKeyId, secretAccessKey } = options;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
      maxAttempts: options.maxAttempts ?? 3,
      // Since 3.729 the SDK adds CRC checksums to every upload by default, which R2, older MinIO
      // and other S3-compatible servers reject. SigV4 still signs each body's SHA-256.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs ?? 5_000,
        requestTimeout: options.requestTimeoutMs ?? 60_000,
        throwOnRequestTimeout: true,
        socketTimeout: options.idleTimeoutMs ?? 30_000,
      },
    });
  }

  /** Creates the bucket if it does not exist yet (development setups and tests). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (!isMissing(error)) throw this.unavailable('check the bucket', error);
    }
    await this.call('create the bucket', async () => {
      try {
        // AWS wants the region named outside us-east-1; R2's "auto" is not a region to name.
        const elsewhere = !['us-east-1', 'auto'].includes(this.region);
        await this.client.send(
          new CreateBucketCommand({
            Bucket: this.bucket,
            ...(elsewhere && {
              CreateBucketConfiguration: {
                LocationConstraint: this.region as BucketLocationConstraint,
              },
            }),
          }),
        );
      } catch (error) {
        if ((error as SdkError).name !== 'BucketAlreadyOwnedByYou') throw error;
      }
    });
  }

  async put(
    key: string,
    body: Buffer | Readable,
    options?: BlobPutOptions,
  ): Promise<BlobPutResult> {
    assertValidBlobKey(key);
    const { contentType, metadata } = resolvePutOptions(options);
    const digest = digestBody(body);
    const parts = partsOf(digest.chunks)[Symbol.asyncIterator]();
    const first = await parts.next();
    const second = first.done ? first : await parts.next();
    const object = { Bucket: this.bucket, Key: key, ContentType: contentType, Metadata: metadata };
    let etag: string | undefined;
    if (second.done) {
      const whole = first.done ? Buffer.alloc(0) : first.value;
      const response = await this.call('store an object', () =>
        this.client.send(
          new PutObjectCommand({ ...object, Body: whole, ContentLength: whole.length }),
        ),
      );
      etag = response.ETag;
    } else {
      etag = await this.putInParts(object, [first.value, second.value], parts);
    }
    return { key, ...digest.result(), ...(etag ? { etag: stripQuotes(etag) } : {}) };
  }

  async get(key: string): Promise<BlobObject | undefined> {
    assertValidBlobKey(key);
    const response = await this.callOrMissing('read an object', () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    if (!response) return undefined;
    if (!(response.Body instanceof Readable)) {
      throw this.unavailable('read an object', { name: 'NoBodyStream' });
    }
    return { ...this.toInfo(key, response), body: response.Body };
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    assertValidBlobKey(key);
    const response = await this.callOrMissing('read object details', () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    return response && this.toInfo(key, response);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    // S3 answers 204 whether or not the key existed, which makes delete idempotent for free.
    await this.call('delete an object', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  async list(prefix: string, options: BlobListOptions = {}): Promise<BlobListPage> {
    assertValidBlobPrefix(prefix);
    const limit = resolveListLimit(options.limit);
    const after = decodeBlobCursor(options.cursor);
    const response = await this.call('list objects', () =>
      this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix || undefined,
          MaxKeys: limit,
          StartAfter: after,
        }),
      ),
    );
    const items = (response.Contents ?? [])
      .filter((entry) => entry.Key !== undefined)
      .map((entry) => ({
        key: entry.Key!,
        size: entry.Size ?? 0,
        lastModified: entry.LastModified ?? new Date(0),
      }));
    const last = items.at(-1);
    return response.IsTruncated && last
      ? { items, nextCursor: encodeBlobCursor(last.key) }
      : { items };
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async putInParts(
    object: { Bucket: string; Key: string; ContentType: string; Metadata: Record<string, string> },
    firstParts: Buffer[],
    rest: AsyncIterator<Buffer>,
  ): Promise<string | undefined> {
    const { UploadId } = await this.call('start a multipart upload', () =>
      this.client.send(new CreateMultipartUploadCommand(object)),
    );
    if (!UploadId) throw this.unavailable('start a multipart upload', { name: 'NoUploadId' });
    const upload = { Bucket: object.Bucket, Key: object.Key, UploadId };
    const uploaded: { PartNumber: number; ETag: string | undefined }[] = [];
    try {
      const sendPart = async (part: Buffer) => {
        const PartNumber = uploaded.length + 1;
        if (PartNumber > MAX_PARTS) {
          throw new ValidationError('blob_too_large', `A blob may be at most ${MAX_PARTS} × 8 MiB`);
        }
        const { ETag } = await this.call('upload a part', () =>
          this.client.send(
            new UploadPartCommand({
              ...upload,
              PartNumber,
              Body: part,
              ContentLength: part.length,
            }),
          ),
        );
        uploaded.push({ PartNumber, ETag });
      };
      for (const part of firstParts) await sendPart(part);
      for (let next = await rest.next(); !next.done; next = await rest.next())
        await sendPart(next.value);
      const done = await this.call('complete a multipart upload', () =>
        this.client.send(
          new CompleteMultipartUploadCommand({ ...upload, MultipartUpload: { Parts: uploaded } }),
        ),
      );
      return done.ETag;
    } catch (error) {
      // Best effort: a failed abort leaves parts the bucket's lifecycle rule has to expire.
      await this.client.send(new AbortMultipartUploadCommand(upload)).catch(() => undefined);
      await rest.return?.(undefined); // stops reading, and so releases, the caller's stream
      throw error;
    }
  }

  private toInfo(
    key: string,
    response: Pick<
      HeadObjectCommandOutput,
      'ContentLength' | 'ContentType' | 'Metadata' | 'LastModified' | 'ETag'
    >,
  ): BlobInfo {
    return {
      key,
      size: response.ContentLength ?? 0,
      contentType: response.ContentType ?? DEFAULT_CONTENT_TYPE,
      metadata: response.Metadata ?? {},
      lastModified: response.LastModified ?? new Date(0),
      ...(response.ETag ? { etag: stripQuotes(response.ETag) } : {}),
    };
  }

  private async call<Output>(operation: string, run: () => Promise<Output>): Promise<Output> {
    try {
      return await run();
    } catch (error) {
      throw this.unavailable(operation, error);
    }
  }

  private async callOrMissing<Output>(
    operation: string,
    run: () => Promise<Output>,
  ): Promise<Output | undefined> {
    try {
      return await run();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.unavailable(operation, error);
    }
  }

  /**
   * Builds the error from the failure's code and HTTP status only: S3's own messages can quote the
   * access key id (InvalidAccessKeyId, SignatureDoesNotMatch), and they are not for API callers.
   */
  private unavailable(operation: string, error: unknown): UpstreamError {
    const failure = (error ?? {}) as SdkError;
    const status = failure.$metadata?.httpStatusCode;
    const named = [failure.Code, failure.code, failure.name].find(
      (value) => typeof value === 'string',
    );
    const reason =
      typeof named === 'string' && /^[\w.-]{1,64}$/.test(named) ? named : 'unknown error';
    const retryable = status === undefined || status >= 500 || status === 429;
    return new UpstreamError(
      'blob_store_unavailable',
      `Object storage at ${this.host} could not ${operation} (bucket "${this.bucket}"): ${reason}` +
        (status ? `, HTTP ${status}` : ''),
      { operation, bucket: this.bucket, reason, ...(status ? { httpStatus: status } : {}) },
      retryable,
      503,
    );
  }
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

/** Regroups a body's chunks into parts of exactly `PART_BYTES` (the last may be shorter). */
async function* partsOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of chunks) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= PART_BYTES) {
      // One pending buffer is sliced, not copied, so a huge Buffer body is not copied per part.
      const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      yield joined.subarray(0, PART_BYTES);
      const rest = joined.subarray(PART_BYTES);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
