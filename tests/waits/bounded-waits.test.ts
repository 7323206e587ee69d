/**
 * "Every wait is bounded by the call": table-driven behaviour tests through the public API,
 * with decorated classes calling the real `openai` SDK (`maxRetries: 0`) against a loopback
 * HTTP server, on real timers. The Redis half of the table (waits heard from another
 * replica, the cold-start gate, the shared probe claim) is in redis-bounded-waits.test.ts;
 * the bulkhead, the half-open probe and a shared caller signal in bounded-waits-queues.test.ts.
 *
 * The table: every wait a call makes before or between attempts, against each bound.
 *
 * | wait                        | caller abort | known end past deadline | unknown end cut at deadline | upstream wait > maxRetryAfterMs   |
 * |-----------------------------|--------------|-------------------------|-----------------------------|-----------------------------------|
 * | backoff                     | here         | here                    | n/a (a)                     | n/a (b)                           |
 * | Retry-After (own 429)       | here         | here                    | n/a (a)                     | here (+ the spread stays under it)|
 * | key cooldown: another call  | here         | here                    | n/a (a)                     | here (+ the key keeps the truth)  |
 * | key cooldown: after own try | (e)          | (e)                     | n/a (a)                     | here (the attempt's own error)    |
 * | key cooldown: a replica     | redis        | redis                   | n/a (a)                     | redis                             |
 * | key cooldown: pushed later  | n/a (f)      | n/a (f)                 | n/a (a)                     | here, queues (while asleep, queued)|
 * | pacing slot                 | here, redis  | here, redis             | n/a (a)                     | here, redis (+ after own try)     |
 * | limiter pause (tokens low)  | here         | here                    | n/a (a)                     | here                              |
 * | cold-start gate             | redis        | n/a (c)                 | redis                       | n/a (d)                           |
 * | bulkhead queue              | queues       | n/a (c)                 | queues (+ after own try)    | n/a (d)                           |
 * | half-open probe claim       | redis        | n/a (c)                 | redis                       | n/a (d)                           |
 *
 * "here": this file; "queues": bounded-waits-queues.test.ts; "redis": redis-bounded-waits.test.ts.
 * (a) its length is known when it starts (a sleep until a computed time), so it is refused
 *     before it starts rather than cut; (b) the engine's own backoff is not dictated by the
 *     upstream, so maxRetryAfterMs does not apply to it (only the deadline does); (c) a queue,
 *     a gate or a claim has no known end (the gate's 1 s and the store's command timeout are
 *     upper bounds, not ends), so it can only be cut at the deadline; (d) not upstream-dictated:
 *     the library's own protection, so maxRetryAfterMs does not apply; (e) the same sleep as a
 *     cooldown set by another call, covered there; (f) the same sleep again, once the call
 *     wakes (or leaves the bulkhead queue) and finds the key's cooldown pushed later.
 * The cooldown beyond the cap is also run through each decorator (@RetryOpenAI, @RetryAzure,
 * @RetryNetwork, @Retry): they share the one engine.
 * A probe that is refused (another call or replica holds it) is not a wait: the call fails at
 * once with CircuitOpenError (bounded-waits-queues.test.ts checks its retryAfterMs).
 */
import {
  AgentConfig,
  configureResilience,
  isAgentExecutionError,
  isUpstreamThrottledError,
  LLMProvider,
  ResilientLLMService,
  Retry,
  RetryAzure,
  RetryNetwork,
  RetryOpenAI,
  shouldRetryOpenAIError,
  type RetryMethodDecorator,
  type RetryOptions,
  type UpstreamThrottledError,
} from '../../src';
import { createTestLogger } from '../support/test-logger';
import { waitFor } from '../support/wait-for';
import {
  API_KEY,
  AT_ONCE_MS,
  callerAbort,
  chatAgent,
  expectSettledWithin,
  expectThrottled,
  expectNoRequestUntil,
  failure,
  gate,
  replies,
  settleWithin,
  statusOf,
  track,
  turns,
  useFreshResilience,
  useServers,
  type Agent,
  type Outcome,
} from './support';

useFreshResilience();
const serve = useServers();

/** A call ended by a bound after its own attempt failed: that attempt's very error, traced once. */
function expectAttemptError(
  agent: Agent,
  outcome: Outcome<unknown>,
  trace: 'deadline' | 'retry_after_exceeds_max',
  status: number,
): void {
  const error = failure(outcome);
  expect(agent.attemptErrors.length).toBeGreaterThan(0);
  expect(error).toBe(agent.attemptErrors[agent.attemptErrors.length - 1]);
  expect(statusOf(error)).toBe(status);
  expect(agent.named('retry_not_retryable')).toEqual([expect.objectContaining({ reason: trace })]);
}

describe('backoff: the wait between attempts', () => {
  it('a caller abort during the backoff rejects at once with the abort reason; no further attempt', async () => {
    const server = await serve(replies.unavailable());
    const agent = chatAgent(server, { key: 'backoff-abort', maxAttempts: 3, baseDelayMs: 800, jitter: 'none' });
    const { controller, reason } = callerAbort();
    const call = track(() => agent.complete('q', { signal: controller.signal }));
    await waitFor(() => agent.named('retry_backoff_delay').length === 1, { what: 'the backoff to start' });
    const abortedAt = Date.now();
    controller.abort(reason);

    const outcome = await settleWithin(call, 3000);
    expect(failure(outcome)).toBe(reason);
    await expectSettledWithin(outcome, AT_ONCE_MS, abortedAt);
    // Past the end of the backoff the abort refused: still one request.
    await expectNoRequestUntil(server, 1, abortedAt + 800 + 200);
  });

  it('a backoff ending past the deadline is not started: the attempt error is rethrown at once', async () => {
    const server = await serve(replies.unavailable());
    const agent = chatAgent(server, {
      key: 'backoff-deadline',
      maxAttempts: 3,
      baseDelayMs: 5000,
      jitter: 'none',
      totalTimeoutMs: 1000,
    });
    const outcome = await settleWithin(
      track(() => agent.complete('q')),
      2000,
    );
    expectAttemptError(agent, outcome, 'deadline', 503);
    await expectSettledWithin(outcome, AT_ONCE_MS);
    expect(agent.named('retry_backoff_delay')).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });
});

describe("Retry-After: the server's wait for this call's next attempt", () => {
  it('a caller abort (a bare AbortSignal argument) during a Retry-After sleep rejects at once; no further attempt', async () => {
    const server = await serve((_request, index) =>
      index === 0 ? replies.rateLimited({ 'retry-after-ms': '800' }) : replies.ok(),
    );
    // A short fixed backoff, so that the server's 800 ms sets the sleep.
    const agent = chatAgent(server, { key: 'retry-after-abort', baseDelayMs: 100, jitter: 'none' });
    const { controller, reason } = callerAbort();
    const call = track(() => agent.complete('q', controller.signal));
    await waitFor(() => agent.named('retry_backoff_delay').length === 1, { what: 'the Retry-After sleep to start' });
    expect(agent.named('retry_backoff_delay')[0].source).toBe('retry-after');
    const abortedAt = Date.now();
    controller.abort(reason);

    const outcome = await settleWithin(call, 3000);
    expect(failure(outcome)).toBe(reason);
    await expectSettledWithin(outcome, AT_ONCE_MS, abortedAt);
    await expectNoRequestUntil(server, 1, abortedAt + 800 + 200);
  });

  it('a Retry-After ending past the deadline is not waited: the 429 is rethrown at once', async () => {
    const server = await serve(replies.rateLimited({ 'retry-after': '2' }));
    const agent = chatAgent(server, { key: 'retry-after-deadline', totalTimeoutMs: 1000 });
    const outcome = await settleWithin(
      track(() => agent.complete('q')),
      2000,
    );
    expectAttemptError(agent, outcome, 'deadline', 429);
    await expectSettledWithin(outcome, AT_ONCE_MS);
    expect(server.requests).toHaveLength(1);
  });

  it('issue scenario: a 429 with retry-after 3600 (x-ratelimit-limit-requests 600) fails that call fast with the 429; later calls fail at once with UpstreamThrottledError (cooldown); nothing more reaches the server', async () => {
    const server = await serve((_request, index) =>
      index === 0
        ? replies.rateLimited({ 'retry-after': '3600', 'x-ratelimit-limit-requests': '600' })
        : replies.ok({ 'x-ratelimit-limit-requests': '600' }),
    );
    const first = chatAgent(server, { key: 'issue-3600' });
    const firstOutcome = await settleWithin(
      track(() => first.complete('q')),
      2000,
    );
    expectAttemptError(first, firstOutcome, 'retry_after_exceeds_max', 429);
    await expectSettledWithin(firstOutcome, AT_ONCE_MS);

    // Later calls on the key, from another class, with and without a caller signal.
    const later = chatAgent(server, { key: 'issue-3600' });
    const outcome = await settleWithin(
      track(() => later.complete('q')),
      2000,
      'a later call',
    );
    const error = await expectThrottled(later, outcome, { reason: 'cooldown', trace: 'retry_after_exceeds_max' });
    expect(error.retryAfterMs).toBeGreaterThan(3_590_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    expect(error.message).toMatch(
      /^ChatAgent\.complete was not attempted: the upstream asked to wait 3\d{3} s, beyond maxRetryAfterMs \(60 s\)$/,
    );
    const withSignal = await settleWithin(
      track(() => later.complete('q', { signal: new AbortController().signal })),
      2000,
      'a later call with a signal',
    );
    expect(isUpstreamThrottledError(failure(withSignal))).toBe(true);
    await expectSettledWithin(withSignal, AT_ONCE_MS);
    expect(server.requests).toHaveLength(1);
  });

  it('the Retry-After spread (+ up to 10%) never pushes the sleep past maxRetryAfterMs', async () => {
    // random 0.999: the spread would be ~95 ms on top of 950 ms; the cap is 1000 ms.
    configureResilience({ random: () => 0.999 });
    const server = await serve((_request, index) =>
      index === 0 ? replies.rateLimited({ 'retry-after-ms': '950' }) : replies.ok(),
    );
    const agent = chatAgent(server, {
      key: 'spread-cap',
      maxRetryAfterMs: 1000,
      baseDelayMs: 100,
      jitter: 'none',
    });
    const outcome = await settleWithin(
      track(() => agent.complete('q')),
      3000,
    );
    expect(outcome.ok).toBe(true);
    const [delay] = agent.named('retry_backoff_delay');
    expect(delay.source).toBe('retry-after');
    expect(delay.delay_seconds).toBeGreaterThan(0.95);
    expect(delay.delay_seconds).toBeLessThanOrEqual(1.0);
    expect(server.requests).toHaveLength(2);
  });
});

describe("the key's 429 cooldown, set by another call", () => {
  /** Gives the key a cooldown of `retryAfter` (a 429 answered to a one-attempt call of another class). */
  async function coolDown(key: string, headers: Record<string, string>, extra: Record<string, unknown> = {}) {
    const server = await serve((_request, index) => (index === 0 ? replies.rateLimited(headers) : replies.ok()));
    const setter = chatAgent(server, { key, maxAttempts: 1, ...extra });
    const outcome = await settleWithin(
      track(() => setter.complete('q')),
      2000,
      'the call that gets the 429',
    );
    expect(statusOf(failure(outcome))).toBe(429);
    return { server, at: outcome.at };
  }

  it('a caller abort during the cooldown rejects at once with the abort reason; no attempt', async () => {
    const { server, at } = await coolDown('cooldown-abort', { 'retry-after-ms': '1000' });
    const waiter = chatAgent(server, { key: 'cooldown-abort' });
    const { controller, reason } = callerAbort();
    const call = track(() => waiter.complete('q', { signal: controller.signal }));
    await turns();
    expect(call.settled()).toBe(false);
    expect(waiter.named('retry_attempt_start')).toEqual([]);
    const abortedAt = Date.now();
    controller.abort(reason);

    const outcome = await settleWithin(call, 3000);
    expect(failure(outcome)).toBe(reason);
    await expectSettledWithin(outcome, AT_ONCE_MS, abortedAt);
    await expectNoRequestUntil(server, 1, at + 1000 + 200);
  });

  it('a signal already aborted when the call starts: rejects with its reason, nothing sent', async () => {
    const { server } = await coolDown('cooldown-pre-aborted', { 'retry-after-ms': '5000' });
    const waiter = chatAgent(server, { key: 'cooldown-pre-aborted' });
    const { controller, reason } = callerAbort();
    controller.abort(reason);
    const outcome = await settleWithin(
      track(() => waiter.complete('q', controller.signal)),
      1000,
    );
    expect(failure(outcome)).toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('a cooldown ending past the deadline fails the call at once with UpstreamThrottledError (cooldown)', async () => {
    const { server } = await coolDown('cooldown-deadline', { 'retry-after': '3' });
    const waiter = chatAgent(server, { key: 'cooldown-deadline', totalTimeoutMs: 500 });
    const outcome = await settleWithin(
      track(() => waiter.complete('q')),
      2000,
    );
    const error = await expectThrottled(waiter, outcome, { reason: 'cooldown', trace: 'deadline' });
    expect(error.retryAfterMs).toBeGreaterThan(2000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(3000);
    expect(error.message).toMatch(/beyond its deadline/);
    expect(server.requests).toHaveLength(1);
  });

  it('issue scenario: a cooldown set by method A (maxRetryAfterMs 3 600 000, Retry-After 600 s) makes method B (maxRetryAfterMs 60 000, same key) fail at once', async () => {
    const server = await serve((_request, index) =>
      index === 0 ? replies.rateLimited({ 'retry-after': '600' }) : replies.ok(),
    );
    const methodA = chatAgent(server, { key: 'shared-key', name: 'MethodA.complete', maxRetryAfterMs: 3_600_000 });
    const methodB = chatAgent(server, { key: 'shared-key', name: 'MethodB.complete', maxRetryAfterMs: 60_000 });
    const { controller, reason } = callerAbort();
    // A's own cap allows 600 s: it sleeps toward its retry (ended by its caller below).
    const callA = track(() => methodA.complete('q', { signal: controller.signal }));
    try {
      await waitFor(() => methodA.named('retry_backoff_delay').length === 1, { what: "A's Retry-After sleep" });

      const outcome = await settleWithin(
        track(() => methodB.complete('q')),
        2000,
        'method B',
      );
      const error = await expectThrottled(methodB, outcome, {
        reason: 'cooldown',
        trace: 'retry_after_exceeds_max',
      });
      expect(error.method).toBe('MethodB.complete');
      expect(error.retryAfterMs).toBeGreaterThan(590_000);
      expect(error.message).toMatch(/^MethodB\.complete was not attempted: .* beyond maxRetryAfterMs \(60 s\)$/);
      expect(callA.settled()).toBe(false);
    } finally {
      controller.abort(reason);
    }
    expect(failure(await settleWithin(callA, 1000, 'method A after its abort'))).toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('the key keeps the truth the server told: a 1 h cooldown got by a call capped at 1 s stays 1 h for the others', async () => {
    const { server, at } = await coolDown('truth', { 'retry-after': '3600' }, { maxRetryAfterMs: 1000 });
    // A caller whose cap allows an hour but whose deadline is 2 s: refused at once, told ~1 h.
    const patient = chatAgent(server, { key: 'truth', maxRetryAfterMs: 3_600_000, totalTimeoutMs: 2000 });
    const outcome = await settleWithin(
      track(() => patient.complete('q')),
      2000,
    );
    const error = await expectThrottled(patient, outcome, { reason: 'cooldown', trace: 'deadline' });
    expect(error.retryAfterMs).toBeGreaterThan(3_590_000);

    // A caller that accepts an hour, without a deadline, waits (it is not let through after 1 s).
    const unbounded = chatAgent(server, { key: 'truth', maxRetryAfterMs: 3_600_000 });
    const { controller, reason } = callerAbort();
    const waiting = track(() => unbounded.complete('q', controller.signal));
    // Past the 1 s the setter's own cap would have kept, it is still waiting.
    await expectNoRequestUntil(server, 1, at + 1000 + 200);
    expect(waiting.settled()).toBe(false);
    controller.abort(reason);
    expect(failure(await settleWithin(waiting, 3000))).toBe(reason);
  });

  it("a call whose own attempt failed, then meets another call's 1 h cooldown, rejects at once with its own error", async () => {
    const held = gate();
    const server = await serve(async (_request, index) => {
      if (index === 0) {
        await held.opened;
        return replies.unavailable();
      }
      return index === 1 ? replies.rateLimited({ 'retry-after': '3600' }) : replies.ok();
    });
    const caller = chatAgent(server, { key: 'own-then-cooldown', baseDelayMs: 100, jitter: 'none' });
    const call = track(() => caller.complete('q'));
    await waitFor(() => server.requests.length === 1, { what: "the caller's first request" });
    const setter = chatAgent(server, { key: 'own-then-cooldown', maxAttempts: 1 });
    expect(
      statusOf(
        failure(
          await settleWithin(
            track(() => setter.complete('q')),
            2000,
          ),
        ),
      ),
    ).toBe(429);
    held.open();

    const outcome = await settleWithin(call, 2000);
    expectAttemptError(caller, outcome, 'retry_after_exceeds_max', 503);
    expect(server.requests).toHaveLength(2);
  });
  it('a cooldown pushed beyond the cap while a call waits out a shorter one: refused when it wakes (UpstreamThrottledError), never sent', async () => {
    const held = gate();
    const server = await serve(async (_request, index) => {
      if (index === 0) {
        await held.opened;
        return replies.rateLimited({ 'retry-after': '3600' });
      }
      return index === 1 ? replies.rateLimited({ 'retry-after-ms': '1500' }) : replies.ok();
    });
    const slow = chatAgent(server, { key: 'cooldown-pushed', maxAttempts: 1, maxRetryAfterMs: 1000 });
    const slowCall = track(() => slow.complete('q'));
    await waitFor(() => server.requests.length === 1, { what: 'the slow request' });
    const setter = chatAgent(server, { key: 'cooldown-pushed', maxAttempts: 1 });
    const set = await settleWithin(
      track(() => setter.complete('q')),
      2000,
      'the call that gets the 1.5 s cooldown',
    );
    expect(statusOf(failure(set))).toBe(429);

    const waiter = chatAgent(server, { key: 'cooldown-pushed' }); // maxRetryAfterMs 60 s: waits 1.5 s
    const waiting = track(() => waiter.complete('q'));
    await turns();
    held.open();
    expect(statusOf(failure(await settleWithin(slowCall, 2000, 'the slow call')))).toBe(429);
    // The key now cools down for an hour; the waiter, still asleep, learns it when it wakes.
    expect(waiting.settled()).toBe(false);

    const outcome = await settleWithin(waiting, 3000, 'the waiter');
    const error = failure(outcome);
    if (!isUpstreamThrottledError(error)) throw new Error(`expected an UpstreamThrottledError, got ${String(error)}`);
    expect(error).toMatchObject({ reason: 'cooldown', kind: 'rate_limit' });
    expect(error.retryAfterMs).toBeGreaterThan(3_590_000);
    expect(waiter.named('retry_attempt_start')).toEqual([]);
    expect(waiter.named('retry_not_retryable')).toEqual([
      expect.objectContaining({ reason: 'retry_after_exceeds_max' }),
    ]);
    expect(server.requests).toHaveLength(2);
  });
});

describe('pacing: the slot of the adaptive limiter (x-ratelimit-limit-requests, per minute)', () => {
  /** Teaches the key its limit: a 503 carrying the headers, answered to a one-attempt call. */
  async function learn(key: string, headers: Record<string, string>) {
    const server = await serve((_request, index) => (index === 0 ? replies.unavailable(headers) : replies.ok()));
    const teacher = chatAgent(server, { key, maxAttempts: 1 });
    const outcome = await settleWithin(
      track(() => teacher.complete('q')),
      2000,
      'the call that learns the limit',
    );
    expect(statusOf(failure(outcome))).toBe(503);
    return { server, at: outcome.at };
  }

  it('a caller abort while waiting for a pacing slot (60/min: ~1 s) rejects at once; no attempt', async () => {
    const { server, at } = await learn('pacing-abort', { 'x-ratelimit-limit-requests': '60' });
    const paced = chatAgent(server, { key: 'pacing-abort' });
    const { controller, reason } = callerAbort();
    const call = track(() => paced.complete('q', controller.signal));
    await turns();
    expect(call.settled()).toBe(false);
    expect(paced.named('retry_attempt_start')).toEqual([]);
    const abortedAt = Date.now();
    controller.abort(reason);

    const outcome = await settleWithin(call, 3000);
    expect(failure(outcome)).toBe(reason);
    await expectSettledWithin(outcome, AT_ONCE_MS, abortedAt);
    await expectNoRequestUntil(server, 1, at + 1100 + 200);
  });

  it('a pacing slot past the deadline is not waited: UpstreamThrottledError (pacing) at once', async () => {
    const { server } = await learn('pacing-deadline', { 'x-ratelimit-limit-requests': '60' });
    const paced = chatAgent(server, { key: 'pacing-deadline', totalTimeoutMs: 500 });
    const outcome = await settleWithin(
      track(() => paced.complete('q')),
      2000,
    );
    const error = await expectThrottled(paced, outcome, { reason: 'pacing', trace: 'deadline' });
    expect(error.retryAfterMs).toBeGreaterThan(500);
    expect(error.retryAfterMs).toBeLessThanOrEqual(1100);
    expect(server.requests).toHaveLength(1);
  });

  it('issue scenario: a 503 carrying x-ratelimit-limit-requests: 1 (~62 s a request): that call rejects with its 503, later calls with totalTimeoutMs 1500 settle at once with UpstreamThrottledError (pacing)', async () => {
    const server = await serve(replies.unavailable({ 'x-ratelimit-limit-requests': '1' }));
    const first = chatAgent(server, { key: 'limit-one', baseDelayMs: 100, jitter: 'none' });
    const firstOutcome = await settleWithin(
      track(() => first.complete('q')),
      2000,
    );
    // Its retry would wait ~62 s for the slot, beyond maxRetryAfterMs (60 s): the 503 it got.
    expectAttemptError(first, firstOutcome, 'retry_after_exceeds_max', 503);

    const later = chatAgent(server, { key: 'limit-one', totalTimeoutMs: 1500 });
    const calls = [0, 1, 2].map(() => track(() => later.complete('q')));
    const outcomes = await Promise.all(calls.map((call) => settleWithin(call, 1500, 'a later call')));
    for (const outcome of outcomes) {
      const error = failure(outcome);
      expect(isUpstreamThrottledError(error) && error.reason).toBe('pacing');
      expect((error as UpstreamThrottledError).retryAfterMs).toBeGreaterThan(55_000);
      await expectSettledWithin(outcome, AT_ONCE_MS);
    }
    expect(later.named('retry_not_retryable')).toHaveLength(3);
    expect(server.requests).toHaveLength(1);
  });

  it('issue scenario: a 200 carrying x-ratelimit-limit-requests: 1 (LLM services) makes later calls with totalTimeoutMs 1500 settle at once (pacing)', async () => {
    const server = await serve(replies.ok({ 'x-ratelimit-limit-requests': '1' }));
    const service = new ResilientLLMService({ logger: createTestLogger().logger });
    const config = AgentConfig.from({
      name: 'paced-agent',
      provider: LLMProvider.OPENAI,
      model: 'gpt-4o-mini',
      apiKey: API_KEY,
      baseURL: `${server.url}/v1`,
      retryConfig: { totalTimeoutMs: 1500 },
    });
    const request = { messages: [{ role: 'user' as const, content: 'q' }] };
    await service.resilientChatCompletion(config, request);

    const calls = [0, 1, 2].map(() => track(() => service.resilientChatCompletion(config, request)));
    const outcomes = await Promise.all(calls.map((call) => settleWithin(call, 1500, 'a later call')));
    for (const outcome of outcomes) {
      const error = failure(outcome);
      if (!isAgentExecutionError(error)) throw new Error(`expected an AgentExecutionError, got ${String(error)}`);
      const original = error.originalError;
      expect(isUpstreamThrottledError(original) && original.reason).toBe('pacing');
    }
    expect(server.requests).toHaveLength(1);
  });

  it('a limiter pause (remaining tokens below 5%: ~3 s) beyond maxRetryAfterMs or past the deadline fails at once (pacing)', async () => {
    const { server } = await learn('tokens-low', {
      'x-ratelimit-limit-requests': '6000',
      'x-ratelimit-limit-tokens': '100000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '20s',
    });
    const capped = chatAgent(server, { key: 'tokens-low', maxRetryAfterMs: 1000 });
    const cappedOutcome = await settleWithin(
      track(() => capped.complete('q')),
      2000,
    );
    const error = await expectThrottled(capped, cappedOutcome, { reason: 'pacing', trace: 'retry_after_exceeds_max' });
    expect(error.retryAfterMs).toBeGreaterThan(2000);
    expect(error.message).toMatch(/beyond maxRetryAfterMs \(1 s\)$/);

    const hurried = chatAgent(server, { key: 'tokens-low', totalTimeoutMs: 1000 });
    const hurriedOutcome = await settleWithin(
      track(() => hurried.complete('q')),
      2000,
    );
    await expectThrottled(hurried, hurriedOutcome, { reason: 'pacing', trace: 'deadline' });

    // A caller who may wait that long waits; its abort ends the wait at once.
    const patient = chatAgent(server, { key: 'tokens-low' });
    const { controller, reason } = callerAbort();
    const call = track(() => patient.complete('q', { signal: controller.signal }));
    await turns();
    expect(call.settled()).toBe(false);
    const abortedAt = Date.now();
    controller.abort(reason);
    const aborted = await settleWithin(call, 2000);
    expect(failure(aborted)).toBe(reason);
    await expectSettledWithin(aborted, AT_ONCE_MS, abortedAt);
    await turns(10);
    expect(server.requests).toHaveLength(1);
  });
});

describe('every decorator runs on the one engine: a key in a 1 h cooldown', () => {
  const decorators: Array<[string, (options: RetryOptions) => RetryMethodDecorator]> = [
    ['@RetryOpenAI', RetryOpenAI],
    ['@RetryAzure', RetryAzure],
    ['@RetryNetwork', RetryNetwork],
    ['@Retry({ shouldRetry })', (options) => Retry({ ...options, shouldRetry: shouldRetryOpenAIError })],
  ];

  it.each(decorators)(
    '%s: a later call fails at once with UpstreamThrottledError, nothing sent',
    async (_name, decorate) => {
      const server = await serve((_request, index) =>
        index === 0 ? replies.rateLimited({ 'retry-after': '3600' }) : replies.ok(),
      );
      const setter = chatAgent(server, { key: 'any-decorator', decorate, maxAttempts: 1 });
      expect(
        statusOf(
          failure(
            await settleWithin(
              track(() => setter.complete('q')),
              2000,
            ),
          ),
        ),
      ).toBe(429);
      const later = chatAgent(server, { key: 'any-decorator', decorate });
      const outcome = await settleWithin(
        track(() => later.complete('q')),
        2000,
      );
      await expectThrottled(later, outcome, { reason: 'cooldown', trace: 'retry_after_exceeds_max' });
      expect(server.requests).toHaveLength(1);
    },
  );
});
