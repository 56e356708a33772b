import type { DecisionStatus } from './answer-schema.js';
import type { ChatRequestInput, GovernedAnswer, InputCheck } from './governor.js';

export interface AnswerOptions {
  traceId?: string;
  workspaceId?: string;
  /** Who asked, for the audit record (`user:<email>`, `api-key:<id>`, `local`). */
  actor?: string;
  /** The person asking (never an API key): their long-term memories may inform the answer. */
  userId?: string;
  /** Streaming: answer text that has passed output validation, sentence by sentence. */
  onDelta?: (text: string) => void;
  /** Streaming: the output policy refused the answer; no more text follows. */
  onRefusal?: (decision: { status: DecisionStatus; reasons: string[] }) => void;
  signal?: AbortSignal;
}

/**
 * What the API needs of the orchestrator: governed answers and input checks. In one process the
 * Governor itself; in server mode the orchestrator client, which calls it over signed HTTP.
 */
export interface Answerer {
  answer(request: ChatRequestInput, options?: AnswerOptions): Promise<GovernedAnswer>;
  check(text: string): Promise<InputCheck>;
}
