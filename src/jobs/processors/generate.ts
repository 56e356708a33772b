import type { BlobStore } from '../../blobs/blob-store.js';
import { PolicyRefusalError, UpstreamError } from '../../errors.js';
import type { Answerer } from '../../governor/answerer.js';
import type { Citation } from '../../governor/answer-schema.js';
import { governedCall, jobCaller } from '../../limits/governed-call.js';
import type { QuotaService } from '../../limits/quotas.js';
import type { JobProcessor, JobProgressReport } from '../queue.js';
import { GeneratedDocuments, type VersionMetadata, titleOf } from './generated-versions.js';

export interface GenerateDependencies {
  /** The governor (or the orchestrator client): policies apply to generated content too. */
  answers: Answerer;
  /** The job's user and workspace quotas: reserved before the model call, settled with its usage. */
  quotas: QuotaService;
  blobs: BlobStore;
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?: () => number;
  /** The least time between two progress reports while text streams in; default 500 ms. */
  progressIntervalMs?: number;
}

export interface GenerateResult {
  blobKey: string;
  version: number;
  characters: number;
  citations: Citation[];
}

const resultOf = (folder: string, metadata: VersionMetadata): GenerateResult => ({
  blobKey: `${folder}v${metadata.version}.md`,
  version: metadata.version,
  characters: metadata.characters,
  citations: metadata.citations,
});

/**
 * A stream's length is unknown until it ends, so progress rises towards 0.9 as text arrives
 * (half-way at ~4,000 characters, a long answer) and the last step is storing the version.
 */
function streamingProgress(characters: number): JobProgressReport {
  return {
    progress: 0.05 + 0.85 * (1 - 2 ** (-characters / 4_000)),
    message: `${characters} characters generated`,
  };
}

/**
 * Long content generation (AI-Writer): one governed answer for the job's prompt, streamed so the
 * job reports progress as text arrives, stored as the next version of the document
 * (`generated/<workspace>/<documentId or job id>/v<N>.md` plus `v<N>.json` with citations, model
 * and tokens). The job's user and workspace quotas are reserved and billed like a chat call (see
 * `governedCall`). A refusal by policy or an exhausted quota fails the job for good (neither is
 * retryable); a retried or redelivered job returns
 * the version it already stored instead of generating and numbering another. Cancelling aborts
 * the provider call and stores nothing.
 *
 * @example
 *   const generate = createGenerateProcessor({ answers: keel.answers, quotas: keel.quotas, blobs: keel.blobs });
 *   await jobs.enqueue('generate', { workspaceId, userId, prompt, documentId: 'release-notes' });
 */
export function createGenerateProcessor(
  dependencies: GenerateDependencies,
): JobProcessor<'generate'> {
  const documents = new GeneratedDocuments(dependencies.blobs);
  const now = dependencies.now ?? Date.now;
  const interval = dependencies.progressIntervalMs ?? 500;
  return async ({ id, payload, signal, report }) => {
    const documentId = payload.documentId ?? id;
    const folder = documents.folder(payload.workspaceId, documentId);
    const stored = await documents.versionOf(folder, id);
    if (stored) return resultOf(folder, stored);

    // Reports are chained, so they land in order, and never fail the generation.
    let reported = Promise.resolve();
    const send = (progress: JobProgressReport) => {
      reported = reported.then(() => report(progress)).catch(() => undefined);
    };
    send({ progress: 0.02, message: 'Generating' });
    let characters = 0;
    let lastReport = 0;
    const answer = await governedCall(
      dependencies,
      jobCaller(payload),
      { message: payload.prompt, ...(payload.agent && { agent: payload.agent }) },
      {
        traceId: id,
        signal,
        onDelta: (text) => {
          characters += text.length;
          if (Date.now() - lastReport < interval) return;
          lastReport = Date.now();
          send(streamingProgress(characters));
        },
      },
    );
    await reported;
    signal.throwIfAborted();
    if (answer.decision.status === 'refused') {
      throw new PolicyRefusalError(
        'generation_refused',
        `The output policy refused the generated text: ${answer.decision.reasons.join('; ') || 'no reason given'}`,
        { decision: answer.decision, policy: answer.policy, traceId: answer.traceId },
      );
    }
    if (answer.answer.trim() === '') {
      throw new UpstreamError('generation_empty', 'The model returned no text', {
        provider: answer.provider,
      });
    }

    await report({ progress: 0.92, message: `Storing ${answer.answer.length} characters` });
    const metadata = await documents.write(folder, id, answer.answer, (version) => ({
      version,
      documentId,
      jobId: id,
      userId: payload.userId,
      createdAt: new Date(now()).toISOString(),
      characters: answer.answer.length,
      title: titleOf(answer.answer),
      agent: answer.agent,
      provider: answer.provider,
      model: answer.model,
      usage: answer.usage,
      citations: answer.citations,
      policy: answer.policy,
      flags: answer.flags,
      traceId: answer.traceId,
    }));
    return resultOf(folder, metadata) satisfies GenerateResult;
  };
}
