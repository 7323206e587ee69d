/**
 * "Every wait is bounded by the call", the waits of unknown length kept in this process: the
 * bulkhead queue (a caller abort ends it, the deadline cuts it; it has no known end and is
 * not upstream-dictated, so the other two bounds do not apply), the half-open probe (runs
 * under an attempt timeout; the calls it keeps out fail at once with the probe's remaining
 * time) and many calls sharing one caller signal. The real `openai` SDK (`maxRetries: 0`)
 * against a loopback HTTP server, real timers. The table is in bounded-waits.test.ts.
 */
import { setMaxListeners } from 'node:events';
import vm from 'node:vm';
import {
  createResiliencePipeline,
  isAttemptTimeoutError,
  isCircuitOpenError,
  isUpstreamThrottledError,
  type CircuitOpenError,
} from '../../src';
import { upstreamFor } from '../../src/upstreams/per-key-state';
import { createTestLogger } from '../support/test-logger';
import { waitFor } from '../support/wait-for';
import {
  AT_ONCE_MS,
  callerAbort,
  chatAgent,
  expectSettledWithin,
  CUT_SLACK_MS,
  expectCutBeforeAttempt,
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
} from './support';

useFreshResilience();
const serve = useServers();

const BULKHEAD = { maxConcurrency: 1, queueLimit: 5 };

describe('bulkhead queue (maxConcurrency 1)', () => {
  it('a caller abort while queued rejects at once with the abort reason; the call never reaches the server', async () => {
    const held = gate();
    const server = await serve(async (_request, index) => {
      if (index === 0) await held.opened;
      return replies.ok();
    });
    const agent = chatAgent(server, { key: 'bulkhead-abort', bulkhead: BULKHEAD });
    const holder = track(() => agent.complete('holder'));
    await waitFor(() => server.requests.length === 1, { what: "the holder's request" });
    const { controller, reason } = callerAbort();
    const queued = track(() => agent.complete('queued', { signal: controller.signal }));
    await turns();
    expect(queued.settled()).toBe(false);
    const abortedAt = Date.now();
    controller.abort(reason);

    const outcome = await settleWithin(queued, 2000);
    expect(failure(outcome)).toBe(reason);
    await expectSettledWithin(outcome, AT_ONCE_MS, abortedAt);
    // The slot frees: the aborted call, no longer queued, does not take it.
    held.open();
    expect((await settleWithin(holder, 2000, 'the holder')).ok).toBe(true);
    await turns(10);
    expect(agent.named('retry_attempt_start')).toHaveLength(1);
    expect(server.requests).toHaveLength(1);
  });

  it('issue scenario: queued with totalTimeoutMs 300 behind a 2 s request: RetryTimeoutError at ~300 ms, never sent', async () => {
    const held = gate();
    const server = await serve(async (_request, index) => {
      if (index === 0) await Promise.race([held.opened, new Promise((resolve) => setTimeout(resolve, 2000))]);
      return replies.ok();
    });
    const holder = chatAgent(server, { key: 'bulkhead-deadline', bulkhead: BULKHEAD });
    const hurried = chatAgent(server, { key: 'bulkhead-deadline', bulkhead: BULKHEAD, totalTimeoutMs: 300 });
    const holding = track(() => holder.complete('holder'));
    await waitFor(() => server.requests.length === 1, { what: "the holder's request" });

    const outcome = await settleWithin(
      track(() => hurried.complete('queued')),
      300 + CUT_SLACK_MS,
      'the queued call',
    );
    const { warn } = await expectCutBeforeAttempt(hurried, outcome, 300);
    expect(warn.message).toMatch(/was not attempted: .*300 ms.* a bulkhead slot/);
    held.open();
    expect((await settleWithin(holding, 2500, 'the holder')).ok).toBe(true);
    await turns(10);
    expect(server.requests).toHaveLength(1);
  });

  it("a call whose first attempt failed and whose retry is queued is cut at the deadline with that attempt's error", async () => {
    const first = gate();
    const second = gate();
    const server = await serve(async (_request, index) => {
      if (index === 0) {
        await first.opened;
        return replies.unavailable();
      }
      if (index === 1) await second.opened;
      return replies.ok();
    });
    const caller = chatAgent(server, {
      key: 'bulkhead-retry',
      bulkhead: BULKHEAD,
      baseDelayMs: 100,
      jitter: 'none',
      totalTimeoutMs: 800,
    });
    const other = chatAgent(server, { key: 'bulkhead-retry', bulkhead: BULKHEAD });
    const call = track(() => caller.complete('q'));
    await waitFor(() => server.requests.length === 1, { what: "the caller's first request" });
    const otherCall = track(() => other.complete('other'));
    await turns();
    // The caller's 503 frees the slot; the other call takes it and holds it past the deadline.
    first.open();
    await waitFor(() => server.requests.length === 2, { what: "the other call's request" });

    const outcome = await settleWithin(call, 800 + CUT_SLACK_MS);
    const error = failure(outcome);
    expect(error).toBe(caller.attemptErrors[0]);
    expect(statusOf(error)).toBe(503);
    expect(outcome.ms).toBeGreaterThanOrEqual(795);
    expect(caller.named('retry_not_retryable')).toEqual([expect.objectContaining({ reason: 'deadline' })]);
    second.open();
    expect((await settleWithin(otherCall, 2000, 'the other call')).ok).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it('an attempt abandoned on its attemptTimeoutMs keeps its slot until its request has really ended', async () => {
    const held = gate();
    let firstAnsweredAt = Infinity;
    let secondArrivedAt = 0;
    const server = await serve(async (_request, index) => {
      if (index === 0) {
        await held.opened;
        firstAnsweredAt = Date.now();
      } else secondArrivedAt = Date.now();
      return replies.ok();
    });
    // The method does not pass the attempt's signal to the SDK: an abandoned request runs on.
    const agent = chatAgent(server, {
      key: 'bulkhead-abandoned',
      bulkhead: BULKHEAD,
      attemptTimeoutMs: 200,
      maxAttempts: 1,
      passSignal: false,
    });
    const abandoned = await settleWithin(
      track(() => agent.complete('slow')),
      200 + CUT_SLACK_MS,
    );
    expect(isAttemptTimeoutError(failure(abandoned))).toBe(true);

    const next = track(() => agent.complete('next'));
    // The first request is still running: the second call waits for its slot.
    await expectNoRequestUntil(server, 1, Date.now() + 300);
    expect(next.settled()).toBe(false);
    held.open();
    expect((await settleWithin(next, 2000, 'the second call')).ok).toBe(true);
    expect(secondArrivedAt).toBeGreaterThanOrEqual(firstAnsweredAt);
    expect(server.requests).toHaveLength(2);
  });

  it('a 429 with retry-after 3600 met by the attempt ahead: the queued calls are refused when they get the slot (UpstreamThrottledError, cooldown), never sent', async () => {
    const held = gate();
    const server = await serve(async (_request, index) => {
      if (index === 0) {
        await held.opened;
        return replies.rateLimited({ 'retry-after': '3600' });
      }
      return replies.ok();
    });
    const holder = chatAgent(server, { key: 'bulkhead-cooldown', bulkhead: BULKHEAD, maxAttempts: 1 });
    const queuedAgent = chatAgent(server, { key: 'bulkhead-cooldown', bulkhead: BULKHEAD });
    const holding = track(() => holder.complete('holder'));
    await waitFor(() => server.requests.length === 1, { what: "the holder's request" });
    const queued = [1, 2, 3].map(() => track(() => queuedAgent.complete('queued')));
    await turns();
    expect(queued.some((call) => call.settled())).toBe(false);
    held.open();

    expect(statusOf(failure(await settleWithin(holding, 2000, 'the holder')))).toBe(429);
    for (const call of queued) {
      const error = failure(await settleWithin(call, 2000, 'a queued call'));
      expect(isUpstreamThrottledError(error) && error.reason === 'cooldown').toBe(true);
    }
    expect(queuedAgent.named('retry_attempt_start')).toEqual([]);
    await turns(10);
    expect(server.requests).toHaveLength(1);
  });

  it('pacing learned while calls sat in the queue (x-ratelimit-limit-requests: 1 from the attempt ahead): each takes a slot first, ~62 s away, beyond its cap: refused (pacing), never sent', async () => {
    const held = gate();
    const server = await serve(async (_request, index) => {
      if (index === 0) {
        await held.opened;
        return replies.unavailable({ 'x-ratelimit-limit-requests': '1' });
      }
      return replies.ok();
    });
    const holder = chatAgent(server, { key: 'bulkhead-paced', bulkhead: BULKHEAD, maxAttempts: 1 });
    const queuedAgent = chatAgent(server, { key: 'bulkhead-paced', bulkhead: BULKHEAD });
    const holding = track(() => holder.complete('holder'));
    await waitFor(() => server.requests.length === 1, { what: "the holder's request" });
    const queued = [1, 2, 3].map(() => track(() => queuedAgent.complete('queued')));
    await turns();
    held.open();

    expect(statusOf(failure(await settleWithin(holding, 2000, 'the holder')))).toBe(503);
    for (const call of queued) {
      const error = failure(await settleWithin(call, 2000, 'a queued call'));
      expect(isUpstreamThrottledError(error) && error.reason === 'pacing').toBe(true);
    }
    await turns(10);
    expect(server.requests).toHaveLength(1);
  });
});

describe('half-open probe', () => {
  /** Opens the key's circuit with a 503 and waits until halfOpenAfterMs has passed. */
  async function openThenHalfOpen(agent: Agent, halfOpenAfterMs: number): Promise<void> {
    const opened = await settleWithin(
      track(() => agent.complete('opens')),
      2000,
      'the call that opens the circuit',
    );
    expect(statusOf(failure(opened))).toBe(503);
    expect(agent.named('circuit_opened')).toHaveLength(1);
    await waitFor(() => Date.now() >= opened.at + halfOpenAfterMs + 20, { what: 'the open wait to pass' });
  }

  it('while the probe runs (probeTimeoutMs 5000) other calls fail at once with CircuitOpenError and retryAfterMs > 1000', async () => {
    const held = gate();
    const server = await serve(async (_request, index) => {
      if (index === 0) return replies.unavailable();
      await held.opened;
      return replies.ok();
    });
    const agent = chatAgent(server, {
      key: 'probe-running',
      maxAttempts: 1,
      circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 200, probeTimeoutMs: 5000 },
    });
    await openThenHalfOpen(agent, 200);
    const probe = track(() => agent.complete('probe'));
    await waitFor(() => server.requests.length === 2, { what: 'the probe to reach the server' });

    const refused = await settleWithin(
      track(() => agent.complete('kept out')),
      1000,
    );
    const error = failure(refused);
    if (!isCircuitOpenError(error)) throw new Error(`expected a CircuitOpenError, got ${String(error)}`);
    expect((error as CircuitOpenError).retryAfterMs).toBeGreaterThan(1000);
    expect((error as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(5000);
    await expectSettledWithin(refused, AT_ONCE_MS);
    expect(server.requests).toHaveLength(2);

    held.open();
    expect((await settleWithin(probe, 2000, 'the probe')).ok).toBe(true);
    expect(agent.named('circuit_closed')).toHaveLength(1);
  });

  it('a probe hanging past probeTimeoutMs is abandoned and counts as a failed probe: the circuit re-opens', async () => {
    const server = await serve((_request, index) => (index === 0 ? replies.unavailable() : { kind: 'hang' }));
    const agent = chatAgent(server, {
      key: 'probe-hangs',
      maxAttempts: 1,
      circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 200, probeTimeoutMs: 400 },
    });
    await openThenHalfOpen(agent, 200);
    const probe = await settleWithin(
      track(() => agent.complete('probe')),
      400 + CUT_SLACK_MS,
      'the hanging probe',
    );
    expect(isAttemptTimeoutError(failure(probe))).toBe(true);
    expect(probe.ms).toBeGreaterThanOrEqual(395);
    expect(agent.named('circuit_opened')).toHaveLength(2);
    await waitFor(() => server.requests[1]?.closedBeforeReply === true, { what: 'the probe request to be aborted' });

    const after = await settleWithin(
      track(() => agent.complete('after')),
      1000,
    );
    const error = failure(after);
    expect(isCircuitOpenError(error)).toBe(true);
    // Re-opened with twice the wait.
    expect((error as CircuitOpenError).retryAfterMs).toBeGreaterThan(250);
    expect(server.requests).toHaveLength(2);
  });

  it("the call's own attemptTimeoutMs bounds the probe (shorter than probeTimeoutMs), and is the remaining time others are told", async () => {
    const server = await serve((_request, index) => (index === 0 ? replies.unavailable() : { kind: 'hang' }));
    const agent = chatAgent(server, {
      key: 'probe-attempt-timeout',
      maxAttempts: 1,
      attemptTimeoutMs: 300,
      circuitBreaker: { failureThreshold: 1, halfOpenAfterMs: 200, probeTimeoutMs: 5000 },
    });
    await openThenHalfOpen(agent, 200);
    const probe = track(() => agent.complete('probe'));
    await waitFor(() => server.requests.length === 2, { what: 'the probe to reach the server' });
    const refused = await settleWithin(
      track(() => agent.complete('kept out')),
      1000,
    );
    const error = failure(refused);
    expect(isCircuitOpenError(error)).toBe(true);
    expect((error as CircuitOpenError).retryAfterMs).toBeGreaterThan(1);
    expect((error as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(300);

    const probeOutcome = await settleWithin(probe, 300 + CUT_SLACK_MS, 'the probe');
    expect(isAttemptTimeoutError(failure(probeOutcome))).toBe(true);
    expect(agent.named('circuit_opened')).toHaveLength(2);
  });

  it('a stream refused after it got the probe permit (a cooldown beyond its cap, seen when it left the bulkhead queue) gives the permit back', async () => {
    const held = gate();
    const server = await serve(async (_request, index) => {
      if (index === 0) {
        await held.opened;
        return replies.rateLimited({ 'retry-after-ms': '5000' });
      }
      return replies.unavailable();
    });
    const key = 'probe-permit-stream';
    const circuitBreaker = { failureThreshold: 1, halfOpenAfterMs: 100 };
    const holder = chatAgent(server, { key, bulkhead: BULKHEAD, circuitBreaker, maxAttempts: 1 });
    const opener = chatAgent(server, { key, circuitBreaker, maxAttempts: 1 });
    const pipeline = createResiliencePipeline({
      key,
      bulkhead: BULKHEAD,
      circuitBreaker,
      maxAttempts: 1,
      maxRetryAfterMs: 1000,
      logger: createTestLogger().logger,
    });
    const holding = track(() => holder.complete('holder'));
    await waitFor(() => server.requests.length === 1, { what: "the holder's request" });
    let started = false;
    const streaming = track(async () => {
      const items: number[] = [];
      for await (const item of pipeline.stream(async function* () {
        started = true;
        yield 1;
      }))
        items.push(item);
      return items;
    });
    await turns();
    // Another caller's 503 opens the circuit; past halfOpenAfterMs the next attempt is the probe.
    expect(
      statusOf(
        failure(
          await settleWithin(
            track(() => opener.complete('opener')),
            2000,
            'the opener',
          ),
        ),
      ),
    ).toBe(503);
    const openedAt = Date.now();
    await waitFor(() => Date.now() - openedAt > 150, { what: 'the open wait to pass' });
    // The holder gets a 429 (a 5 s cooldown) and frees its slot: the stream takes the probe, then sees the cooldown.
    held.open();
    expect(statusOf(failure(await settleWithin(holding, 2000, 'the holder')))).toBe(429);

    const error = failure(await settleWithin(streaming, 2000, 'the stream'));
    expect(isUpstreamThrottledError(error) && error.reason === 'cooldown').toBe(true);
    expect(started).toBe(false);
    expect(upstreamFor(key).circuit.existing()?.probesInFlight).toBe(0);
    expect(server.requests).toHaveLength(2);
  });
});

describe('one caller signal shared by many calls', () => {
  // Jest gives each test file a copy of `process`: Node's warnings are emitted on the real one.
  const realProcess = vm.runInThisContext('process') as NodeJS.Process;

  async function warningsDuring(action: () => Promise<void>): Promise<string[]> {
    const seen: string[] = [];
    const onWarning = (warning: Error) => seen.push(`${warning.name}: ${warning.message}`);
    realProcess.on('warning', onWarning);
    try {
      await action();
      // Warnings are emitted on a later tick.
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      realProcess.off('warning', onWarning);
    }
    return seen.filter((text) => text.startsWith('MaxListenersExceededWarning'));
  }

  it('the warning detector sees a MaxListenersExceededWarning (control: 11 listeners on one signal; Node prints it once)', async () => {
    const seen = await warningsDuring(async () => {
      const signal = new AbortController().signal;
      // Node 20's default limit; Node 22+ sets none on an AbortSignal (and would never warn).
      setMaxListeners(10, signal);
      for (let i = 0; i < 11; i++) signal.addEventListener('abort', () => undefined);
    });
    expect(seen).toHaveLength(1);
  });

  it('50 calls sharing one caller signal, in each kind of wait and in attempts, raise no MaxListenersExceededWarning; the abort ends them all', async () => {
    const CALLS = 50;
    const held = gate();
    const cooldownServer = await serve((_request, index) =>
      index === 0 ? replies.rateLimited({ 'retry-after-ms': '5000' }) : replies.ok(),
    );
    const bulkheadServer = await serve(async (_request, index) => {
      if (index === 0) await held.opened;
      return replies.ok();
    });
    const pacingServer = await serve((_request, index) =>
      index === 0 ? replies.unavailable({ 'x-ratelimit-limit-requests': '60' }) : replies.ok(),
    );
    const hangingServer = await serve({ kind: 'hang' });

    const cooled = chatAgent(cooldownServer, { key: 'many-cooldown' });
    const queued = chatAgent(bulkheadServer, {
      key: 'many-bulkhead',
      bulkhead: { maxConcurrency: 1, queueLimit: 100 },
    });
    const paced = chatAgent(pacingServer, { key: 'many-pacing' });
    const running = chatAgent(hangingServer, { key: 'many-running' });
    const setUp = [
      chatAgent(cooldownServer, { key: 'many-cooldown', maxAttempts: 1 }).complete('429'),
      chatAgent(pacingServer, { key: 'many-pacing', maxAttempts: 1 }).complete('503'),
    ];
    await Promise.allSettled(setUp);
    const holder = track(() => queued.complete('holder'));
    await waitFor(() => bulkheadServer.requests.length === 1, { what: "the bulkhead holder's request" });

    const { controller, reason } = callerAbort();
    // The limit a warning would cross: Node 20's default, set for Node 22+ (none by default there).
    setMaxListeners(10, controller.signal);
    const calls: Array<ReturnType<typeof track>> = [];
    const seen = await warningsDuring(async () => {
      for (let i = 0; i < CALLS; i++) {
        // Both shapes of the caller's signal.
        const caller = i % 2 === 0 ? controller.signal : { signal: controller.signal };
        for (const agent of [cooled, queued, paced, running]) calls.push(track(() => agent.complete(`q${i}`, caller)));
      }
      await waitFor(() => hangingServer.requests.length === CALLS, {
        what: 'every running attempt to reach the server',
      });
      await turns();
      expect(calls.filter((call) => call.settled())).toEqual([]);
      controller.abort(reason);
      const outcomes = await Promise.all(calls.map((call) => settleWithin(call, 2000, 'a call sharing the signal')));
      expect(outcomes.filter((outcome) => outcome.error !== reason)).toEqual([]);
    });
    expect(seen).toEqual([]);
    held.open();
    expect((await settleWithin(holder, 2000, 'the bulkhead holder')).ok).toBe(true);
    expect(cooldownServer.requests).toHaveLength(1);
    expect(pacingServer.requests).toHaveLength(1);
    expect(bulkheadServer.requests).toHaveLength(1);
  });
});
