import type { UsageSeries } from '../api/types';
import { formatDate, formatNumber } from '../ui/format';

/** How much of each quota is used; the bar turns red past 90 %. */
export function QuotaBars({ quotas }: { quotas: UsageSeries['quotas'] }) {
  if (quotas.length === 0) return <p className="hint">No quotas apply.</p>;
  return (
    <ul className="quotas">
      {quotas.map((quota) => {
        const fraction = quota.limit > 0 ? Math.min(1, quota.used / quota.limit) : 0;
        return (
          <li key={`${quota.name}-${quota.period}`}>
            <div className="quota-label">
              <span>
                {quota.name} ({quota.period})
              </span>
              <span>
                {formatNumber(Math.round(quota.used * 100) / 100)} / {formatNumber(quota.limit)}
              </span>
            </div>
            <div
              className={`progress${fraction >= 0.9 ? ' danger' : ''}`}
              role="progressbar"
              aria-label={`${quota.name} quota (${quota.period})`}
              aria-valuemin={0}
              aria-valuemax={quota.limit}
              aria-valuenow={quota.used}
            >
              <div className="progress-fill" style={{ width: `${fraction * 100}%` }} />
            </div>
            {quota.resetsAt && <span className="hint">resets {formatDate(quota.resetsAt)}</span>}
          </li>
        );
      })}
    </ul>
  );
}
