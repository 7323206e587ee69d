/**
 * `npm run example:opentelemetry`: the spans and metrics llm-resilience writes when an
 * OpenTelemetry SDK is registered, printed from in-memory exporters (a real app would
 * export them with OTLP instead). Four calls against the fault server of
 * `llm-resilience/testing`: a decorated method that recovers from 429 and 503, one that
 * succeeds at once, one that fails with a 401 (not retried), and a `ResilientLLMService` call
 * that runs out of attempts.
 *
 * Exits non-zero when a span or a metric is not what the README's OpenTelemetry section says.
 */
import { metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
// In an app: 'llm-resilience'.
import {
  AgentConfig,
  getRetryContext,
  isAgentExecutionError,
  LLMProvider,
  ResilientLLMService,
  RetryOpenAI,
} from '../../src';
// In an app: 'llm-resilience/testing'.
import { FaultSpec, startFaultServer } from '../../src/testing';

const MODEL = 'gpt-4o-mini';
const API_KEY = 'sk-local-fault-server';
const PROMPT = 'my card number is 4111 1111 1111 1111';

// 1. Register the SDK before the first decorated call (or call configureResilience() after
//    registering): the library looks for a registered provider once and then keeps what it found.
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
trace.setGlobalTracerProvider(tracerProvider);

const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
// A long interval: this example reads the metrics once, with forceFlush(), at the end.
const metricReader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
const meterProvider = new MeterProvider({ readers: [metricReader] });
metrics.setGlobalMeterProvider(meterProvider);

// 2. Nothing OpenTelemetry-specific in the application code.
class ChatAgent {
  constructor(private readonly client: OpenAI) {}

  @RetryOpenAI({
    maxAttempts: 4,
    baseDelayMs: 100,
    key: `openai:${MODEL}`,
    // Extra span attributes (GenAI semantic conventions); the LLM services add these themselves.
    spanAttributes: () => ({ 'gen_ai.system': 'openai', 'gen_ai.request.model': MODEL }),
  })
  async complete(question: string): Promise<string> {
    const completion = await this.client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: question }] },
      { signal: getRetryContext()?.signal },
    );
    return completion.choices[0]?.message?.content ?? '';
  }
}

interface Call {
  title: string;
  faults: FaultSpec[];
  run(): Promise<unknown>;
  expected: { outcome: string; attempts: number; errorType?: string };
}

function printSpan(span: ReadableSpan): void {
  const status = SpanStatusCode[span.status.code] + (span.status.message ? ` (${span.status.message})` : '');
  console.log(`  span ${span.name}  status ${status}`);
  for (const [name, value] of Object.entries(span.attributes)) console.log(`    ${name} = ${JSON.stringify(value)}`);
  for (const event of span.events) console.log(`    event ${event.name} ${JSON.stringify(event.attributes ?? {})}`);
}

function printMetric(metric: MetricData): void {
  const { name, unit } = metric.descriptor;
  console.log(`  ${name}${unit ? ` [${unit}]` : ''}`);
  for (const point of metric.dataPoints) {
    const attributes = JSON.stringify(point.attributes);
    if (metric.dataPointType === DataPointType.HISTOGRAM) {
      const { count, sum, min, max } = point.value as { count: number; sum?: number; min?: number; max?: number };
      console.log(`    ${attributes}  count=${count} sum=${sum} min=${min} max=${max}`);
    } else {
      console.log(`    ${attributes}  ${String(point.value)}`);
    }
  }
}

/** The sum of a counter's points with `attributes` among theirs. */
function total(metric: MetricData | undefined, attributes: Record<string, string> = {}): number {
  let sum = 0;
  for (const point of metric?.dataPoints ?? []) {
    if (Object.entries(attributes).every(([name, value]) => point.attributes[name] === value))
      sum += Number(point.value);
  }
  return sum;
}

async function main(): Promise<boolean> {
  const problems: string[] = [];
  const expect = (condition: boolean, problem: string) => {
    if (!condition) problems.push(problem);
  };

  const server = await startFaultServer();
  const agent = new ChatAgent(new OpenAI({ apiKey: API_KEY, baseURL: server.openaiBaseURL, maxRetries: 0 }));
  const service = new ResilientLLMService();
  const config = AgentConfig.from({
    name: 'support-agent',
    provider: LLMProvider.OPENAI,
    model: MODEL,
    baseURL: server.openaiBaseURL,
    apiKey: API_KEY,
    retryConfig: { maxAttempts: 2, baseDelayMs: 100 },
  });
  const calls: Call[] = [
    {
      title: 'ChatAgent.complete: 429, 503, then ok',
      faults: ['429:150', '503', 'ok'],
      run: () => agent.complete(PROMPT),
      expected: { outcome: 'successful_with_retry', attempts: 3 },
    },
    {
      title: 'ChatAgent.complete: ok at once',
      faults: ['ok'],
      run: () => agent.complete(PROMPT),
      expected: { outcome: 'successful_without_retry', attempts: 1 },
    },
    {
      title: 'ChatAgent.complete: 401 (not retried)',
      faults: ['401'],
      run: () => agent.complete(PROMPT),
      expected: { outcome: 'failed_without_retry', attempts: 1, errorType: 'AuthenticationError' },
    },
    {
      title: 'ResilientLLMService.resilientChatCompletion: 503 twice (maxAttempts 2)',
      faults: ['503', '503'],
      run: () => service.resilientChatCompletion(config, { messages: [{ role: 'user', content: PROMPT }] }),
      expected: { outcome: 'failed_with_retry', attempts: 2, errorType: 'InternalServerError' },
    },
  ];

  console.log(`Fault server at ${server.openaiBaseURL}\n`);
  try {
    for (const call of calls) {
      server.setScript(call.faults);
      const outcome = await call.run().then(
        () => 'ok',
        (error: unknown) =>
          isAgentExecutionError(error) ? `AgentExecutionError (${error.kind})` : (error as Error).constructor.name,
      );
      console.log(`▶ ${call.title}  [server script: ${call.faults.join(', ')}] => ${outcome}`);
    }
  } finally {
    await server.close();
  }

  // 3. What the exporters received.
  const finished = spans.getFinishedSpans();
  console.log(`\nSpans (${finished.length}):`);
  finished.forEach(printSpan);

  await metricReader.forceFlush();
  const exported = metricExporter.getMetrics().at(-1);
  const ours = exported?.scopeMetrics.find((scope) => scope.scope.name === 'llm-resilience')?.metrics ?? [];
  console.log(`\nMetrics of the meter "llm-resilience" (${ours.length}):`);
  ours.forEach(printMetric);
  const metric = (name: string) => ours.find((candidate) => candidate.descriptor.name === name);

  // 4. Checks: what the README promises.
  expect(finished.length === calls.length, `expected ${calls.length} spans, got ${finished.length}`);
  for (const [index, call] of calls.entries()) {
    const span = finished[index];
    if (span === undefined) continue;
    const { outcome, attempts, errorType } = call.expected;
    expect(span.name === 'llm_resilience.call', `span ${index + 1} is named ${span.name}`);
    expect(
      span.attributes['llm_resilience.outcome'] === outcome,
      `span ${index + 1}: outcome ${span.attributes['llm_resilience.outcome']}, expected ${outcome}`,
    );
    expect(
      span.attributes['llm_resilience.attempts'] === attempts,
      `span ${index + 1}: attempts ${span.attributes['llm_resilience.attempts']}, expected ${attempts}`,
    );
    expect(span.attributes['gen_ai.request.model'] === MODEL, `span ${index + 1}: no gen_ai.request.model`);
    expect(
      span.events.filter((event) => event.name === 'llm_resilience.attempt').length === attempts,
      `span ${index + 1}: one attempt event per attempt`,
    );
    expect(
      span.events.filter((event) => event.name === 'llm_resilience.backoff').length === attempts - 1,
      `span ${index + 1}: one backoff event per retry`,
    );
    expect(
      span.status.code === (errorType ? SpanStatusCode.ERROR : SpanStatusCode.OK) &&
        span.attributes['error.type'] === errorType,
      `span ${index + 1}: status ${SpanStatusCode[span.status.code]}, error.type ${span.attributes['error.type']}`,
    );
  }
  for (const outcome of [
    'successful_with_retry',
    'successful_without_retry',
    'failed_without_retry',
    'failed_with_retry',
  ]) {
    expect(
      total(metric('llm_resilience.calls'), { outcome }) === 1,
      `llm_resilience.calls{outcome=${outcome}} should be 1`,
    );
  }
  expect(total(metric('llm_resilience.retries')) === 3, 'llm_resilience.retries should total 3');
  const backoffs = (metric('llm_resilience.backoff.duration')?.dataPoints ?? []).reduce(
    (count, point) => count + (point.value as { count: number }).count,
    0,
  );
  expect(backoffs === 3, `llm_resilience.backoff.duration should count 3 waits, got ${backoffs}`);
  expect(
    (metric('llm_resilience.circuit.state')?.dataPoints ?? []).some(
      (point) => point.attributes['llm_resilience.key'] === config.upstreamKey,
    ),
    `llm_resilience.circuit.state should report the service's key ${config.upstreamKey}`,
  );
  const telemetry = JSON.stringify({
    spans: finished.map((span) => [span.attributes, span.events, span.status]),
    metrics: ours,
  });
  // Looked for as text ("4111 1111", "card number"): the bare digits 4111 can occur in a timestamp
  // or a duration of the telemetry itself, which made this check fail now and then.
  expect(
    !telemetry.includes('4111 1111') && !telemetry.includes('card number') && !telemetry.includes(API_KEY),
    'telemetry must not contain the prompt or the API key',
  );

  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  for (const problem of problems) console.error(`Unexpected: ${problem}`);
  return problems.length === 0;
}

main().then(
  (demonstrated) => {
    if (!demonstrated) process.exitCode = 1;
  },
  (error: unknown) => {
    console.error('example failed:', error);
    process.exitCode = 1;
  },
);
