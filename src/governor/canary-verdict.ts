import type { VersionOutcomes } from '../store/canary-store.js';
import type { CanarySettings } from './policy-schema.js';

/** One version's figures over the canary's window, as rates. */
export interface VersionFigures {
  version: string;
  calls: number;
  refusalRate: number;
  errorRate: number;
  groundingFailureRate: number;
  latencyP95Ms: number | null;
}

export interface CanaryVerdict {
  decision: 'rollback' | 'promote' | 'continue';
  /** Why, one sentence each, with the figures: the audit record of the step carries them. */
  reasons: string[];
}

export interface CanaryComparison {
  canary: VersionFigures;
  active: VersionFigures;
  settings: CanarySettings;
  elapsedSeconds: number;
  verdict: CanaryVerdict;
}

const rate = (count: number, calls: number) => (calls === 0 ? 0 : count / calls);
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

export function figuresOf(version: string, outcomes: VersionOutcomes | undefined): VersionFigures {
  const calls = outcomes?.calls ?? 0;
  return {
    version,
    calls,
    refusalRate: rate(outcomes?.refused ?? 0, calls),
    errorRate: rate(outcomes?.errors ?? 0, calls),
    groundingFailureRate: rate(outcomes?.groundingFailures ?? 0, calls),
    latencyP95Ms: outcomes?.latencyP95Ms ?? null,
  };
}

/** The thresholds the canary crossed, each as a sentence with both versions' figures. */
function crossings(
  canary: VersionFigures,
  active: VersionFigures,
  settings: CanarySettings,
): string[] {
  const rates = [
    ['refusal rate', 'refusalRate', settings.maxRefusalRateIncrease],
    ['error rate', 'errorRate', settings.maxErrorRateIncrease],
    ['grounding failure rate', 'groundingFailureRate', settings.maxGroundingFailureRateIncrease],
  ] as const;
  const crossed = rates
    .filter(([, key, max]) => canary[key] - active[key] > max)
    .map(
      ([name, key, max]) =>
        `${name} ${percent(canary[key])} against ${percent(active[key])} (at most +${percent(max)})`,
    );
  const [slow, fast] = [canary.latencyP95Ms, active.latencyP95Ms];
  // Without calls of the active version there is no latency to compare with.
  if (
    slow !== null &&
    fast !== null &&
    slow > fast * settings.maxLatencyP95Ratio &&
    slow - fast > settings.minLatencyIncreaseMs
  ) {
    crossed.push(
      `latency p95 ${slow} ms against ${fast} ms (at most ×${settings.maxLatencyP95Ratio} or +${settings.minLatencyIncreaseMs} ms)`,
    );
  }
  return crossed;
}

/**
 * Rolls back as soon as the canary has `minCalls` calls and crosses a threshold; promotes once
 * the window has passed with enough calls and no crossing; otherwise waits.
 *
 * @example
 *   judgeCanary(figuresOf(v2, outcomes[v2]), figuresOf(v1, outcomes[v1]), settings, 600)
 *   // → { decision: 'rollback', reasons: ['refusal rate 40.0% against 0.0% (at most +5.0%)'] }
 */
export function judgeCanary(
  canary: VersionFigures,
  active: VersionFigures,
  settings: CanarySettings,
  elapsedSeconds: number,
): CanaryVerdict {
  if (canary.calls < settings.minCalls) {
    return {
      decision: 'continue',
      reasons: [`${canary.calls} of ${settings.minCalls} canary calls needed before judging`],
    };
  }
  const crossed = crossings(canary, active, settings);
  if (crossed.length > 0) return { decision: 'rollback', reasons: crossed };
  if (elapsedSeconds < settings.windowSeconds) {
    return {
      decision: 'continue',
      reasons: [
        `no threshold crossed; ${settings.windowSeconds - elapsedSeconds} s of the window left`,
      ],
    };
  }
  return {
    decision: 'promote',
    reasons: [
      `no threshold crossed in ${settings.windowSeconds} s over ${canary.calls} canary calls`,
    ],
  };
}

/** Both versions' figures as `name: value` lines for the audit record. */
export function describeComparison(comparison: CanaryComparison): string[] {
  const line = (label: string, figures: VersionFigures) =>
    `${label} ${figures.version}: ${figures.calls} calls, refusals ${percent(figures.refusalRate)}, errors ${percent(figures.errorRate)}, grounding failures ${percent(figures.groundingFailureRate)}, latency p95 ${figures.latencyP95Ms ?? '-'} ms`;
  return [
    line('canary', comparison.canary),
    line('active', comparison.active),
    `elapsed: ${comparison.elapsedSeconds} s of ${comparison.settings.windowSeconds} s, min calls ${comparison.settings.minCalls}`,
  ];
}
