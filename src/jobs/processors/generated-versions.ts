import { z } from 'zod';
import type { BlobStore } from '../../blobs/blob-store.js';
import { citationSchema, policyRefSchema, usageSchema } from '../../governor/answer-schema.js';
import { UpstreamError } from '../../errors.js';
import { keySegment, putBlobJson, readBlobJson, readBlobText } from './blob-io.js';

/**
 * Generated documents as numbered versions in the blob store:
 *   generated/<workspaceId>/<documentId>/v<N>.md    the text, tagged with the job that wrote it
 *   generated/<workspaceId>/<documentId>/v<N>.json  its metadata: citations, model, tokens …
 * The `.json` is written last and marks the version complete.
 */

export const versionMetadataSchema = z.object({
  version: z.number().int().positive(),
  documentId: z.string(),
  jobId: z.string(),
  userId: z.string(),
  createdAt: z.string(),
  characters: z.number().int(),
  /** The document's first `# ` heading (or its first line); absent in versions stored before. */
  title: z.string().optional(),
  agent: z.string().nullable(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  usage: usageSchema,
  citations: z.array(citationSchema),
  policy: policyRefSchema,
  flags: z.array(z.string()),
  traceId: z.string(),
});
export type VersionMetadata = z.infer<typeof versionMetadataSchema>;

const VERSION_FILE = /\/v(\d+)\.md$/;
// Job ids are printable ASCII by construction (queue.ts), so they fit blob metadata as they are.
const JOB_ID_HEADER = 'job-id';
const MAX_WRITE_TRIES = 5;
// Generated text is a model's answer: far below this, which only guards the reader's memory.
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/** A document's title: its first `# ` heading, else its first line, shortened. */
export function titleOf(text: string): string {
  const heading = /^#\s+(.+?)\s*#*\s*$/m.exec(text)?.[1];
  const line = heading ?? text.split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  const plain = line.replace(/\s*\[\d+\]/g, '').trim();
  return plain.length > 120 ? `${plain.slice(0, 119)}…` : plain;
}

export class GeneratedDocuments {
  /** Per-document queues of version writes, so two jobs in this process never pick the same N. */
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(private readonly blobs: BlobStore) {}

  folder(workspaceId: string, documentId: string): string {
    return `generated/${keySegment('workspaceId', workspaceId)}/${keySegment('documentId', documentId)}/`;
  }

  /** The complete version `jobId` wrote, if any: what a redelivered job returns. */
  async versionOf(folder: string, jobId: string): Promise<VersionMetadata | undefined> {
    const own = (await this.versions(folder)).find((entry) => entry.jobId === jobId);
    return (
      own &&
      (await readBlobJson(this.blobs, `${folder}v${own.version}.json`, versionMetadataSchema))
    );
  }

  /**
   * Stores `text` as the next version, or as the version this job began before a crash (its `.md`
   * carries the job id), so retries never add a second version. Across processes the blob store
   * offers no create-if-absent; the write is read back, and a version another writer took in the
   * meantime makes this one move to the next number.
   */
  async write(
    folder: string,
    jobId: string,
    text: string,
    metadata: (version: number) => VersionMetadata,
  ): Promise<VersionMetadata> {
    return this.oneAtATime(folder, async () => {
      for (let tries = 1; ; tries++) {
        const existing = await this.versions(folder);
        const own = existing.find((entry) => entry.jobId === jobId);
        const version = own?.version ?? Math.max(0, ...existing.map((entry) => entry.version)) + 1;
        const key = `${folder}v${version}.md`;
        await this.blobs.put(key, Buffer.from(text), {
          contentType: 'text/markdown; charset=utf-8',
          metadata: { [JOB_ID_HEADER]: jobId },
        });
        const written = await this.blobs.head(key);
        if (written?.metadata[JOB_ID_HEADER] !== jobId) {
          if (tries < MAX_WRITE_TRIES) continue;
          throw new UpstreamError(
            'generated_version_contended',
            `Other writers kept taking the next version of ${folder}; will try again later`,
            { folder },
          );
        }
        const complete = metadata(version);
        await putBlobJson(this.blobs, `${folder}v${version}.json`, complete);
        return complete;
      }
    });
  }

  /** Every complete version's metadata, oldest first (a version still being written is left out). */
  async list(folder: string): Promise<VersionMetadata[]> {
    const listed: VersionMetadata[] = [];
    for (const entry of await this.versions(folder)) {
      const metadata = await readBlobJson(
        this.blobs,
        `${folder}v${entry.version}.json`,
        versionMetadataSchema,
      );
      if (metadata) listed.push(metadata);
    }
    return listed;
  }

  /** One complete version: its text and metadata; undefined when there is no such version. */
  async read(
    folder: string,
    version: number,
  ): Promise<{ text: string; metadata: VersionMetadata } | undefined> {
    const metadata = await readBlobJson(
      this.blobs,
      `${folder}v${version}.json`,
      versionMetadataSchema,
    );
    if (!metadata) return undefined;
    const text = await readBlobText(this.blobs, `${folder}v${version}.md`, MAX_DOCUMENT_BYTES);
    return text === undefined ? undefined : { text, metadata };
  }

  /** Every version in the folder with the job that wrote it, oldest first. */
  private async versions(folder: string): Promise<{ version: number; jobId: string }[]> {
    const found: { version: number; jobId: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.blobs.list(`${folder}v`, cursor ? { cursor } : {});
      for (const item of page.items) {
        const match = VERSION_FILE.exec(item.key);
        if (!match) continue;
        const info = await this.blobs.head(item.key);
        found.push({ version: Number(match[1]), jobId: info?.metadata[JOB_ID_HEADER] ?? '' });
      }
      cursor = page.nextCursor;
    } while (cursor);
    return found.sort((left, right) => left.version - right.version);
  }

  private async oneAtATime<T>(folder: string, work: () => Promise<T>): Promise<T> {
    const previous = this.writing.get(folder) ?? Promise.resolve();
    const current = previous.then(work);
    const settled = current.catch(() => undefined);
    this.writing.set(folder, settled);
    try {
      return await current;
    } finally {
      if (this.writing.get(folder) === settled) this.writing.delete(folder);
    }
  }
}
