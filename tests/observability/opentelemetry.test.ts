import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import {
  context,
  Context,
  ContextManager,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { MeterProvider as ApiMeterProvider, TracerProvider as ApiTracerProvider } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  DataPoint,
  DataPointType,
  Histogram,
  MeterProvider,
  MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { Retry, configureResilience, resetResilience } from '../../src';
import { Instrumentation, setInstrumentation } from '../../src/observability/call-instrumentation';
import {
  CIRCUIT_STATE_VALUES,
  detectOpenTelemetry,
  OTEL_NAMES,
  registerCircuitStateSource,
} from '../../src/observability/opentelemetry';
import { isTransient, TransientError } from '../support/errors';

/** A pull reader: `collect()` on demand, nothing periodic. */
class TestMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** A synchronous context manager (an application would register the async-hooks one). */
class StackContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;
  active(): Context {
    return this.current;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const previous = this.current;
    this.current = ctx;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }
  bind<T>(_context: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}

let spanExporter: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider | undefined;
let reader: TestMetricReader;
let meterProvider: MeterProvider | undefined;
const unregister: Array<() => void> = [];

function registerTracing(): void {
  spanExporter = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  trace.setGlobalTracerProvider(tracerProvider);
}

function registerMetrics(): void {
  reader = new TestMetricReader();
  meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
}

afterEach(async () => {
  for (const remove of unregister.splice(0)) remove();
  setInstrumentation(undefined);
  trace.disable();
  metrics.disable();
  context.disable();
  await tracerProvider?.shutdown();
  await meterProvider?.shutdown();
  tracerProvider = undefined;
  meterProvider = undefined;
});

function detect(): Instrumentation {
  const instrumentation = detectOpenTelemetry();
  if (instrumentation === undefined) throw new Error('expected OpenTelemetry to be detected');
  return instrumentation;
}

/** The metrics of the `llm-resilience` meter, by name. */
async function collectMetrics(): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  const byName = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics) {
    if (scope.scope.name !== 'llm-resilience') continue;
    for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
  }
  return byName;
}

function points<T>(metric: MetricData | undefined): Array<{ attributes: Record<string, unknown>; value: T }> {
  if (metric === undefined) return [];
  return (metric.dataPoints as Array<DataPoint<T>>).map((point) => ({
    attributes: { ...point.attributes },
    value: point.value,
  }));
}

const byAttributes = (a: { attributes: Record<string, unknown> }, b: { attributes: Record<string, unknown> }) =>
  JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes));

const finishedSpans = (): ReadableSpan[] => spanExporter.getFinishedSpans();

const KEY = 'openai|https://api.openai.com/v1|gpt-4o';
const CALL_INFO = {
  method: 'ChatAgent.complete',
  key: KEY,
  attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' },
};

describe('detection', () => {
  test('no provider registered: undefined (the API default providers are no-ops)', () => {
    expect(detectOpenTelemetry()).toBeUndefined();
  });

  test('disabled again after registration: undefined', () => {
    registerTracing();
    registerMetrics();
    trace.disable();
    metrics.disable();
    expect(detectOpenTelemetry()).toBeUndefined();
  });

  test('a tracer provider alone is enough (spans, no metrics)', () => {
    registerTracing();
    const call = detect().startCall(CALL_INFO);
    call.attempt(1);
    call.backoff(1, 100, 'backoff');
    call.end('successful_with_retry', 2);
    expect(finishedSpans()).toHaveLength(1);
  });

  test('a meter provider alone is enough (metrics, no spans)', async () => {
    registerMetrics();
    const call = detect().startCall(CALL_INFO);
    call.attempt(1);
    call.end('successful_without_retry', 1);
    const collected = await collectMetrics();
    expect(points<number>(collected.get('llm_resilience.calls'))).toEqual([
      { attributes: { outcome: 'successful_without_retry', 'llm_resilience.key': KEY }, value: 1 },
    ]);
  });

  test('@opentelemetry/api not installed: undefined, without throwing', () => {
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
      });

      const isolated =
        require('../../src/observability/opentelemetry') as typeof import('../../src/observability/opentelemetry');
      expect(isolated.detectOpenTelemetry()).toBeUndefined();
      expect(isolated.detectOpenTelemetry()).toBeUndefined();
    });
    jest.dontMock('@opentelemetry/api');
  });

  test('requiring the module does not load @opentelemetry/api; the first detection does', () => {
    let loads = 0;
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        loads++;
        return jest.requireActual('@opentelemetry/api');
      });

      const isolated =
        require('../../src/observability/opentelemetry') as typeof import('../../src/observability/opentelemetry');
      expect(loads).toBe(0);
      isolated.detectOpenTelemetry();
      expect(loads).toBe(1);
      isolated.detectOpenTelemetry();
      expect(loads).toBe(1);
    });
    jest.dontMock('@opentelemetry/api');
  });

  test('in a plain Node process, require.cache holds no @opentelemetry module until detection', () => {
    const root = path.resolve(__dirname, '../..');
    const script = `
      const fs = require('node:fs');
      const ts = require('typescript');
      require.extensions['.ts'] = (module, filename) => {
        const source = fs.readFileSync(filename, 'utf8');
        const output = ts.transpileModule(source, {
          fileName: filename,
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText;
        module._compile(output, filename);
      };
      const loaded = () => Object.keys(require.cache).filter((file) => file.includes('@opentelemetry')).length;
      const otel = require(${JSON.stringify(path.join(root, 'src/observability/opentelemetry.ts'))});
      const afterRequire = loaded();
      const detected = otel.detectOpenTelemetry();
      process.stdout.write(JSON.stringify({ afterRequire, afterDetect: loaded(), detected: detected !== undefined }));
    `;
    const output = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ afterRequire: 0, afterDetect: expect.any(Number), detected: false });
    expect(JSON.parse(output).afterDetect).toBeGreaterThan(0);
  });

  test('the tracer, the meter and the instruments are created once per detection, not per call', () => {
    registerTracing();
    registerMetrics();
    const getTracer = jest.spyOn(tracerProvider!, 'getTracer');
    const created: string[] = [];
    const originalGetMeter = meterProvider!.getMeter.bind(meterProvider);
    const getMeter = jest.spyOn(meterProvider!, 'getMeter').mockImplementation((...args) => {
      const meter = originalGetMeter(...args);
      for (const method of ['createCounter', 'createHistogram', 'createObservableGauge'] as const) {
        const original = meter[method].bind(meter) as (...a: unknown[]) => never;
        jest.spyOn(meter, method).mockImplementation(((...a: unknown[]) => {
          created.push(String(a[0]));
          return original(...a);
        }) as never);
      }
      return meter;
    });
    const instrumentation = detect();
    expect(getTracer).toHaveBeenCalledTimes(1);
    expect(getMeter).toHaveBeenCalledTimes(1);
    expect(created.sort()).toEqual([
      'llm_resilience.backoff.duration',
      'llm_resilience.calls',
      'llm_resilience.circuit.state',
      'llm_resilience.retries',
    ]);
    for (let index = 0; index < 5; index++) {
      const call = instrumentation.startCall(CALL_INFO);
      call.attempt(1);
      call.backoff(1, 10, 'backoff');
      call.attempt(2);
      call.end('successful_with_retry', 2);
    }
    expect(getTracer).toHaveBeenCalledTimes(1);
    expect(getMeter).toHaveBeenCalledTimes(1);
    expect(created).toHaveLength(4);
    expect(finishedSpans()).toHaveLength(5);
  });
});

describe('spans and metrics with the OpenTelemetry SDK', () => {
  beforeEach(() => {
    registerTracing();
    registerMetrics();
  });

  test('a call that succeeds at once: one span with its attributes, an attempt event, status OK', async () => {
    const call = detect().startCall(CALL_INFO);
    call.attempt(1);
    expect(finishedSpans()).toHaveLength(0); // the span ends with the call
    call.end('successful_without_retry', 1);

    const spans = finishedSpans();
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span.name).toBe('llm_resilience.call');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.instrumentationScope.name).toBe('llm-resilience');
    expect(span.attributes).toEqual({
      'llm_resilience.method': 'ChatAgent.complete',
      'llm_resilience.key': KEY,
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'llm_resilience.attempts': 1,
      'llm_resilience.outcome': 'successful_without_retry',
    });
    expect(span.events.map((event) => [event.name, event.attributes])).toEqual([
      ['llm_resilience.attempt', { attempt: 1 }],
    ]);
    expect(span.status).toEqual({ code: SpanStatusCode.OK });

    const collected = await collectMetrics();
    expect(points<number>(collected.get('llm_resilience.calls'))).toEqual([
      { attributes: { outcome: 'successful_without_retry', 'llm_resilience.key': KEY }, value: 1 },
    ]);
    expect(points(collected.get('llm_resilience.retries'))).toEqual([]);
    expect(points(collected.get('llm_resilience.backoff.duration'))).toEqual([]);
  });

  test('a call that succeeds after 2 retries: attempt and backoff events, retries counted, backoffs timed', async () => {
    const call = detect().startCall(CALL_INFO);
    call.attempt(1);
    call.backoff(1, 500, 'backoff');
    call.attempt(2);
    call.backoff(2, 1500, 'retry-after');
    call.attempt(3);
    call.end('successful_with_retry', 3);

    const [span] = finishedSpans();
    expect(span.attributes['llm_resilience.attempts']).toBe(3);
    expect(span.attributes['llm_resilience.outcome']).toBe('successful_with_retry');
    expect(span.status).toEqual({ code: SpanStatusCode.OK });
    expect(span.events.map((event) => [event.name, event.attributes])).toEqual([
      ['llm_resilience.attempt', { attempt: 1 }],
      ['llm_resilience.backoff', { attempt: 1, delay_ms: 500, source: 'backoff' }],
      ['llm_resilience.attempt', { attempt: 2 }],
      ['llm_resilience.backoff', { attempt: 2, delay_ms: 1500, source: 'retry-after' }],
      ['llm_resilience.attempt', { attempt: 3 }],
    ]);

    const collected = await collectMetrics();
    expect(points<number>(collected.get('llm_resilience.calls'))).toEqual([
      { attributes: { outcome: 'successful_with_retry', 'llm_resilience.key': KEY }, value: 1 },
    ]);
    const retries = collected.get('llm_resilience.retries')!;
    expect(retries.dataPointType).toBe(DataPointType.SUM);
    expect(points<number>(retries).sort(byAttributes)).toEqual([
      { attributes: { 'llm_resilience.key': KEY, source: 'backoff' }, value: 1 },
      { attributes: { 'llm_resilience.key': KEY, source: 'retry-after' }, value: 1 },
    ]);
    const histogram = collected.get('llm_resilience.backoff.duration')!;
    expect(histogram.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(histogram.descriptor.unit).toBe('ms');
    const backoffs = points<Histogram>(histogram).sort(byAttributes);
    expect(backoffs.map((point) => [point.attributes, point.value.count, point.value.sum])).toEqual([
      [{ 'llm_resilience.key': KEY, source: 'backoff' }, 1, 500],
      [{ 'llm_resilience.key': KEY, source: 'retry-after' }, 1, 1500],
    ]);
  });

  test('a failed call: status ERROR, error.type is the class name, no message anywhere', async () => {
    const call = detect().startCall(CALL_INFO);
    call.attempt(1);
    call.backoff(1, 250, 'backoff');
    call.attempt(2);
    call.end('failed_with_retry', 2, { kind: 'server', errorType: 'InternalServerError' });

    const [span] = finishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'server' });
    expect(span.attributes).toMatchObject({
      'llm_resilience.attempts': 2,
      'llm_resilience.outcome': 'failed_with_retry',
      'error.type': 'InternalServerError',
      'llm_resilience.failure.kind': 'server',
    });
    // No exception event (it would carry the message).
    expect(span.events.map((event) => event.name)).toEqual([
      'llm_resilience.attempt',
      'llm_resilience.backoff',
      'llm_resilience.attempt',
    ]);

    const collected = await collectMetrics();
    expect(points<number>(collected.get('llm_resilience.calls'))).toEqual([
      { attributes: { outcome: 'failed_with_retry', 'llm_resilience.key': KEY }, value: 1 },
    ]);
    expect(points<number>(collected.get('llm_resilience.retries'))).toEqual([
      { attributes: { 'llm_resilience.key': KEY, source: 'backoff' }, value: 1 },
    ]);
  });

  test('the calls counter separates the four outcomes and the keys', async () => {
    const instrumentation = detect();
    const run = (
      key: string,
      outcome: Parameters<ReturnType<Instrumentation['startCall']>['end']>[0],
      attempts: number,
    ) => {
      const call = instrumentation.startCall({ method: 'A.b', key });
      for (let attempt = 1; attempt <= attempts; attempt++) {
        call.attempt(attempt);
        if (attempt < attempts) call.backoff(attempt, 100, 'backoff');
      }
      const failed = outcome.startsWith('failed');
      call.end(outcome, attempts, failed ? { kind: 'rate_limit', errorType: 'RateLimitError' } : undefined);
    };
    run('k1', 'successful_without_retry', 1);
    run('k1', 'successful_without_retry', 1);
    run('k1', 'successful_with_retry', 2);
    run('k1', 'failed_without_retry', 1);
    run('k1', 'failed_with_retry', 3);
    run('k2', 'successful_without_retry', 1);

    const collected = await collectMetrics();
    expect(points<number>(collected.get('llm_resilience.calls')).sort(byAttributes)).toEqual(
      [
        { attributes: { outcome: 'successful_without_retry', 'llm_resilience.key': 'k1' }, value: 2 },
        { attributes: { outcome: 'successful_with_retry', 'llm_resilience.key': 'k1' }, value: 1 },
        { attributes: { outcome: 'failed_without_retry', 'llm_resilience.key': 'k1' }, value: 1 },
        { attributes: { outcome: 'failed_with_retry', 'llm_resilience.key': 'k1' }, value: 1 },
        { attributes: { outcome: 'successful_without_retry', 'llm_resilience.key': 'k2' }, value: 1 },
      ].sort(byAttributes),
    );
    expect(points<number>(collected.get('llm_resilience.retries'))).toEqual([
      { attributes: { 'llm_resilience.key': 'k1', source: 'backoff' }, value: 3 },
    ]);
    expect(finishedSpans().map((span) => span.status.code)).toEqual([
      SpanStatusCode.OK,
      SpanStatusCode.OK,
      SpanStatusCode.OK,
      SpanStatusCode.ERROR,
      SpanStatusCode.ERROR,
      SpanStatusCode.OK,
    ]);
  });

  test('end is recorded once; events after the end are ignored', async () => {
    const call = detect().startCall(CALL_INFO);
    call.attempt(1);
    call.end('successful_without_retry', 1);
    call.end('failed_without_retry', 1, { kind: 'server', errorType: 'Error' });
    call.attempt(2);
    call.backoff(2, 10, 'backoff');
    expect(finishedSpans()).toHaveLength(1);
    expect(finishedSpans()[0].events).toHaveLength(1);
    const collected = await collectMetrics();
    expect(points<number>(collected.get('llm_resilience.calls'))).toEqual([
      { attributes: { outcome: 'successful_without_retry', 'llm_resilience.key': KEY }, value: 1 },
    ]);
    expect(points(collected.get('llm_resilience.retries'))).toEqual([]);
  });

  test("the span is a child of the caller's active span", () => {
    context.setGlobalContextManager(new StackContextManager());
    const parent = trace.getTracer('app').startSpan('request');
    const instrumentation = detect();
    const call = context.with(trace.setSpan(context.active(), parent), () => instrumentation.startCall(CALL_INFO));
    call.end('successful_without_retry', 1);
    parent.end();
    const child = finishedSpans().find((span) => span.name === 'llm_resilience.call')!;
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  test('extra attributes cannot override the library attributes; non-primitive values are dropped', () => {
    const call = detect().startCall({
      method: 'A.b',
      key: 'k',
      attributes: {
        'llm_resilience.key': 'spoofed',
        'gen_ai.request.max_tokens': 100,
        'x.flag': true,
        'x.object': { nested: 1 } as unknown as string,
      },
    });
    call.end('successful_without_retry', 1);
    const [span] = finishedSpans();
    expect(span.attributes).toEqual({
      'llm_resilience.method': 'A.b',
      'llm_resilience.key': 'k',
      'gen_ai.request.max_tokens': 100,
      'x.flag': true,
      'llm_resilience.attempts': 1,
      'llm_resilience.outcome': 'successful_without_retry',
    });
  });
});

describe('circuit state gauge', () => {
  beforeEach(() => registerMetrics());

  test('reads the registered source at each collection: 0 closed, 1 half_open, 2 open, per key', async () => {
    let states: Array<{ key: string; state: 'closed' | 'open' | 'half_open' }> = [
      { key: 'a', state: 'closed' },
      { key: 'b', state: 'half_open' },
      { key: 'c', state: 'open' },
    ];
    unregister.push(registerCircuitStateSource(() => states));
    detect();

    let gauge = (await collectMetrics()).get('llm_resilience.circuit.state')!;
    expect(gauge.dataPointType).toBe(DataPointType.GAUGE);
    expect(points<number>(gauge).sort(byAttributes)).toEqual([
      { attributes: { 'llm_resilience.key': 'a' }, value: 0 },
      { attributes: { 'llm_resilience.key': 'b' }, value: 1 },
      { attributes: { 'llm_resilience.key': 'c' }, value: 2 },
    ]);
    expect(CIRCUIT_STATE_VALUES).toEqual({ closed: 0, half_open: 1, open: 2 });

    states = [
      { key: 'a', state: 'open' },
      { key: 'b', state: 'closed' },
      { key: 'c', state: 'closed' },
    ];
    gauge = (await collectMetrics()).get('llm_resilience.circuit.state')!;
    expect(points<number>(gauge).sort(byAttributes)).toEqual([
      { attributes: { 'llm_resilience.key': 'a' }, value: 2 },
      { attributes: { 'llm_resilience.key': 'b' }, value: 0 },
      { attributes: { 'llm_resilience.key': 'c' }, value: 0 },
    ]);
  });

  test('a source registered after detection is read too', async () => {
    detect();
    expect(points((await collectMetrics()).get('llm_resilience.circuit.state'))).toEqual([]);
    unregister.push(registerCircuitStateSource(() => [{ key: 'late', state: 'open' }]));
    expect(points<number>((await collectMetrics()).get('llm_resilience.circuit.state'))).toEqual([
      { attributes: { 'llm_resilience.key': 'late' }, value: 2 },
    ]);
  });

  test('a source that throws or answers garbage breaks neither the collection nor the other metrics', async () => {
    unregister.push(
      registerCircuitStateSource(() => {
        throw new Error('boom');
      }),
    );
    const call = detect().startCall(CALL_INFO);
    call.end('successful_without_retry', 1);
    const collected = await collectMetrics();
    expect(points(collected.get('llm_resilience.circuit.state'))).toEqual([]);
    expect(points<number>(collected.get('llm_resilience.calls'))).toHaveLength(1);

    unregister.push(
      registerCircuitStateSource(
        () =>
          [
            { key: 'ok', state: 'open' },
            { key: 'bad', state: 'melted' },
            { key: 'proto', state: 'toString' },
            { state: 'open' },
            null,
          ] as unknown as Array<{ key: string; state: 'open' }>,
      ),
    );
    expect(points<number>((await collectMetrics()).get('llm_resilience.circuit.state'))).toEqual([
      { attributes: { 'llm_resilience.key': 'ok' }, value: 2 },
    ]);
  });

  test('a second detection replaces the gauge callback of the first (the source is read once per collection)', async () => {
    const source = jest.fn(() => [{ key: 'a', state: 'closed' as const }]);
    unregister.push(registerCircuitStateSource(source));
    detect();
    detect();
    await collectMetrics();
    expect(source).toHaveBeenCalledTimes(1);
  });

  test('the unregister function removes only its own source', async () => {
    const removeFirst = registerCircuitStateSource(() => [{ key: 'first', state: 'open' }]);
    unregister.push(registerCircuitStateSource(() => [{ key: 'second', state: 'open' }]));
    removeFirst();
    detect();
    expect(points<number>((await collectMetrics()).get('llm_resilience.circuit.state'))).toEqual([
      { attributes: { 'llm_resilience.key': 'second' }, value: 2 },
    ]);
  });
});

describe('a broken SDK never breaks a call', () => {
  const thrower = () => {
    throw new Error('sdk failure');
  };

  test('a tracer whose spans throw on every method', () => {
    const brokenSpan = {
      addEvent: thrower,
      setAttribute: thrower,
      setAttributes: thrower,
      setStatus: thrower,
      end: thrower,
      isRecording: () => true,
      spanContext: thrower,
      recordException: thrower,
      updateName: thrower,
      addLink: thrower,
      addLinks: thrower,
    };
    const provider = { getTracer: () => ({ startSpan: () => brokenSpan, startActiveSpan: thrower }) };
    trace.setGlobalTracerProvider(provider as unknown as ApiTracerProvider);
    const call = detect().startCall(CALL_INFO);
    expect(() => {
      call.attempt(1);
      call.backoff(1, 10, 'backoff');
      call.end('failed_with_retry', 2, { kind: 'server', errorType: 'Error' });
    }).not.toThrow();
  });

  test('a tracer whose startSpan throws', () => {
    trace.setGlobalTracerProvider({ getTracer: () => ({ startSpan: thrower }) } as unknown as ApiTracerProvider);
    const instrumentation = detect();
    expect(() => {
      const call = instrumentation.startCall(CALL_INFO);
      call.attempt(1);
      call.end('successful_without_retry', 1);
    }).not.toThrow();
  });

  test('a meter whose instruments throw, and one whose instrument creation throws', () => {
    const brokenInstrument = { add: thrower, record: thrower, addCallback: thrower, removeCallback: thrower };
    const brokenMeter = {
      createCounter: () => brokenInstrument,
      createHistogram: () => brokenInstrument,
      createObservableGauge: () => brokenInstrument,
    };
    metrics.setGlobalMeterProvider({ getMeter: () => brokenMeter } as unknown as ApiMeterProvider);
    let instrumentation: Instrumentation | undefined;
    expect(() => (instrumentation = detectOpenTelemetry())).not.toThrow();
    expect(() => {
      const call = instrumentation?.startCall(CALL_INFO);
      call?.attempt(1);
      call?.backoff(1, 10, 'backoff');
      call?.end('successful_with_retry', 2);
    }).not.toThrow();

    metrics.disable();
    metrics.setGlobalMeterProvider({
      getMeter: () => ({ createCounter: thrower, createHistogram: thrower, createObservableGauge: thrower }),
    } as unknown as ApiMeterProvider);
    expect(() => detectOpenTelemetry()).not.toThrow();
    expect(detectOpenTelemetry()).toBeUndefined();
  });

  test('an exporter that throws', () => {
    const failing = new InMemorySpanExporter();
    failing.export = thrower;
    tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(failing)] });
    trace.setGlobalTracerProvider(tracerProvider);
    const call = detect().startCall(CALL_INFO);
    expect(() => {
      call.attempt(1);
      call.end('successful_without_retry', 1);
    }).not.toThrow();
  });
});

describe('through the retry engine', () => {
  beforeEach(() => {
    resetResilience();
    registerTracing();
    registerMetrics();
    configureResilience({ random: () => 0.5, logger: { error() {}, warn() {}, info() {}, debug() {} } });
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'performance', 'hrtime'] });
  });
  afterEach(() => {
    jest.useRealTimers();
    resetResilience();
  });

  test('a decorated method that fails twice then succeeds: one span, three attempts, two retries', async () => {
    setInstrumentation(detect());
    let failures = 2;
    class ChatAgent {
      @Retry({
        shouldRetry: isTransient,
        key: 'chat',
        spanAttributes: () => ({ 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' }),
      })
      async complete() {
        if (failures-- > 0) throw new TransientError();
        return 'ok';
      }
    }
    const result = new ChatAgent().complete();
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('ok');

    const spans = finishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes).toMatchObject({
      'llm_resilience.method': 'ChatAgent.complete',
      'llm_resilience.key': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'llm_resilience.attempts': 3,
      'llm_resilience.outcome': 'successful_with_retry',
    });
    expect(spans[0].events.map((event) => event.name)).toEqual([
      'llm_resilience.attempt',
      'llm_resilience.backoff',
      'llm_resilience.attempt',
      'llm_resilience.backoff',
      'llm_resilience.attempt',
    ]);
    const collected = await collectMetrics();
    expect(points<number>(collected.get('llm_resilience.calls'))).toEqual([
      { attributes: { outcome: 'successful_with_retry', 'llm_resilience.key': 'chat' }, value: 1 },
    ]);
    expect(points<number>(collected.get('llm_resilience.retries'))).toEqual([
      { attributes: { 'llm_resilience.key': 'chat', source: 'backoff' }, value: 2 },
    ]);
  });

  test('is found without any set-up: the SDK registered before configureResilience() is used', async () => {
    class Agent {
      @Retry({ shouldRetry: isTransient, key: 'auto', circuitBreaker: true })
      async run() {
        return 'ok';
      }
    }
    const result = new Agent().run();
    await jest.runAllTimersAsync();
    await expect(result).resolves.toBe('ok');
    expect(finishedSpans().map((span) => span.attributes['llm_resilience.key'])).toEqual(['auto']);
    const collected = await collectMetrics();
    expect(points<number>(collected.get('llm_resilience.circuit.state'))).toEqual([
      { attributes: { 'llm_resilience.key': 'auto' }, value: 0 },
    ]);
  });

  test('a decorated method that fails for good: status ERROR with the error class', async () => {
    setInstrumentation(detect());
    class ChatAgent {
      @Retry({ shouldRetry: isTransient, key: 'chat', maxAttempts: 2 })
      async complete(): Promise<string> {
        throw new TransientError();
      }
    }
    const result = new ChatAgent().complete().catch((error: unknown) => error);
    await jest.runAllTimersAsync();
    expect(await result).toBeInstanceOf(TransientError);
    const [span] = finishedSpans();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({
      'llm_resilience.outcome': 'failed_with_retry',
      'llm_resilience.attempts': 2,
      'error.type': 'TransientError',
    });
  });
});

test('OTEL_NAMES are the documented names', () => {
  expect(OTEL_NAMES).toMatchObject({
    span: 'llm_resilience.call',
    callsCounter: 'llm_resilience.calls',
    retriesCounter: 'llm_resilience.retries',
    backoffHistogram: 'llm_resilience.backoff.duration',
    circuitGauge: 'llm_resilience.circuit.state',
  });
});
