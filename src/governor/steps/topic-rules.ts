import type { GovernorStep } from '../step.js';
import { escalate } from '../step.js';

/** Refuses messages matching a denied topic of the policy (`input.topics`). */
export const topicRulesStep: GovernorStep = {
  id: 'topic-rules',
  run(context) {
    const hit = context.bundle.topicPatterns.find((topic) => topic.pattern.test(context.input));
    if (!hit) return { decision: 'allowed' };
    const reason = `topic_denied: ${hit.id}`;
    escalate(context, 'refused', reason);
    return {
      decision: 'refused',
      reasons: [reason],
      stop: { code: 'topic_denied', message: hit.reason },
    };
  },
};
