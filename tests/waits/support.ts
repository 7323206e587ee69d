/**
 * Plumbing of the bounded-waits suites: decorated classes calling the real `openai` SDK
 * (`maxRetries: 0`) against a scripted loopback HTTP server, each class with its own memory
 * logger and recording tracer, and helpers that time a call and wait on conditions.
 *
 * Real timers throughout: the waits under test are a few hundred ms long, and every timing
 * assertion is loose (a call that should fail "at once" must settle long before the wait it
 * refused would have ended).
 */
import OpenAI, { APIError } from 'openai';
import {
  getRetryContext,
  isRetryTimeoutError,
  isUpstreamThrottledError,
  RetryOpenAI,
  type RetryTimeoutError,
  type UpstreamThrottledError,
  resetResilience,
  type RetryMethodDecorator,
  type RetryOptions,
  type Tracer,
} from '../../src';
import { flushLogs } from '../support/memory-transport';
import {
  startLoopbackServer,
  type HeaderValues,
  type LoopbackHandler,
  type LoopbackReply,
  type LoopbackServer,
} from '../support/loopback-server';
import { createTestLogger } from '../support/test-logger';
import { waitFor } from '../support/wait-for';

export const API_KEY = 'sk-test-bounded-waits-0123456789abcdef';

/** A call that must not wait settles within this (ms) of its start: the waits it refuses are >= 1 s. */
export const AT_ONCE_MS = 300;
/** Slack (ms) above a deadline for a wait of unknown length cut at it (the contract says ~50 ms). */
export const CUT_SLACK_MS = 250;

/** A chat completion as the API returns it. */
export function completion(content = 'ok'): Record<string, unknown> {
  return {
    id: 'chatcmpl-waits',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };
}

const errorJson = (message: string, code: string | null = null) => ({
  error: { message, type: null, param: null, code },
});

/** Replies the tests use. */
export const replies = {
  ok: (headers: HeaderValues = {}): LoopbackReply => ({
    kind: 'respond',
    status: 200,
    headers,
    json: completion(),
  }),
  rateLimited: (headers: HeaderValues): LoopbackReply => ({
    kind: 'respond',
    status: 429,
    headers,
    json: errorJson('Rate limit reached', 'rate_limit_exceeded'),
  }),
  unavailable: (headers: HeaderValues = {}): LoopbackReply => ({
    kind: 'respond',
    status: 503,
    headers,
    json: errorJson('The server is overloaded'),
  }),
};

/** A promise the test resolves when it chooses (a request held by the server until then). */
export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Starts loopback servers for a file's tests and closes them (hanging sockets included) after each test. */
export function useServers(): (handler: LoopbackHandler | LoopbackReply) => Promise<LoopbackServer> {
  const open: LoopbackServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()));
  });
  return async (handler) => {
    const server = await startLoopbackServer(handler);
    open.push(server);
    return server;
  };
}

/** `resetResilience()` after each test (and before, in case a previous file left state); measures timer stalls. */
export function useFreshResilience(): void {
  useStallMeter();
  beforeEach(() => resetResilience());
  afterEach(() => resetResilience());
}

/*
 * Timer stalls. On a loaded machine (two cores shared with other suites) the event loop can
 * stall for hundreds of ms, and every timer fires that much late: the engine's as much as a
 * test's. A sampler records how late a 10 ms interval fires, so that a time bound can be
 * judged net of the stalls measured over the same span: an engine that waits too long still
 * fails, a busy machine does not.
 */
const SAMPLE_MS = 10;
const stalls: Array<{ at: number; lateBy: number }> = [];
let sampler: NodeJS.Timeout | undefined;

/** Runs the stall sampler for the file's tests. */
export function useStallMeter(): void {
  beforeAll(() => {
    if (sampler !== undefined) return;
    let expected = Date.now() + SAMPLE_MS;
    sampler = setInterval(() => {
      const now = Date.now();
      stalls.push({ at: now, lateBy: Math.max(0, now - expected) });
      if (stalls.length > 4096) stalls.splice(0, 2048);
      expected = now + SAMPLE_MS;
    }, SAMPLE_MS);
    sampler.unref();
  });
  afterAll(() => {
    clearInterval(sampler);
    sampler = undefined;
    stalls.length = 0;
  });
}

/** The longest timer stall (ms) recorded between `from` and `to` (epoch ms), once a sample after `to` exists. */
async function stallBetween(from: number, to: number): Promise<number> {
  if (sampler === undefined) return 0;
  await waitFor(() => stalls.length > 0 && stalls[stalls.length - 1].at > to, {
    what: 'a stall sample',
    intervalMs: 1,
  });
  return Math.max(
    0,
    ...stalls.filter((sample) => sample.at > from && sample.at <= to + SAMPLE_MS).map((s) => s.lateBy),
  );
}

/**
 * Asserts that `outcome` settled less than `limitMs` after `since` (default: the call's
 * start), net of the timer stalls measured meanwhile.
 */
export async function expectSettledWithin(
  outcome: Outcome<unknown>,
  limitMs: number,
  since: number = outcome.at - outcome.ms,
): Promise<void> {
  const elapsed = outcome.at - since;
  if (elapsed < limitMs) return;
  const stalled = await stallBetween(since, outcome.at);
  if (elapsed - stalled >= limitMs) {
    throw new Error(
      `settled ${elapsed} ms after the start, ${stalled} ms of it timer stalls: not within ${limitMs} ms`,
    );
  }
}

/** The caller's signal, in either shape the engine finds among a call's arguments. */
export type CallerSignal = AbortSignal | { signal: AbortSignal };

export type TraceEvent = { event: string; details: Record<string, unknown> };

export interface Agent {
  /** The decorated method: one chat completion; `caller` is an AbortSignal or `{ signal }`. */
  complete(question: string, caller?: CallerSignal): Promise<string>;
  /** Every error the SDK threw inside the decorated method (the attempts' own errors). */
  readonly attemptErrors: unknown[];
  /** This class's trace events, in order. */
  readonly events: TraceEvent[];
  /** Details of this class's trace events named `name`. */
  named(name: string): Array<Record<string, unknown>>;
  /** This class's log entries at `level` (winston info objects). */
  logAt(level: string): Array<Record<string, unknown>>;
  /** The label the engine gives the method in logs and errors. */
  readonly label: string;
}

export interface AgentOptions extends RetryOptions {
  /** The upstream key (every test names its own). */
  key: string;
  /** Passes the attempt's signal to the SDK (default true); false: an attempt ignores aborts. */
  passSignal?: boolean;
  /** The decorator (default `RetryOpenAI`): every one runs on the same engine. */
  decorate?: (options: RetryOptions) => RetryMethodDecorator;
}

/**
 * A class whose `complete` is decorated with `@RetryOpenAI(options)` (or `decorate`) and calls the real
 * `openai` client (`maxRetries: 0`) at `server`, with a logger and a tracer of its own; and
 * an instance of it. Each call defines a new class (decorator options are fixed per class).
 */
export function chatAgent(server: LoopbackServer, options: AgentOptions): Agent {
  const { passSignal = true, decorate = RetryOpenAI, ...decorator } = options;
  const log = createTestLogger();
  const events: TraceEvent[] = [];
  const tracer: Tracer = { logEvent: (event, details) => void events.push({ event, details }) };
  const attemptErrors: unknown[] = [];
  const label = decorator.name ?? 'ChatAgent.complete';

  class ChatAgent {
    readonly client = new OpenAI({ apiKey: API_KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });

    @decorate({ ...decorator, logger: log.logger, tracer })
    async complete(question: string, _caller?: CallerSignal): Promise<string> {
      const { signal } = getRetryContext()!;
      try {
        const answer = await this.client.chat.completions.create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] },
          passSignal ? { signal } : {},
        );
        return answer.choices[0].message.content ?? '';
      } catch (error) {
        attemptErrors.push(error);
        throw error;
      }
    }
  }

  const instance = new ChatAgent();
  return {
    complete: (question, caller) => instance.complete(question, caller),
    attemptErrors,
    events,
    named: (name) => events.filter((entry) => entry.event === name).map((entry) => entry.details),
    logAt: (level) => log.at(level) as Array<Record<string, unknown>>,
    label,
  };
}

/** How a tracked call ended. */
export interface Outcome<T> {
  readonly ok: boolean;
  readonly value?: T;
  readonly error?: unknown;
  /** Ms from the call's start to its settling. */
  readonly ms: number;
  /** Epoch ms when it settled. */
  readonly at: number;
}

export interface Tracked<T> {
  readonly startedAt: number;
  /** True once the call has settled. */
  settled(): boolean;
  /** The outcome; never rejects. */
  readonly outcome: Promise<Outcome<T>>;
}

/** Starts a call and records when and how it settles. */
export function track<T>(start: () => Promise<T>): Tracked<T> {
  const startedAt = Date.now();
  let done = false;
  const finish = (ok: boolean, value?: T, error?: unknown): Outcome<T> => {
    done = true;
    const at = Date.now();
    return ok ? { ok, value, ms: at - startedAt, at } : { ok, error, ms: at - startedAt, at };
  };
  let promise: Promise<T>;
  try {
    promise = start();
  } catch (error) {
    promise = Promise.reject(error);
  }
  const outcome = promise.then(
    (value) => finish(true, value),
    (error: unknown) => finish(false, undefined, error),
  );
  return { startedAt, settled: () => done, outcome };
}

/**
 * The outcome of `call`, or a test failure naming how long it stayed pending: a wait the
 * contract bounds must not leave a call hanging for the length of the wait.
 */
export async function settleWithin<T>(call: Tracked<T>, limitMs: number, what = 'the call'): Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} was still pending ${Date.now() - call.startedAt} ms after it started`)),
      Math.max(0, call.startedAt + limitMs - Date.now()),
    );
  });
  try {
    return await Promise.race([call.outcome, pending]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error of a failed outcome; a test failure if the call succeeded. */
export function failure<T>(outcome: Outcome<T>): unknown {
  if (outcome.ok) throw new Error(`expected the call to fail, it returned ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

/** A few real event-loop turns: lets everything the call does synchronously or in microtasks happen. */
export async function turns(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Asserts that no request beyond the first `count` reaches `server` until `untilMs` (epoch):
 * returns as soon as one does (the assertion then fails), so the wait is only as long as
 * proving the absence needs.
 */
export async function expectNoRequestUntil(server: LoopbackServer, count: number, untilMs: number): Promise<void> {
  await waitFor(() => server.requests.length > count, { timeoutMs: Math.max(0, untilMs - Date.now()) }).catch(
    () => undefined,
  );
  expect(server.requests.length).toBe(count);
}

/** The HTTP status of an `openai` SDK error (classified by shape: jest runs in another realm). */
export function statusOf(error: unknown): number | undefined {
  return error instanceof APIError || (typeof error === 'object' && error !== null && 'status' in error)
    ? (error as { status?: number }).status
    : undefined;
}

/** The log entries at warn and error of an agent, once winston has delivered them. */
export async function endLines(agent: Agent): Promise<{ warn: Array<Record<string, unknown>>; error: unknown[] }> {
  await flushLogs();
  return { warn: agent.logAt('warn'), error: agent.logAt('error') };
}

/** An abort reason the caller chose: the call must reject with this very object. */
export function callerAbort(): { controller: AbortController; reason: Error } {
  return { controller: new AbortController(), reason: new Error('the caller gave up') };
}

/**
 * A call a bound ended before any attempt with `UpstreamThrottledError`: at once, no attempt
 * started, traced once as not retryable with `expected.trace`, one warn line (its message) and
 * no error line.
 */
export async function expectThrottled(
  agent: Agent,
  outcome: Outcome<unknown>,
  expected: { reason: UpstreamThrottledError['reason']; trace: 'deadline' | 'retry_after_exceeds_max' },
): Promise<UpstreamThrottledError> {
  const error = failure(outcome);
  if (!isUpstreamThrottledError(error)) throw new Error(`expected an UpstreamThrottledError, got ${String(error)}`);
  expect(error).toMatchObject({ reason: expected.reason, kind: 'rate_limit', method: agent.label });
  await expectSettledWithin(outcome, AT_ONCE_MS);
  expect(agent.named('retry_attempt_start')).toEqual([]);
  expect(agent.named('retry_not_retryable')).toEqual([expect.objectContaining({ reason: expected.trace })]);
  const lines = await endLines(agent);
  expect(lines.warn).toHaveLength(1);
  expect(lines.warn[0].message).toBe(error.message);
  expect(lines.error).toEqual([]);
  return error;
}

/**
 * A call whose wait of unknown length was cut at its deadline before any attempt:
 * `RetryTimeoutError` naming `totalTimeoutMs`, settled at the deadline (not before, not long
 * after), no attempt started, traced once (`deadline`), one warn line (matching `waitedFor`
 * when given) and no error line.
 */
export async function expectCutBeforeAttempt(
  agent: Agent,
  outcome: Outcome<unknown>,
  totalTimeoutMs: number,
  waitedFor?: RegExp,
): Promise<{ error: RetryTimeoutError; warn: Record<string, unknown> }> {
  const error = failure(outcome);
  if (!isRetryTimeoutError(error)) throw new Error(`expected a RetryTimeoutError, got ${String(error)}`);
  expect(error.totalTimeoutMs).toBe(totalTimeoutMs);
  expect(outcome.ms).toBeGreaterThanOrEqual(totalTimeoutMs - 5);
  await expectSettledWithin(outcome, totalTimeoutMs + CUT_SLACK_MS);
  expect(agent.named('retry_attempt_start')).toEqual([]);
  expect(agent.named('retry_not_retryable')).toEqual([expect.objectContaining({ reason: 'deadline' })]);
  const lines = await endLines(agent);
  expect(lines.warn).toHaveLength(1);
  if (waitedFor !== undefined) expect(lines.warn[0].message).toMatch(waitedFor);
  expect(lines.error).toEqual([]);
  return { error, warn: lines.warn[0] };
}
