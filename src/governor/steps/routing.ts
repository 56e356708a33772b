import { ValidationError } from '../../errors.js';
import type { Agent } from '../policy-bundle.js';
import type { GovernorStep } from '../step.js';

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

/** Picks the agent: the one asked for, else the best rule match, else the default. */
export const routingStep: GovernorStep = {
  id: 'routing',
  run(context) {
    const { agents, defaultAgent } = context.bundle;
    if (context.request.agent) {
      const agent = agents.find((candidate) => candidate.id === context.request.agent);
      if (!agent) {
        throw new ValidationError(
          'unknown_agent',
          `No agent "${context.request.agent}" in policy ${context.bundle.version}`,
          {
            agent: context.request.agent,
            available: agents.map((candidate) => candidate.id),
          },
        );
      }
      context.agent = agent;
      return { decision: agent.id, reasons: ['explicit'] };
    }
    let best: { agent: Agent; score: number } = { agent: defaultAgent, score: 0 };
    for (const agent of agents) {
      const score = ruleScore(agent, context.input);
      if (score > best.score) best = { agent, score };
    }
    context.agent = best.agent;
    return {
      decision: best.agent.id,
      reasons: [best.score > 0 ? `rule match (${best.score})` : 'default'],
    };
  },
};
