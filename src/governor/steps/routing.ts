import { ValidationError } from '../../errors.js';
import type { Agent } from '../policy-bundle.js';
import type { Step } from '../step.js';

function ruleScore(agent: Agent, text: string): number {
  const lowered = text.toLowerCase();
  const keywordHits = agent.routing.keywords.filter((keyword) =>
    new RegExp(`\\b${keyword.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'u').test(
      lowered,
    ),
  ).length;
  const patternHits = agent.patternsCompiled.filter((pattern) => pattern.test(text)).length;
  return keywordHits + 2 * patternHits;
}

/**
 * Picks the agent for the (checked) text: the one asked for, else the best rule match, else the
 * default.
 */
export const routingStep: Step<string, Agent> = {
  id: 'routing',
  run(text, call) {
    const { agents, defaultAgent } = call.bundle;
    const asked = call.request.agent;
    if (asked) {
      const agent = agents.find((candidate) => candidate.id === asked);
      if (!agent) {
        throw new ValidationError(
          'unknown_agent',
          `No agent "${asked}" in policy ${call.bundle.version}`,
          {
            agent: asked,
            available: agents.map((candidate) => candidate.id),
          },
        );
      }
      return { decision: agent.id, reasons: ['explicit'], output: agent };
    }
    let best: { agent: Agent; score: number } = { agent: defaultAgent, score: 0 };
    for (const agent of agents) {
      const score = ruleScore(agent, text);
      if (score > best.score) best = { agent, score };
    }
    return {
      decision: best.agent.id,
      reasons: [best.score > 0 ? `rule match (${best.score})` : 'default'],
      output: best.agent,
    };
  },
};
