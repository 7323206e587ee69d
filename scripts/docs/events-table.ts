// docs/events.md: every trace event (TRACE_EVENTS) with the attributes it carries, and every
// log line of the library. Nothing here is typed in by hand but the "when" column: the
// attributes, values and example lines are recorded from real calls of decorated methods and
// of the LLM services, run through scripted failures. An event or log line that no scenario
// produces, or that has no description, stops the generator.

import OpenAI, { APIError } from 'openai';
import { configureResilience, resetResilience } from '../../src/config/resilience-settings';
import { RetryConfig } from '../../src/config/retry-config';
import { RetryNetwork } from '../../src/decorators/retry-network';
import { RetryOpenAI } from '../../src/decorators/retry-openai';
import { AgentOrchestrator, RESILIENT_LLM_FAILURE } from '../../src/llm/agent-orchestrator';
import { LLMClient, LLMServiceFactory } from '../../src/llm/llm-service-factory';
import { ResilientLLMService } from '../../src/llm/resilient-llm-service';
import { warnIfSdkRetries } from '../../src/llm/warn-if-sdk-retries';
import type { AgentConfig, AgentConfigInput } from '../../src/llm/agent-config';
import type { ResilienceLogger } from '../../src/observability/default-logger';
import { TRACE_EVENTS, Tracer } from '../../src/observability/tracer';
import { code, generatedBanner, table } from './markdown';

type EventKey = keyof typeof TRACE_EVENTS;

/** When each event is emitted (the only hand-written column; keyed by TRACE_EVENTS). */
const EVENT_WHEN: Record<EventKey, string> = {
  attemptStart: 'before each attempt',
  attemptFailed:
    "an attempt failed (`error_type` is the error's class name, e.g. `RateLimitError`; `status` only for HTTP failures)",
  backoffDelay:
    "before sleeping until the next attempt; `source` says whether the backoff or the server's Retry-After set the wait",
  success:
    "the call succeeded (`response_length` from `ResilientLLMService`, `embeddings` from its `resilientEmbeddings`, or any decorator's `successDetails`)",
  maxRetriesExceeded: 'every attempt failed; the last error is rethrown',
  notRetryable: 'a failure ends the call before its attempts run out; `reason` below',
  circuitOpened: "the key's circuit breaker opened: calls fail at once with `CircuitOpenError`",
  circuitHalfOpen: 'the open wait is over: probes are let through',
  circuitClosed: 'a probe succeeded: the circuit is closed again',
  retryBudgetExhausted: "the key's retry budget could not pay for a retry (once per episode)",
  fallbackUsed: '`ResilientLLMService` moved on to the next fallback config',
};

/** The library's log lines, recognised by their text; `when` is the only hand-written part. */
const LOG_LINES: readonly { id: string; pattern: RegExp; when: string }[] = [
  {
    id: 'retry',
    pattern: /^Retrying \S+(?: \([^)]*\))? in \d+\.\d\ds \(attempt/,
    when: 'a failed attempt will be retried',
  },
  { id: 'exhausted', pattern: /^Giving up on \S+(?: \([^)]*\))? after \d+ attempts/, when: 'attempts ran out' },
  {
    id: 'deadline',
    pattern: /^Giving up on \S+(?: \([^)]*\))? at attempt .*total timeout/,
    when: '`totalTimeoutMs` leaves no room for another attempt',
  },
  {
    id: 'not-retried',
    pattern: /^\S+(?: \([^)]*\))? failed at attempt \d+\/\d+ and is not retried: /,
    when: 'a failure is not retried (the caller gets it); at `warn` instead when someone must act: `auth`, `quota_exhausted`, a Retry-After beyond `maxRetryAfterMs`',
  },
  { id: 'recovered', pattern: /^\S+ succeeded at attempt \d+\/\d+$/, when: 'a call succeeded after a retry' },
  { id: 'circuit-opened', pattern: /^Circuit for .* opened after/, when: "a key's circuit breaker opened" },
  {
    id: 'circuit-half-open',
    pattern: /^Circuit for .* is half-open/,
    when: "a key's circuit breaker lets probes through",
  },
  { id: 'circuit-closed', pattern: /^Circuit for .* closed$/, when: "a key's circuit breaker closed" },
  {
    id: 'budget',
    pattern: /^Retry budget for .* is exhausted/,
    when: "a key's retry budget ran dry (once per episode)",
  },
  {
    id: 'breaker-conflict',
    pattern: /the circuit breaker of .* was created with other options/,
    when: "a call asks a key's breaker for options other than those it was created with (once per key)",
  },
  {
    id: 'ignored-config',
    pattern: /this\.retryConfig is not a RetryConfig and is ignored/,
    when: "an instance's `retryConfig` is a plain object (once per object)",
  },
  { id: 'fallback', pattern: /^Falling back from /, when: '`ResilientLLMService` moves on to a fallback config' },
  {
    id: 'orchestrator',
    pattern: /^Agent call failed outside the LLM service$/,
    when: '`AgentOrchestrator` caught an error that is not an `AgentExecutionError` (a config error, a bug)',
  },
  {
    id: 'sdk-retries',
    pattern: /^The \S+ client has maxRetries: \d+/,
    when: '`warnIfSdkRetries` found a client that retries by itself (once per client)',
  },
];

interface Recorded {
  events: { scenario: string; event: string; details: Record<string, unknown> }[];
  errors: { scenario: string; code: string; message: string }[];
  logs: { scenario: string; level: string; message: string; meta: Record<string, unknown> }[];
}

/** openai's own error for an HTTP failure, as the SDK builds it from a response. */
function httpError(status: number, body?: object, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, body, undefined, new Headers({ 'x-request-id': 'req_123', ...headers }));
}

function connectionReset(): Error {
  return Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' });
}

const never = () => new Promise<never>(() => undefined);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Step = () => unknown;

/** A client of some upstream, failing as its script says (the last step repeats). */
class ScriptedAgent {
  private calls = 0;
  constructor(
    private readonly steps: Step[],
    readonly retryConfig?: RetryConfig | object,
  ) {}

  private next(): unknown {
    return this.steps[Math.min(this.calls++, this.steps.length - 1)]();
  }

  @RetryOpenAI()
  async complete(): Promise<unknown> {
    return this.next();
  }

  @RetryOpenAI()
  async *stream(): AsyncGenerator<string> {
    yield 'The answer';
    await this.next();
  }

  @RetryNetwork()
  ping(): unknown {
    return this.next();
  }
}

const ok: Step = () => 'ok';
const fail =
  (error: () => unknown): Step =>
  () => {
    throw error();
  };

const completion = (content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content } }],
});

/** A factory whose clients answer per model: a failure for `failing`, a completion otherwise. */
class ScriptedFactory extends LLMServiceFactory {
  constructor(private readonly failing: Record<string, () => unknown>) {
    super();
  }

  override clientFor(config: AgentConfig): LLMClient {
    const failure = this.failing[config.model];
    const create = async () => {
      if (failure) throw failure();
      return completion('Paris');
    };
    return { chat: { completions: { create } } } as unknown as LLMClient;
  }
}

const quiet = async (run: () => Promise<unknown>) => {
  try {
    await run();
  } catch {
    // The scenario's failure is what is being recorded.
  }
};

/** The scenarios, in the order their events appear in the tables. */
const SCENARIOS: readonly { name: string; run: (tracer: Tracer) => Promise<void> }[] = [
  { name: 'first attempt succeeds', run: () => quiet(() => new ScriptedAgent([ok]).complete()) },
  { name: '503, then success', run: () => quiet(() => new ScriptedAgent([fail(() => httpError(503)), ok]).complete()) },
  {
    name: '429 with retry-after-ms, then success',
    run: () =>
      quiet(() =>
        new ScriptedAgent([fail(() => httpError(429, undefined, { 'retry-after-ms': '20' })), ok]).complete(),
      ),
  },
  {
    name: 'two 503s with maxAttempts 2',
    run: () =>
      quiet(() => new ScriptedAgent([fail(() => httpError(503))], new RetryConfig({ maxAttempts: 2 })).complete()),
  },
  {
    name: '400 (not retryable)',
    run: () =>
      quiet(() => new ScriptedAgent([fail(() => httpError(400, { error: { code: 'invalid_value' } }))]).complete()),
  },
  {
    name: '429 asking for 120 s with maxRetryAfterMs 1000',
    run: () =>
      quiet(() =>
        new ScriptedAgent(
          [fail(() => httpError(429, undefined, { 'retry-after': '120' }))],
          new RetryConfig({ maxRetryAfterMs: 1000 }),
        ).complete(),
      ),
  },
  {
    name: '429 asking for 5 s with totalTimeoutMs 1000',
    run: () =>
      quiet(() =>
        new ScriptedAgent(
          [fail(() => httpError(429, undefined, { 'retry-after-ms': '5000' }))],
          new RetryConfig({ totalTimeoutMs: 1000 }),
        ).complete(),
      ),
  },
  {
    name: 'stream cut after its first item',
    run: () =>
      quiet(async () => {
        for await (const _ of new ScriptedAgent([fail(connectionReset)]).stream()) void _;
      }),
  },
  {
    name: 'synchronous method throws',
    run: () => quiet(async () => new ScriptedAgent([fail(connectionReset)]).ping()),
  },
  {
    name: 'attempt hangs past attemptTimeoutMs 20, then success',
    run: () => quiet(() => new ScriptedAgent([never, ok], new RetryConfig({ attemptTimeoutMs: 20 })).complete()),
  },
  {
    name: 'retry budget of one retry, two failing calls',
    run: async () => {
      const config = new RetryConfig({ maxAttempts: 2, retryBudget: { capacity: 5, retryCost: 5, timeoutCost: 5 } });
      await quiet(() => new ScriptedAgent([fail(() => httpError(503))], config).complete());
      await quiet(() => new ScriptedAgent([fail(() => httpError(503))], config).complete());
    },
  },
  {
    name: 'circuit breaker: a failure opens it, a call is refused, a probe closes it',
    run: async () => {
      // Open for 500 ms: room enough for the refused call even on a loaded machine.
      const config = new RetryConfig({ maxAttempts: 1, circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 500 } });
      await quiet(() => new ScriptedAgent([fail(() => httpError(503))], config).complete());
      await quiet(() => new ScriptedAgent([ok], config).complete());
      await delay(600);
      await quiet(() => new ScriptedAgent([ok], config).complete());
      // Another method asking the same key's breaker for other options.
      const other = new RetryConfig({ maxAttempts: 1, circuitBreaker: { failureThreshold: 2 } });
      await quiet(() => new ScriptedAgent([ok], other).complete());
    },
  },
  {
    name: 'instance retryConfig is a plain object',
    run: () => quiet(() => new ScriptedAgent([ok], { maxAttempts: 2 }).complete()),
  },
  {
    name: 'ResilientLLMService: quota exhausted, fallback succeeds',
    run: async () => {
      const service = new ResilientLLMService({
        factory: new ScriptedFactory({
          'gpt-4o': () => httpError(429, { error: { code: 'insufficient_quota', type: 'insufficient_quota' } }),
        }),
      });
      const agent: AgentConfigInput = {
        name: 'support-agent',
        provider: 'openai',
        model: 'gpt-4o',
        apiKey: 'sk-test',
        fallbacks: [{ model: 'gpt-4o-mini', name: 'mini' }],
      };
      await quiet(() =>
        service.resilientChatCompletion(agent, { messages: [{ role: 'user', content: 'Capital of France?' }] }),
      );
    },
  },
  {
    name: 'AgentOrchestrator: 401, then a config error',
    run: async (tracer) => {
      const service = new ResilientLLMService({ factory: new ScriptedFactory({ 'gpt-4o': () => httpError(401) }) });
      // logError goes to the orchestrator's own tracer (or the one passed per call), not the configured one.
      const orchestrator = new AgentOrchestrator({ service, tracer });
      const history = [{ role: 'user' as const, content: 'hi' }];
      await quiet(() => orchestrator.respond({ provider: 'openai', model: 'gpt-4o', apiKey: 'sk-test' }, history));
      await quiet(() => orchestrator.callLLMWithConfigSafe({ provider: 'openai', model: '' }, history));
    },
  },
  {
    name: 'warnIfSdkRetries on an openai client with maxRetries 2',
    run: async () => {
      warnIfSdkRetries(new OpenAI({ apiKey: 'sk-test', maxRetries: 2 }));
    },
  },
];

/** Runs every scenario against a recording tracer and logger. */
export async function recordScenarios(): Promise<Recorded> {
  const recorded: Recorded = { events: [], errors: [], logs: [] };
  let scenario = '';
  const tracer: Tracer = {
    logEvent: (event, details) => void recorded.events.push({ scenario, event, details: { ...details } }),
    logError: (code, message) => void recorded.errors.push({ scenario, code, message }),
  };
  const record =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}) =>
      void recorded.logs.push({ scenario, level, message, meta: { ...meta } });
  const logger: ResilienceLogger = {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
  };
  try {
    for (const next of SCENARIOS) {
      resetResilience();
      // Jitter drawn as 0: backoffs of 0 ms, so the scenarios run in milliseconds.
      configureResilience({ tracer, logger, random: () => 0 });
      scenario = next.name;
      await next.run(tracer);
    }
  } finally {
    resetResilience();
  }
  return recorded;
}

interface EventSummary {
  event: string;
  key: EventKey;
  attributes: string[];
  optional: Set<string>;
  example: Record<string, unknown>;
}

function summariseEvents(recorded: Recorded): EventSummary[] {
  const problems: string[] = [];
  const byName = new Map<string, EventKey>(
    Object.entries(TRACE_EVENTS).map(([key, event]) => [event, key as EventKey]),
  );
  const summaries = new Map<string, EventSummary>();
  for (const { event, details } of recorded.events) {
    const key = byName.get(event);
    if (key === undefined) {
      problems.push(`event ${event} is emitted but is not in TRACE_EVENTS`);
      continue;
    }
    let summary = summaries.get(event);
    if (summary === undefined) {
      summary = { event, key, attributes: [], optional: new Set(), example: details };
      summaries.set(event, summary);
    }
    for (const attribute of Object.keys(details)) {
      if (!summary.attributes.includes(attribute)) {
        // First seen on a later occurrence: earlier ones lacked it.
        if (summary.example !== details) summary.optional.add(attribute);
        summary.attributes.push(attribute);
      }
    }
    for (const attribute of summary.attributes) if (!(attribute in details)) summary.optional.add(attribute);
  }
  for (const [key, event] of Object.entries(TRACE_EVENTS)) {
    if (!summaries.has(event))
      problems.push(`TRACE_EVENTS.${key} (${event}) is never emitted by the scenarios in scripts/docs/events-table.ts`);
  }
  if (problems.length > 0) throw new Error(`docs/events.md would not match the code:\n- ${problems.join('\n- ')}`);
  // The order of TRACE_EVENTS: the order events can occur within a call.
  return Object.values(TRACE_EVENTS).map((event) => summaries.get(event)!);
}

/** The attributes each event carries (`?` = not always), for the README check too. */
export function eventAttributes(summaries: EventSummary[]): Map<string, string[]> {
  return new Map(summaries.map((s) => [s.event, s.attributes.map((a) => (s.optional.has(a) ? `${a}?` : a))]));
}

interface LogSummary {
  id: string;
  level: string;
  example: string;
  meta: string[];
  when: string;
}

function summariseLogs(recorded: Recorded): LogSummary[] {
  const problems: string[] = [];
  const found = new Map<string, LogSummary>();
  for (const line of recorded.logs) {
    const matches = LOG_LINES.filter((entry) => entry.pattern.test(line.message));
    if (matches.length !== 1) {
      problems.push(`log line "${line.message}" matches ${matches.length} entries of LOG_LINES (expected exactly one)`);
      continue;
    }
    const [entry] = matches;
    if (!found.has(entry.id)) {
      found.set(entry.id, {
        id: entry.id,
        level: line.level,
        example: line.message,
        meta: Object.keys(line.meta),
        when: entry.when,
      });
    }
  }
  for (const entry of LOG_LINES)
    if (!found.has(entry.id)) problems.push(`log line ${entry.id} (${entry.pattern}) is never logged by the scenarios`);
  if (problems.length > 0) throw new Error(`docs/events.md would not match the code:\n- ${problems.join('\n- ')}`);
  return LOG_LINES.map((entry) => found.get(entry.id)!);
}

/** Why the engine stops a retryable failure (src/engine/retry-engine.ts); each must be recorded. */
const ENGINE_REASONS = [
  'retry_after_exceeds_max',
  'deadline',
  'stream_started',
  'synchronous',
  'retry_budget',
  'circuit_open',
];

/** Every `retry_not_retryable` reason the scenarios produced, with the first scenario that did. */
function notRetryableReasons(recorded: Recorded): [string, string][] {
  const reasons = new Map<string, string>();
  for (const { event, details, scenario } of recorded.events) {
    if (event !== TRACE_EVENTS.notRetryable) continue;
    const reason = String(details.reason);
    if (!reasons.has(reason)) reasons.set(reason, scenario);
  }
  const missing = ENGINE_REASONS.filter((reason) => !reasons.has(reason));
  if (missing.length > 0) throw new Error(`docs/events.md: no scenario ends a call with reason ${missing.join(', ')}`);
  return [...reasons];
}

function distinctValues(recorded: Recorded, event: string, attribute: string): string[] {
  const values = new Set(recorded.events.filter((e) => e.event === event).map((e) => String(e.details[attribute])));
  return [...values].sort();
}

export interface EventsDoc {
  markdown: string;
  attributes: Map<string, string[]>;
}

export async function renderEvents(): Promise<EventsDoc> {
  const recorded = await recordScenarios();
  const events = summariseEvents(recorded);
  const logs = summariseLogs(recorded);
  const attributes = (summary: EventSummary) =>
    summary.attributes.map((a) => code(summary.optional.has(a) ? `${a}?` : a)).join(', ');
  const sources = distinctValues(recorded, TRACE_EVENTS.backoffDelay, 'source').map((value) => code(`'${value}'`));
  const errorCodes = [...new Set(recorded.errors.map((e) => e.code))];
  if (!errorCodes.includes(RESILIENT_LLM_FAILURE))
    throw new Error('docs/events.md: no scenario reported RESILIENT_LLM_FAILURE');
  const markdown = [
    generatedBanner('src/observability (TRACE_EVENTS, retry-log.ts) by running scripted calls'),
    '',
    '# Events and log lines',
    '',
    'A `Tracer` is `{ logEvent(event, details), logError?(code, message) }`, given to `configureResilience({ tracer })`,',
    "to a decorator's `tracer` option, or to the LLM services. Event names and their attributes are part of the",
    'public API (see the version policy in the README): `TRACE_EVENTS` exports the names. A tracer that throws or',
    'rejects never breaks a call; with no tracer, no event object is built.',
    '',
    'The attributes and examples below were recorded from real calls (scripts/docs/events-table.ts);',
    '`?` marks an attribute that is not always present.',
    '',
    '## Trace events',
    '',
    table(
      ['event', '`TRACE_EVENTS` key', 'attributes', 'when', 'example'],
      events.map((summary) => [
        code(summary.event),
        code(summary.key),
        attributes(summary),
        EVENT_WHEN[summary.key],
        code(JSON.stringify(summary.example)),
      ]),
    ),
    '',
    `\`kind\` is a \`FailureKind\` (see [classification.md](classification.md)); \`source\` is one of ${sources.join(', ')}.`,
    '',
    '### Why a call ends early (`retry_not_retryable.reason`)',
    '',
    "Either the classification's reason for an error that is not retryable (`status 400`, `insufficient_quota`, ...:",
    "see [classification.md](classification.md)), or the engine's reason for not retrying a retryable one",
    `(${ENGINE_REASONS.map((reason) => code(reason)).join(', ')}). Recorded:`,
    '',
    table(
      ['reason', 'recorded in the scenario'],
      notRetryableReasons(recorded).map(([reason, scenario]) => [code(reason), scenario]),
    ),
    '',
    '### `logError` codes',
    '',
    table(
      ['code', 'when'],
      [
        [
          code(RESILIENT_LLM_FAILURE),
          '`AgentOrchestrator` turned a failed call into an error response; the message is the safe text shown to the user',
        ],
      ],
    ),
    '',
    '## Log lines',
    '',
    'Written to the configured logger (a winston logger, or any `{ error, warn, info, debug }`; the default',
    "one writes `warn` and above to stderr). Lines carry the error's class, kind, status and request id, never",
    "a provider's message (it can hold prompt text or a key).",
    '',
    table(
      ['level', 'example', 'metadata', 'when'],
      logs.map((log) => [code(log.level), code(log.example), log.meta.map((key) => code(key)).join(', '), log.when]),
    ),
    '',
  ].join('\n');
  return { markdown, attributes: eventAttributes(events) };
}
