/**
 * Shared plumbing of the LLM-layer suites: the real `openai` SDK (OpenAI and AzureOpenAI
 * clients) against the fault-injecting server on 127.0.0.1, real timers, and
 * `random: () => 0` so that full-jitter backoff sleeps 0 ms (a Retry-After is still
 * honoured exactly: `'429:20'` sleeps 20 ms).
 */
import {
  AgentConfig,
  AgentConfigInput,
  configureResilience,
  LLMProvider,
  resetResilience,
  type RetryConfigFields,
  type Tracer,
} from '../../src';
import { startFaultServer, type FaultServer, type FaultServerOptions } from '../../src/testing';
import { flushLogs } from '../support/memory-transport';
import { createTestLogger } from '../support/test-logger';

/** Looks like a real project key (the scrubbers know the `sk-proj-` shape). */
export const OPENAI_KEY = 'sk-proj-SECRETKEYa1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0123456789';
/** An Azure OpenAI resource key: 32 hex characters. */
export const AZURE_KEY = '5f4dcc3b5aa765d61d8327deb882cf99';
/** A prompt that must never reach a log, an event or a user-facing message. */
export const PROMPT = 'Summarise the confidential merger memo for Project Nightingale';

export const AZURE_API_VERSION = '2024-10-21';

/**
 * Retry settings for tests: the smallest base delay allowed; with `random: () => 0` every
 * backoff sleep is 0 ms, so a test waits only for what a server's Retry-After asks.
 */
export const FAST_RETRY: Partial<RetryConfigFields> = { baseDelayMs: 100, maxDelayMs: 1000 };

export type TraceEvent = { event: string; details: Record<string, unknown> };

/** The trace events of `n` attempts that failed and were retried. */
export const retriedEvents = (n: number): string[] =>
  Array.from({ length: n }, () => ['retry_attempt_start', 'retry_attempt_failed', 'retry_backoff_delay']).flat();
/** One attempt failed and retried, then a success. */
export const RETRIED_ONCE_THEN_SUCCESS = [...retriedEvents(1), 'retry_attempt_start', 'llm_call_success'];
/** The events of `n` attempts, the last of which fails and exhausts them. */
export const exhaustedEvents = (n: number): string[] => [
  ...retriedEvents(n - 1),
  'retry_attempt_start',
  'retry_attempt_failed',
  'max_retries_exceeded',
];
/** One attempt that failed with an error not worth retrying. */
export const notRetriedEvents = ['retry_attempt_start', 'retry_attempt_failed', 'retry_not_retryable'];

/** A tracer that keeps every event and error, in order. */
export class RecordingTracer implements Tracer {
  readonly events: TraceEvent[] = [];
  readonly errors: Array<{ code: string; message: string }> = [];

  logEvent(event: string, details: Record<string, unknown>): void {
    this.events.push({ event, details });
  }

  logError(code: string, message: string): void {
    this.errors.push({ code, message });
  }

  names(): string[] {
    return this.events.map((entry) => entry.event);
  }

  named(name: string): Array<Record<string, unknown>> {
    return this.events.filter((entry) => entry.event === name).map((entry) => entry.details);
  }
}

export interface LLMTestEnvironment {
  log: ReturnType<typeof createTestLogger>;
  tracer: RecordingTracer;
  /** Starts a fault server that is closed after the test. */
  startServer(options?: FaultServerOptions): Promise<FaultServer>;
}

/**
 * Before each test: fresh library settings, a memory logger, `random: () => 0`, and a new
 * recording tracer (NOT installed globally: tests hand it to the service they build).
 * After each test: every server closed, settings reset.
 */
export function useLLMTestEnvironment(): LLMTestEnvironment {
  const servers: FaultServer[] = [];
  const env: LLMTestEnvironment = {
    log: undefined as unknown as LLMTestEnvironment['log'],
    tracer: undefined as unknown as RecordingTracer,
    async startServer(options = {}) {
      const server = await startFaultServer(options);
      servers.push(server);
      return server;
    },
  };
  beforeEach(() => {
    resetResilience();
    env.log = createTestLogger();
    env.tracer = new RecordingTracer();
    configureResilience({ logger: env.log.logger, random: () => 0 });
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await flushLogs();
    resetResilience();
  });
  return env;
}

/** An OpenAI agent config pointing at `server`, with fast retries. */
export function openaiConfig(server: FaultServer, overrides: AgentConfigInput = {}): AgentConfig {
  return new AgentConfig({
    provider: LLMProvider.OPENAI,
    model: 'gpt-4o-mini',
    baseURL: server.openaiBaseURL,
    apiKey: OPENAI_KEY,
    retryConfig: { ...FAST_RETRY },
    ...overrides,
  });
}

/** An Azure OpenAI agent config (deployment `gpt-4o`) pointing at `server`, with fast retries. */
export function azureConfig(server: FaultServer, overrides: AgentConfigInput = {}): AgentConfig {
  return new AgentConfig({
    provider: LLMProvider.AZURE_OPENAI,
    model: 'gpt-4o',
    endpoint: server.azureEndpoint,
    apiVersion: AZURE_API_VERSION,
    ...(overrides.azureADTokenProvider ? {} : { apiKey: AZURE_KEY }),
    retryConfig: { ...FAST_RETRY },
    ...overrides,
  });
}

export const userMessages = (content = PROMPT) => [{ role: 'user' as const, content }];

/** The rejection value of `promise`; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** Everything an async iterable yields, then how it ended. */
export async function drain<T>(iterable: AsyncIterable<T>): Promise<{ items: T[]; error?: any }> {
  const items: T[] = [];
  try {
    for await (const item of iterable) items.push(item);
    return { items };
  } catch (error) {
    return { items, error };
  }
}

export const className = (value: unknown): string | undefined =>
  (value as { constructor?: { name?: string } } | null)?.constructor?.name;

/** The faults the server applied, in arrival order. */
export const faultsSeen = (server: FaultServer): string[] => server.requests.map((request) => request.fault);

/** Real milliseconds, unaffected by jest's fake timers. */
export const realNow = (): number => Number(process.hrtime.bigint() / 1_000_000n);
