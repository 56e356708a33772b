import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';

/**
 * OpenTelemetry traces, configured only by the standard `OTEL_*` variables and off unless they
 * ask for it. Code everywhere uses the light `@opentelemetry/api`; with no SDK started its spans
 * are no-ops, so tracing costs nothing when off. The SDK itself is imported only when on.
 *
 * Span attributes carry names, counts, versions and outcomes — never message text, prompts,
 * answers or secrets.
 */
export const tracer = trace.getTracer('keel');

/** Whether the environment asks for traces: an OTLP endpoint or a traces exporter, and not disabled. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export interface Tracing {
  /** Sends the spans still buffered and stops; call it before the process exits. */
  shutdown(): Promise<void>;
}

const NO_TRACING: Tracing = { shutdown: async () => undefined };

/**
 * Starts the OpenTelemetry SDK when the environment asks for traces (see `tracingRequested`):
 * exporter, endpoint, protocol, sampler, propagators and batching all come from `OTEL_*`
 * variables. `service` names the process (`keel-api`, …) unless `OTEL_SERVICE_NAME` does.
 * Keel's metrics stay on Prometheus `/metrics` and its logs on stdout, so the SDK exports traces only.
 *
 * @example
 *   const tracing = await startTracing('keel-orchestrator');
 *   process.once('SIGTERM', () => void tracing.shutdown());
 */
export async function startTracing(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Tracing> {
  if (!tracingRequested(env)) return NO_TRACING;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    ...(!env.OTEL_SERVICE_NAME && { serviceName: service }),
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown().catch(() => undefined) };
}

/**
 * Runs `work` inside a new active span (a child of the active one) and ends it: an error sets the
 * span's status and is rethrown. `attributes` may be set on the span inside `work` as well.
 *
 * @example
 *   const hits = await inSpan('kb.search', { 'keel.search.k': 8 }, () => search(query));
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; parent?: Context } = {},
): Promise<T> {
  return tracer.startActiveSpan(
    name,
    { attributes, kind: options.kind ?? SpanKind.INTERNAL },
    options.parent ?? context.active(),
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Marks a span failed with the error's code (or class), never its message text. */
export function failSpan(span: Span, error: unknown): void {
  const code = (error as { code?: unknown }).code;
  const type = typeof code === 'string' ? code : ((error as Error)?.name ?? 'Error');
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** The active trace context as carrier fields (`traceparent`, `tracestate`); empty when off. */
export function traceCarrier(from: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return carrier;
}

/** The context a carrier (HTTP headers, a job's trace fields) names, on top of the active one. */
export function contextFrom(carrier: Record<string, unknown>): Context {
  return propagation.extract(context.active(), carrier, {
    get: (fields, key) => {
      const value = fields[key];
      return typeof value === 'string' ? value : undefined;
    },
    keys: (fields) => Object.keys(fields),
  });
}

export { SpanKind, context, trace };
