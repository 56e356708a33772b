import type { Step } from '../step.js';

/** Refuses messages matching a denied topic of the policy (`input.topics`). */
export const topicRulesStep: Step<string, string> = {
  id: 'topic-rules',
  run(text, call) {
    const hit = call.bundle.topicPatterns.find((topic) => topic.pattern.test(text));
    if (!hit) return { decision: 'allowed', output: text };
    const reason = `topic_denied: ${hit.id}`;
    return {
      decision: 'refused',
      reasons: [reason],
      verdict: { status: 'refused', reasons: [reason] },
      stop: { code: 'topic_denied', message: hit.reason },
    };
  },
};
