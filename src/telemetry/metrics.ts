import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process; `/metrics` serves `registry`. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'keel_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'keel_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'keel_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    governorDecisions: new Counter({
      name: 'keel_governor_decisions_total',
      help: 'Governed calls by final decision',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    syncRuns: new Counter({
      name: 'keel_kb_sync_total',
      help: 'Knowledge source syncs by outcome',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
