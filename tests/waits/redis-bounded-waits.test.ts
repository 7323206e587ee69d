/**
 * "Every wait is bounded by the call", for what replicas share through a real `redis-server`:
 * a cooldown or a rate limit heard from another replica (a second store on the same Redis,
 * as another replica's engine would use it), the cold-start gate (with a shared store the
 * first attempt of a cold key goes alone, the others wait for it, at most 1 s) and the shared
 * half-open probe claim (asked of Redis before a probe). This process is one replica,
 * configured with `configureResilience({ stateStore })`; the table is in bounded-waits.test.ts.
 */
import { Redis } from 'ioredis';
import {
  configureResilience,
  isCircuitOpenError,
  resetResilience,
  type CircuitOpenError,
  type SharedStateEvent,
} from '../../src';
import { createRedisStateStore, type RedisStateStore } from '../../src/integrations/redis';
import { describeWithRedis, startRedisServer, type RedisServer } from '../support/redis-server';
import { createTestLogger } from '../support/test-logger';
import { waitFor } from '../support/wait-for';
import {
  AT_ONCE_MS,
  callerAbort,
  chatAgent,
  expectSettledWithin,
  CUT_SLACK_MS,
  expectThrottled,
  expectCutBeforeAttempt,
  expectNoRequestUntil,
  failure,
  gate,
  replies,
  settleWithin,
  statusOf,
  track,
  turns,
  useServers,
  useStallMeter,
} from './support';

describeWithRedis('bounded waits with shared state in Redis', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  const stores: RedisStateStore[] = [];
  let unpause: (() => Promise<unknown>) | undefined;
  const serve = useServers();
  useStallMeter();

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await unpause?.();
    unpause = undefined;
    resetResilience();
    await Promise.all(stores.splice(0).map((store) => store.close()));
    clients.splice(0).forEach((client) => client.disconnect());
  });

  function client(): Redis {
    const created = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    clients.push(created);
    return created;
  }

  let prefixes = 0;

  /**
   * This replica's store (configured for the process) and another replica's, on one prefix;
   * resolves once this replica's subscription is live (it heard a cooldown the other shared).
   * `heard(type, key)`: this replica has received that event (the engine's mirror, subscribed
   * first, has applied it by then).
   */
  async function replicas(commandTimeoutMs?: number) {
    resetResilience();
    const prefix = `waits-${++prefixes}-${Date.now()}:`;
    const quiet = createTestLogger().logger;
    const mine = createRedisStateStore({ client: client(), prefix, logger: quiet, commandTimeoutMs });
    const other = createRedisStateStore({ client: client(), prefix, logger: quiet });
    stores.push(mine, other);
    configureResilience({ stateStore: mine, logger: quiet });
    const events: SharedStateEvent[] = [];
    mine.subscribe((event) => events.push(event));
    const heard = (type: SharedStateEvent['type'], key: string) =>
      events.some((event) => event.type === type && event.key === key);
    other.shareCooldown('subscription-ready', Date.now() + 60_000);
    await waitFor(() => heard('cooldown', 'subscription-ready'), { what: "this replica's subscription" });
    return { mine, other, heard };
  }

  describe('a cooldown heard from another replica', () => {
    it('10 minutes: a call with maxRetryAfterMs 60 000 fails at once with UpstreamThrottledError (cooldown)', async () => {
      const { other, heard } = await replicas();
      const server = await serve(replies.ok());
      other.shareCooldown('replica-10min', Date.now() + 600_000);
      await waitFor(() => heard('cooldown', 'replica-10min'), { what: 'the cooldown' });

      const agent = chatAgent(server, { key: 'replica-10min', maxRetryAfterMs: 60_000 });
      const outcome = await settleWithin(
        track(() => agent.complete('q')),
        2000,
      );
      const error = await expectThrottled(agent, outcome, { reason: 'cooldown', trace: 'retry_after_exceeds_max' });
      expect(error.retryAfterMs).toBeGreaterThan(590_000);
      expect(server.requests).toHaveLength(0);
    });

    it('500 ms: waited out, then the call succeeds', async () => {
      const { other, heard } = await replicas();
      let arrivedAt = 0;
      const server = await serve(() => {
        arrivedAt = Date.now();
        return replies.ok();
      });
      const until = Date.now() + 500;
      other.shareCooldown('replica-500ms', until);
      await waitFor(() => heard('cooldown', 'replica-500ms'), { what: 'the cooldown' });

      const agent = chatAgent(server, { key: 'replica-500ms' });
      const outcome = await settleWithin(
        track(() => agent.complete('q')),
        1500,
      );
      expect(outcome.ok).toBe(true);
      expect(arrivedAt).toBeGreaterThanOrEqual(until - 10);
      expect(server.requests).toHaveLength(1);
    });

    it('ending past the deadline: fails at once with UpstreamThrottledError (cooldown)', async () => {
      const { other, heard } = await replicas();
      const server = await serve(replies.ok());
      other.shareCooldown('replica-deadline', Date.now() + 2000);
      await waitFor(() => heard('cooldown', 'replica-deadline'), { what: 'the cooldown' });

      const agent = chatAgent(server, { key: 'replica-deadline', totalTimeoutMs: 300 });
      const outcome = await settleWithin(
        track(() => agent.complete('q')),
        1000,
      );
      await expectThrottled(agent, outcome, { reason: 'cooldown', trace: 'deadline' });
      expect(server.requests).toHaveLength(0);
    });

    it('a caller abort while waiting it out rejects at once with the abort reason; no attempt', async () => {
      const { other, heard } = await replicas();
      const server = await serve(replies.ok());
      const until = Date.now() + 1000;
      other.shareCooldown('replica-abort', until);
      await waitFor(() => heard('cooldown', 'replica-abort'), { what: 'the cooldown' });

      const agent = chatAgent(server, { key: 'replica-abort' });
      const { controller, reason } = callerAbort();
      const call = track(() => agent.complete('q', { signal: controller.signal }));
      await turns();
      expect(call.settled()).toBe(false);
      const abortedAt = Date.now();
      controller.abort(reason);
      const outcome = await settleWithin(call, 2000);
      expect(failure(outcome)).toBe(reason);
      await expectSettledWithin(outcome, AT_ONCE_MS, abortedAt);
      await expectNoRequestUntil(server, 0, until + 200);
    });
  });

  describe('a rate limit heard from another replica (pacing)', () => {
    it('1 request per minute: the slot (~62 s) is beyond maxRetryAfterMs, the call fails at once (pacing)', async () => {
      const { other, heard } = await replicas();
      const server = await serve(replies.ok());
      other.shareRateLimit('replica-limit-1', 1);
      await waitFor(() => heard('limit', 'replica-limit-1'), { what: 'the limit' });

      const agent = chatAgent(server, { key: 'replica-limit-1' });
      const outcome = await settleWithin(
        track(() => agent.complete('q')),
        2000,
      );
      const error = await expectThrottled(agent, outcome, { reason: 'pacing', trace: 'retry_after_exceeds_max' });
      expect(error.retryAfterMs).toBeGreaterThan(60_000);
      expect(server.requests).toHaveLength(0);
    });

    it('60 per minute (~1 s a slot): past a 300 ms deadline fails at once; a caller abort ends the wait at once', async () => {
      const { other, heard } = await replicas();
      const server = await serve(replies.ok());
      other.shareRateLimit('replica-limit-60', 60);
      await waitFor(() => heard('limit', 'replica-limit-60'), { what: 'the limit' });
      const heardAt = Date.now();

      const hurried = chatAgent(server, { key: 'replica-limit-60', totalTimeoutMs: 300 });
      const outcome = await settleWithin(
        track(() => hurried.complete('q')),
        1000,
      );
      await expectThrottled(hurried, outcome, { reason: 'pacing', trace: 'deadline' });

      const patient = chatAgent(server, { key: 'replica-limit-60' });
      const { controller, reason } = callerAbort();
      const call = track(() => patient.complete('q', controller.signal));
      await turns();
      expect(call.settled()).toBe(false);
      const abortedAt = Date.now();
      controller.abort(reason);
      const aborted = await settleWithin(call, 2000);
      expect(failure(aborted)).toBe(reason);
      await expectSettledWithin(aborted, AT_ONCE_MS, abortedAt);
      await expectNoRequestUntil(server, 0, heardAt + 1100 + 200);
    });
  });

  describe('the cold-start gate (a cold key: its first attempt goes alone)', () => {
    /** A cold key whose first attempt hangs at the server until `release`. */
    async function coldKeyBusy(key: string) {
      await replicas();
      const held = gate();
      const server = await serve(async (_request, index) => {
        if (index === 0) await held.opened;
        return replies.ok();
      });
      const first = chatAgent(server, { key });
      const startedAt = Date.now();
      const firstCall = track(() => first.complete('first'));
      await waitFor(() => server.requests.length === 1, { what: 'the first attempt of the cold key' });
      return { server, startedAt, firstCall, release: held.open };
    }

    it('issue scenario: a waiting call with totalTimeoutMs 300 is cut at ~300 ms (not ~1 s) with RetryTimeoutError, never sent', async () => {
      const { server, firstCall, release } = await coldKeyBusy('cold-deadline');
      const waiting = chatAgent(server, { key: 'cold-deadline', totalTimeoutMs: 300 });
      const outcome = await settleWithin(
        track(() => waiting.complete('q')),
        300 + CUT_SLACK_MS,
        'the waiting call',
      );
      await expectCutBeforeAttempt(
        waiting,
        outcome,
        300,
        /was not attempted: .*300 ms.* the first attempt of a cold key/,
      );
      release();
      expect((await settleWithin(firstCall, 2000, 'the first call')).ok).toBe(true);
      await turns(10);
      expect(server.requests).toHaveLength(1);
    });

    it('a caller abort while held at the gate rejects at once with the abort reason, never sent', async () => {
      const { server, firstCall, release } = await coldKeyBusy('cold-abort');
      const waiting = chatAgent(server, { key: 'cold-abort' });
      const { controller, reason } = callerAbort();
      const call = track(() => waiting.complete('q', controller.signal));
      await turns();
      expect(call.settled()).toBe(false);
      const abortedAt = Date.now();
      controller.abort(reason);
      const outcome = await settleWithin(call, 1000);
      expect(failure(outcome)).toBe(reason);
      await expectSettledWithin(outcome, AT_ONCE_MS, abortedAt);
      release();
      expect((await settleWithin(firstCall, 2000, 'the first call')).ok).toBe(true);
      await turns(10);
      expect(server.requests).toHaveLength(1);
    });

    it('without a deadline, a held call goes after at most ~1 s even while the first attempt still runs', async () => {
      const { server, startedAt, firstCall, release } = await coldKeyBusy('cold-max');
      const waiting = chatAgent(server, { key: 'cold-max' });
      const call = track(() => waiting.complete('q'));
      const outcome = await settleWithin(call, 1000 + 500 - (Date.now() - startedAt), 'the held call');
      expect(outcome.ok).toBe(true);
      expect(outcome.at - startedAt).toBeGreaterThanOrEqual(950);
      expect(firstCall.settled()).toBe(false);
      release();
      expect((await settleWithin(firstCall, 2000, 'the first call')).ok).toBe(true);
    });
  });

  describe('the shared half-open probe claim', () => {
    /** A circuit opened by a 503 on `key`, past its open wait; Redis then holds its writes. */
    async function halfOpenWithRedisPaused(key: string) {
      await replicas(2000);
      const server = await serve((_request, index) => (index === 0 ? replies.unavailable() : replies.ok()));
      const breaker = { failureThreshold: 1, halfOpenAfterMs: 200 };
      const opener = chatAgent(server, { key, maxAttempts: 1, circuitBreaker: breaker });
      const opened = await settleWithin(
        track(() => opener.complete('opens')),
        2000,
      );
      expect(statusOf(failure(opened))).toBe(503);
      await waitFor(() => Date.now() >= opened.at + 200 + 60, { what: 'the open wait to pass' });
      // Redis holds every write (the claim is a script) until unpaused: the claim's answer is late.
      const admin = client();
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      unpause = () => admin.call('CLIENT', 'UNPAUSE');
      return { server, breaker };
    }

    it('a claim Redis is slow to answer is cut at the deadline: RetryTimeoutError, no probe sent', async () => {
      const { server, breaker } = await halfOpenWithRedisPaused('probe-claim-deadline');
      const prober = chatAgent(server, {
        key: 'probe-claim-deadline',
        maxAttempts: 1,
        circuitBreaker: breaker,
        totalTimeoutMs: 300,
      });
      const outcome = await settleWithin(
        track(() => prober.complete('probe')),
        300 + CUT_SLACK_MS,
        'the probe call',
      );
      await expectCutBeforeAttempt(prober, outcome, 300, /was not attempted: .*300 ms.* the half-open probe claim/);
      expect(server.requests).toHaveLength(1);
    });

    it('a caller abort while the claim is pending rejects at once with the abort reason, no probe sent', async () => {
      const { server, breaker } = await halfOpenWithRedisPaused('probe-claim-abort');
      const prober = chatAgent(server, { key: 'probe-claim-abort', maxAttempts: 1, circuitBreaker: breaker });
      const { controller, reason } = callerAbort();
      const call = track(() => prober.complete('probe', { signal: controller.signal }));
      await turns();
      expect(call.settled()).toBe(false);
      const abortedAt = Date.now();
      controller.abort(reason);
      const outcome = await settleWithin(call, 1000);
      expect(failure(outcome)).toBe(reason);
      await expectSettledWithin(outcome, AT_ONCE_MS, abortedAt);
      await unpause?.();
      await turns(10);
      expect(server.requests).toHaveLength(1);
    });

    it("while this replica's probe runs (probeTimeoutMs 5000, halfOpenAfterMs 300), another replica is refused the probe for its remaining time", async () => {
      const { other } = await replicas();
      const held = gate();
      const server = await serve(async (_request, index) => {
        if (index === 0) return replies.unavailable();
        await held.opened;
        return replies.ok();
      });
      const breaker = { failureThreshold: 1, halfOpenAfterMs: 300, probeTimeoutMs: 5000 };
      const agent = chatAgent(server, { key: 'probe-hold', maxAttempts: 1, circuitBreaker: breaker });
      const opened = await settleWithin(
        track(() => agent.complete('opens')),
        2000,
      );
      expect(statusOf(failure(opened))).toBe(503);
      await waitFor(() => Date.now() >= opened.at + 300 + 60, { what: 'the open wait to pass' });
      const probe = track(() => agent.complete('probe'));
      try {
        await waitFor(() => server.requests.length === 2, { what: 'the probe to reach the server' });
        const probeSentAt = Date.now();
        // In this process: refused at once, told the probe's remaining time.
        const local = failure(
          await settleWithin(
            track(() => agent.complete('kept out')),
            1000,
          ),
        );
        expect(isCircuitOpenError(local) && (local as CircuitOpenError).retryAfterMs).toBeGreaterThan(1000);
        // Past halfOpenAfterMs, the probe still runs: another replica asking (as its engine does,
        // with its own halfOpenAfterMs) must not get a second probe, and is told the time left.
        await waitFor(() => Date.now() >= probeSentAt + 300 + 100, { what: 'halfOpenAfterMs to pass again' });
        expect(probe.settled()).toBe(false);
        const claim = await other.claimCircuitProbe('probe-hold', breaker.halfOpenAfterMs);
        expect(claim).toEqual({ granted: false, retryAfterMs: expect.any(Number) });
        expect((claim as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(1000);
      } finally {
        held.open();
      }
      expect((await settleWithin(probe, 2000, 'the probe')).ok).toBe(true);
    });
  });
});
