/**
 * OpenTelemetry instrumentation of decorated calls (optional peer dependency `@opentelemetry/api`).
 *
 * Nothing here imports `@opentelemetry/api` at module load: `detectOpenTelemetry()` loads it with
 * a guarded `require` and answers an `Instrumentation` only when the application has registered a
 * tracer provider or a meter provider (the API's global providers are no-ops until then). Without
 * the package, or without a registered SDK, it answers undefined and the engine builds nothing.
 *
 * Every span, event and metric is written through guards: an SDK or exporter that throws never
 * breaks the call it observes. Attributes carry names, keys, counts and error class names only —
 * never an error message, a prompt or a credential.
 */
import type * as OtelApi from '@opentelemetry/api';
import type { CallInfo, CallInstrumentation, CallOutcome, Instrumentation } from './call-instrumentation';

/** The name of the tracer and of the meter. */
export const OTEL_INSTRUMENTATION_NAME = 'llm-resilience';

/** Span, event, metric and attribute names (a contract: dashboards and alerts use them). */
export const OTEL_NAMES = Object.freeze({
  span: 'llm_resilience.call',
  attemptEvent: 'llm_resilience.attempt',
  backoffEvent: 'llm_resilience.backoff',
  callsCounter: 'llm_resilience.calls',
  retriesCounter: 'llm_resilience.retries',
  backoffHistogram: 'llm_resilience.backoff.duration',
  circuitGauge: 'llm_resilience.circuit.state',
  methodAttribute: 'llm_resilience.method',
  keyAttribute: 'llm_resilience.key',
  attemptsAttribute: 'llm_resilience.attempts',
  outcomeAttribute: 'llm_resilience.outcome',
  failureKindAttribute: 'llm_resilience.failure.kind',
  errorTypeAttribute: 'error.type',
});

export type CircuitStateName = 'closed' | 'open' | 'half_open';

/** One key's circuit, as read by the `llm_resilience.circuit.state` gauge. */
export interface CircuitStateReading {
  key: string;
  state: CircuitStateName;
}

/** The value the `llm_resilience.circuit.state` gauge reports for each state. */
export const CIRCUIT_STATE_VALUES: Readonly<Record<CircuitStateName, number>> = Object.freeze({
  closed: 0,
  half_open: 1,
  open: 2,
});

type OtelModule = typeof OtelApi;

const circuitStateSources = new Set<() => readonly CircuitStateReading[]>();

/**
 * @internal Adds a source the `llm_resilience.circuit.state` gauge reads at each collection
 * (the engine registers its breakers); returns a function that removes it.
 */
export function registerCircuitStateSource(source: () => readonly CircuitStateReading[]): () => void {
  circuitStateSources.add(source);
  return () => {
    circuitStateSources.delete(source);
  };
}

/** `undefined`: not tried yet; `null`: not installed (or failed to load). */
let loadedApi: OtelModule | null | undefined;

function loadApi(): OtelModule | undefined {
  if (loadedApi === undefined) {
    try {
      // A literal, guarded require: bundlers treat it as optional, and nothing is loaded before
      // the first detection.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const candidate = require('@opentelemetry/api') as OtelModule;
      loadedApi =
        candidate !== null &&
        typeof candidate === 'object' &&
        typeof candidate.trace?.getTracerProvider === 'function' &&
        typeof candidate.metrics?.getMeterProvider === 'function'
          ? candidate
          : null;
    } catch {
      loadedApi = null;
    }
  }
  return loadedApi ?? undefined;
}

function constructorName(value: unknown): string | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  try {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The tracer of a registered tracer provider, or undefined when the global provider is the API's
 * default: a `ProxyTracerProvider` with no delegate (its `getDelegate()` answers the
 * `NoopTracerProvider`), or a no-op provider itself.
 */
function registeredTracer(api: OtelModule): OtelApi.Tracer | undefined {
  const provider: unknown = api.trace.getTracerProvider();
  if (provider === null || typeof provider !== 'object') return undefined;
  let delegate: unknown = provider;
  const getDelegate = (provider as { getDelegate?: unknown }).getDelegate;
  if (typeof getDelegate === 'function') {
    delegate = getDelegate.call(provider);
    // A proxy's delegate that is itself a proxy (two API copies): look one level further.
    const nested = (delegate as { getDelegate?: unknown } | null)?.getDelegate;
    if (typeof nested === 'function') delegate = nested.call(delegate);
  }
  if (delegate === null || typeof delegate !== 'object') return undefined;
  if (constructorName(delegate) === 'NoopTracerProvider') return undefined;
  if (typeof (delegate as { getTracer?: unknown }).getTracer !== 'function') return undefined;
  const tracer = api.trace.getTracer(OTEL_INSTRUMENTATION_NAME);
  if (tracer === null || typeof tracer !== 'object' || typeof tracer.startSpan !== 'function') return undefined;
  if (constructorName(tracer) === 'NoopTracer') return undefined;
  return tracer;
}

/**
 * The meter of a registered meter provider, or undefined when the global provider is the API's
 * `NoopMeterProvider` (recognised by its class name or by the meter it hands out being the API's
 * shared no-op meter).
 */
function registeredMeter(api: OtelModule): OtelApi.Meter | undefined {
  const provider: unknown = api.metrics.getMeterProvider();
  if (provider === null || typeof provider !== 'object') return undefined;
  if (constructorName(provider) === 'NoopMeterProvider') return undefined;
  if (typeof (provider as { getMeter?: unknown }).getMeter !== 'function') return undefined;
  const meter = api.metrics.getMeter(OTEL_INSTRUMENTATION_NAME);
  if (meter === null || typeof meter !== 'object' || typeof meter.createCounter !== 'function') return undefined;
  if (constructorName(meter) === 'NoopMeter') return undefined;
  try {
    if (typeof api.createNoopMeter === 'function' && meter === api.createNoopMeter()) return undefined;
  } catch {
    // An API without a shared no-op meter: the checks above decided.
  }
  return meter;
}

interface Metrics {
  calls: OtelApi.Counter;
  retries: OtelApi.Counter;
  backoff: OtelApi.Histogram;
}

function createMetrics(meter: OtelApi.Meter): Metrics {
  return {
    calls: meter.createCounter(OTEL_NAMES.callsCounter, {
      description: 'Logical calls made through llm-resilience, by outcome.',
      unit: '{call}',
    }),
    retries: meter.createCounter(OTEL_NAMES.retriesCounter, {
      description: 'Retries scheduled by llm-resilience (one per backoff).',
      unit: '{retry}',
    }),
    backoff: meter.createHistogram(OTEL_NAMES.backoffHistogram, {
      description: 'Time llm-resilience waited before a retry.',
      unit: 'ms',
      advice: {
        explicitBucketBoundaries: [0, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000],
      },
    }),
  };
}

/** The gauge (and its callback) of the latest detection, removed when a new detection replaces it. */
let circuitGauge: { gauge: OtelApi.ObservableGauge; callback: OtelApi.ObservableCallback } | undefined;

function circuitStateValue(state: unknown): number | undefined {
  switch (state) {
    case 'closed':
      return CIRCUIT_STATE_VALUES.closed;
    case 'half_open':
      return CIRCUIT_STATE_VALUES.half_open;
    case 'open':
      return CIRCUIT_STATE_VALUES.open;
    default:
      return undefined;
  }
}

function observeCircuitStates(result: OtelApi.ObservableResult): void {
  for (const source of circuitStateSources) observeSource(result, source);
}

function observeSource(result: OtelApi.ObservableResult, source: () => readonly CircuitStateReading[]): void {
  let readings: unknown;
  try {
    readings = source();
  } catch {
    return;
  }
  if (!Array.isArray(readings)) return;
  for (const reading of readings as readonly unknown[]) {
    try {
      if (reading === null || typeof reading !== 'object') continue;
      const { key, state } = reading as { key?: unknown; state?: unknown };
      const value = circuitStateValue(state);
      if (value === undefined || typeof key !== 'string') continue;
      result.observe(value, { [OTEL_NAMES.keyAttribute]: key });
    } catch {
      // One bad reading must not hide the others.
    }
  }
}

function replaceCircuitGauge(meter: OtelApi.Meter | undefined): void {
  if (circuitGauge !== undefined) {
    try {
      circuitGauge.gauge.removeCallback(circuitGauge.callback);
    } catch {
      // The previous SDK may be gone.
    }
    circuitGauge = undefined;
  }
  if (meter === undefined || typeof meter.createObservableGauge !== 'function') return;
  const gauge = meter.createObservableGauge(OTEL_NAMES.circuitGauge, {
    description: 'Circuit breaker state per upstream key: 0 closed, 1 half_open, 2 open.',
    unit: '{state}',
  });
  const callback: OtelApi.ObservableCallback = (result) => observeCircuitStates(result);
  gauge.addCallback(callback);
  circuitGauge = { gauge, callback };
}

class OpenTelemetryCall implements CallInstrumentation {
  private ended = false;

  constructor(
    private readonly api: OtelModule,
    private readonly span: OtelApi.Span | undefined,
    private readonly metrics: Metrics | undefined,
    private readonly key: string,
  ) {}

  attempt(attempt: number): void {
    if (this.ended || this.span === undefined) return;
    try {
      this.span.addEvent(OTEL_NAMES.attemptEvent, { attempt });
    } catch {
      // Instrumentation must never break a call.
    }
  }

  backoff(attempt: number, delayMs: number, source: 'backoff' | 'retry-after'): void {
    if (this.ended) return;
    if (this.span !== undefined) {
      try {
        this.span.addEvent(OTEL_NAMES.backoffEvent, { attempt, delay_ms: delayMs, source });
      } catch {
        // Instrumentation must never break a call.
      }
    }
    if (this.metrics !== undefined) {
      const attributes = { [OTEL_NAMES.keyAttribute]: this.key, source };
      try {
        this.metrics.retries.add(1, attributes);
      } catch {
        // Instrumentation must never break a call.
      }
      try {
        if (Number.isFinite(delayMs) && delayMs >= 0) this.metrics.backoff.record(delayMs, attributes);
      } catch {
        // Instrumentation must never break a call.
      }
    }
  }

  end(outcome: CallOutcome, attempts: number, failure?: { kind: string; errorType: string }): void {
    if (this.ended) return;
    this.ended = true;
    if (this.metrics !== undefined) {
      try {
        this.metrics.calls.add(1, { outcome, [OTEL_NAMES.keyAttribute]: this.key });
      } catch {
        // Instrumentation must never break a call.
      }
    }
    const span = this.span;
    if (span === undefined) return;
    try {
      span.setAttribute(OTEL_NAMES.attemptsAttribute, attempts);
      span.setAttribute(OTEL_NAMES.outcomeAttribute, outcome);
      if (failure !== undefined) {
        span.setAttribute(OTEL_NAMES.errorTypeAttribute, failure.errorType);
        span.setAttribute(OTEL_NAMES.failureKindAttribute, failure.kind);
        // The kind is a fixed vocabulary (`rate_limit`, `server`, ...): never the error's message.
        span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: failure.kind });
      } else {
        span.setStatus({ code: this.api.SpanStatusCode.OK });
      }
    } catch {
      // Instrumentation must never break a call.
    }
    try {
      span.end();
    } catch {
      // Instrumentation must never break a call.
    }
  }
}

const NOOP_CALL: CallInstrumentation = Object.freeze({
  attempt: () => undefined,
  backoff: () => undefined,
  end: () => undefined,
});

function startAttributes(info: CallInfo): OtelApi.Attributes {
  const attributes: OtelApi.Attributes = {};
  if (info.attributes !== undefined && info.attributes !== null && typeof info.attributes === 'object') {
    for (const [name, value] of Object.entries(info.attributes)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        attributes[name] = value;
      }
    }
  }
  // The library's own attributes win over same-named extras.
  attributes[OTEL_NAMES.methodAttribute] = info.method;
  attributes[OTEL_NAMES.keyAttribute] = info.key;
  return attributes;
}

class OpenTelemetryInstrumentation implements Instrumentation {
  constructor(
    private readonly api: OtelModule,
    private readonly tracer: OtelApi.Tracer | undefined,
    private readonly metrics: Metrics | undefined,
  ) {}

  startCall(info: CallInfo): CallInstrumentation {
    try {
      let span: OtelApi.Span | undefined;
      if (this.tracer !== undefined) {
        try {
          span = this.tracer.startSpan(OTEL_NAMES.span, { attributes: startAttributes(info) });
        } catch {
          span = undefined;
        }
      }
      if (span === undefined && this.metrics === undefined) return NOOP_CALL;
      return new OpenTelemetryCall(this.api, span, this.metrics, String(info.key));
    } catch {
      return NOOP_CALL;
    }
  }
}

/**
 * An `Instrumentation` writing to OpenTelemetry, or undefined when `@opentelemetry/api` is not
 * installed or neither a tracer provider nor a meter provider is registered. The tracer, the meter
 * and its instruments are created here, once per detection; a later detection replaces the circuit
 * state gauge's callback of the previous one.
 */
export function detectOpenTelemetry(): Instrumentation | undefined {
  const api = loadApi();
  if (api === undefined) return undefined;
  let tracer: OtelApi.Tracer | undefined;
  let meter: OtelApi.Meter | undefined;
  let metrics: Metrics | undefined;
  try {
    tracer = registeredTracer(api);
  } catch {
    tracer = undefined;
  }
  try {
    meter = registeredMeter(api);
    if (meter !== undefined) metrics = createMetrics(meter);
  } catch {
    meter = undefined;
    metrics = undefined;
  }
  try {
    replaceCircuitGauge(metrics === undefined ? undefined : meter);
  } catch {
    circuitGauge = undefined;
  }
  if (tracer === undefined && metrics === undefined) return undefined;
  return new OpenTelemetryInstrumentation(api, tracer, metrics);
}
