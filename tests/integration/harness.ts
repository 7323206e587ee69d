/**
 * Shared plumbing of the integration suites: real sockets on 127.0.0.1, virtual retry sleeps.
 *
 * Jest's fake timers replace the clock and the timers of the test realm (the engine's sleeps,
 * its attempt timers, openai's request timeout), while `setImmediate`, `nextTick` and
 * `queueMicrotask` stay real, so socket I/O keeps flowing. A test waits for real I/O with
 * `until(...)` (real event-loop turns, bounded in real time) and moves virtual time with
 * `jest.advanceTimersByTimeAsync(ms)`.
 */
import { configureResilience, resetResilience } from '../../src';
import { createTestLogger } from '../support/test-logger';
import {
  startLoopbackServer,
  type LoopbackHandler,
  type LoopbackReply,
  type LoopbackServer,
} from '../support/loopback-server';

// Captured before any test fakes the clock: the only real clock the helpers use.
const realHrtime = process.hrtime.bigint.bind(process.hrtime);
const realMs = (): number => Number(realHrtime() / 1_000_000n);
const realTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Real time a single wait may take before the test fails with a clear message. */
const REAL_WAIT_LIMIT_MS = 3_000;

export const FAKE_TIMERS = { doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] } as const;

/** Turns the real event loop until `predicate()` holds; fails after a few real seconds. */
export async function until(predicate: () => boolean, what = 'condition'): Promise<void> {
  const start = realMs();
  while (!predicate()) {
    if (realMs() - start > REAL_WAIT_LIMIT_MS) throw new Error(`timed out waiting for ${what}`);
    await realTurn();
  }
}

/** A few real event-loop turns (lets a request that was wrongly started reach the server). */
export async function settleIo(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await realTurn();
}

export type TraceEvent = [event: string, details: Record<string, unknown>];

export interface Harness {
  log: ReturnType<typeof createTestLogger>;
  events: TraceEvent[];
  /** Details of every trace event with this name, in order. */
  eventsNamed(name: string): Record<string, unknown>[];
  /** The `warn` entries that announce a retry (they carry `delayMs`). */
  retries(): Array<Record<string, unknown>>;
  /**
   * The sleep before each retry so far, in ms: from the `retry_backoff_delay` events when a
   * tracer is installed (whatever logger a test configures), else from the `warn` entries.
   */
  delays(): number[];
}

/**
 * Installs, before each test, a memory logger, a recording tracer, `random: () => 0.5` and
 * fake timers; undoes all of it after each test. With `tracer: false`, no tracer is
 * configured (the engine's lean path).
 */
export function useHarness(options: { tracer?: boolean } = {}): Harness {
  const harness: Harness = {
    log: undefined as unknown as Harness['log'],
    events: [],
    eventsNamed: (name) => harness.events.filter(([event]) => event === name).map(([, details]) => details),
    retries: () => harness.log.at('warn').filter((entry: Record<string, unknown>) => typeof entry.delayMs === 'number'),
    delays: () =>
      options.tracer === false
        ? harness.retries().map((entry) => entry.delayMs as number)
        : harness
            .eventsNamed('retry_backoff_delay')
            .map((details) => Math.round((details.delay_seconds as number) * 1000)),
  };
  beforeEach(() => {
    resetResilience();
    harness.log = createTestLogger();
    harness.events = [];
    configureResilience({
      logger: harness.log.logger,
      random: () => 0.5,
      ...(options.tracer === false
        ? {}
        : {
            tracer: {
              logEvent: (event: string, details: Record<string, unknown>) => void harness.events.push([event, details]),
            },
          }),
    });
    jest.useFakeTimers({ doNotFake: [...FAKE_TIMERS.doNotFake] });
  });
  afterEach(() => {
    jest.useRealTimers();
    resetResilience();
  });
  return harness;
}

/**
 * Awaits `promise` while playing the retry sleeps: each time the engine announces a retry
 * (see `Harness.delays`), virtual time moves on by that delay. Resolves or rejects
 * as `promise` does. `alreadyPlayed`: retries whose sleep the test advanced through itself.
 */
export async function drive<T>(harness: Harness, promise: Promise<T>, alreadyPlayed = 0): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  let played = alreadyPlayed;
  const start = realMs();
  while (!settled) {
    const delays = harness.delays();
    if (delays.length > played) {
      const next = delays.slice(played);
      played = delays.length;
      await jest.advanceTimersByTimeAsync(Math.max(...next));
      continue;
    }
    if (realMs() - start > REAL_WAIT_LIMIT_MS) throw new Error('timed out driving the decorated call');
    await realTurn();
  }
  return promise;
}

/** The rejection value of `promise`; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

export const className = (value: unknown): string | undefined =>
  (value as { constructor?: { name?: string } } | null)?.constructor?.name;

/** A chat completion as the API returns it; `content` becomes the assistant's answer. */
export function chatCompletion(content = 'Hello!', id = 'chatcmpl-test'): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  };
}

/** An OpenAI-style error body. */
export function errorBody(message: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { error: { message, type: null, param: null, code: null, ...fields } };
}

/** Starts loopback servers for a test file's tests and closes them after each test. */
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
