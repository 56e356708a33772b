import type { Decision } from '../api/schemas';

const LABELS = {
  redacted: 'Redacted by the governor',
  refused: 'Refused by the governor',
} as const;

/** The governor's decision, shown whenever it changed or stopped the exchange, with its reasons. */
export function DecisionBanner({
  decision,
  flags = [],
}: {
  decision: Decision | null;
  flags?: string[];
}) {
  if (!decision || decision.status === 'allowed') {
    if (flags.length === 0) return null;
    return (
      <div className="decision decision-flags" role="note" aria-label="Governor warnings">
        <strong>Warnings</strong>
        <ul>
          {flags.map((flag) => (
            <li key={flag}>{flag}</li>
          ))}
        </ul>
      </div>
    );
  }
  return (
    <div
      className={`decision decision-${decision.status}`}
      role="note"
      aria-label={LABELS[decision.status]}
    >
      <strong>{LABELS[decision.status]}</strong>
      {decision.reasons.length > 0 && (
        <ul>
          {decision.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
      {flags.length > 0 && <p className="hint">Warnings: {flags.join('; ')}</p>}
    </div>
  );
}
