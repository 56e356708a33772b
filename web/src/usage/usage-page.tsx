import { useState } from 'react';
import { api } from '../api/client';
import type { UsageSeries } from '../api/types';
import { atLeast, useSession } from '../auth/session';
import { formatNumber, formatUsd } from '../ui/format';
import { Async, Empty } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { LineChart } from './line-chart';
import { QuotaBars } from './quota-bars';

type Scope = 'me' | 'workspace' | 'all';

/** Tokens and cost over time, per user or workspace, and the quotas that apply. */
export function UsagePage() {
  const { me } = useSession();
  const [scope, setScope] = useState<Scope>('me');
  const [groupBy, setGroupBy] = useState<'user' | 'workspace'>('user');
  const [days, setDays] = useState(30);
  const [span, setSpan] = useState<{ from: string; to: string }>();
  const usage = useResource(
    (signal) => {
      const to = new Date();
      const from = new Date(to.getTime() - days * 86_400_000);
      // The charts' time axis is the period asked for, not just the buckets that have usage.
      setSpan({ from: from.toISOString(), to: to.toISOString() });
      return api<UsageSeries>('/v1/usage/series', {
        query: { scope, groupBy, bucket: days <= 2 ? 'hour' : 'day', from: from.toISOString() },
        signal,
      });
    },
    [scope, groupBy, days],
  );

  return (
    <div className="page">
      <h2>Usage</h2>
      <div className="toolbar">
        <label>
          Scope{' '}
          <select value={scope} onChange={(event) => setScope(event.target.value as Scope)}>
            <option value="me">Me</option>
            {atLeast(me, 'manager') && <option value="workspace">My workspace</option>}
            {atLeast(me, 'admin') && <option value="all">Everything</option>}
          </select>
        </label>
        <label>
          Per{' '}
          <select
            value={groupBy}
            onChange={(event) => setGroupBy(event.target.value as 'user' | 'workspace')}
          >
            <option value="user">user</option>
            <option value="workspace">workspace</option>
          </select>
        </label>
        <label>
          Period{' '}
          <select value={days} onChange={(event) => setDays(Number(event.target.value))}>
            <option value={1}>24 hours</option>
            <option value={7}>7 days</option>
            <option value={30}>30 days</option>
            <option value={90}>90 days</option>
          </select>
        </label>
      </div>
      <Async resource={usage} label="Loading usage…">
        {(data) => {
          const points = data.series.flatMap((line) => line.points);
          const tokens = points.reduce(
            (sum, point) => sum + point.promptTokens + point.completionTokens,
            0,
          );
          const cost = points.reduce((sum, point) => sum + point.costUsd, 0);
          return (
            <>
              <section className="card" aria-label="Quotas">
                <h3>Quotas</h3>
                <QuotaBars quotas={data.quotas} />
              </section>
              {points.length === 0 ? (
                <Empty>No usage in this period.</Empty>
              ) : (
                <section className="card">
                  <p className="totals">
                    <strong>{formatNumber(tokens)}</strong> tokens ·{' '}
                    <strong>{formatUsd(cost)}</strong>
                  </p>
                  <LineChart
                    title={`Tokens per ${data.bucket}`}
                    {...(span && { span })}
                    format={(value) => formatNumber(Math.round(value))}
                    series={data.series.map((line) => ({
                      label: line.label,
                      points: line.points.map((point) => ({
                        at: point.at,
                        value: point.promptTokens + point.completionTokens,
                      })),
                    }))}
                  />
                  <LineChart
                    title={`Cost per ${data.bucket} (USD)`}
                    {...(span && { span })}
                    format={formatUsd}
                    series={data.series.map((line) => ({
                      label: line.label,
                      points: line.points.map((point) => ({ at: point.at, value: point.costUsd })),
                    }))}
                  />
                </section>
              )}
            </>
          );
        }}
      </Async>
    </div>
  );
}
