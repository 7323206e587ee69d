// The engine and the Redis store together for the circuit breaker, the retry budget and the
// pacing: this process is one replica; other stores (each with its own client) play the other
// replicas on the same real redis-server.
import { Redis } from 'ioredis';
import { InternalServerError } from 'openai';
import { configureResilience, isCircuitOpenError, resetResilience, RetryOpenAI } from '../../src';
import type { SharedCircuitOptions, SharedStateEvent } from '../../src/ports/shared-state-store';
import { upstreamFor } from '../../src/upstreams/per-key-state';
import { createRedisStateStore, type RedisStateStore } from '../../src/integrations/redis';
import { describeWithRedis, startRedisServer, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait-for';

const quiet = { error() {}, warn() {}, info() {}, debug() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const down = () => new InternalServerError(503, { message: 'unavailable' }, undefined, new Headers());

const BREAKER: SharedCircuitOptions = {
  failureThreshold: 4,
  minimumThroughput: 10,
  samplingDurationMs: 60_000,
  halfOpenAfterMs: 5_000,
  maxHalfOpenAfterMs: 60_000,
};

describeWithRedis('circuit breaker, retry budget and pacing shared through Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  const clients: Redis[] = [];
  const stores: RedisStateStore[] = [];
  let prefix: string;
  let count = 0;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  beforeEach(() => {
    prefix = `protection-${process.pid}-${++count}:`;
  });
  afterEach(async () => {
    resetResilience();
    await Promise.all(stores.splice(0).map((store) => store.close()));
    clients.splice(0).forEach((client) => client.disconnect());
  });

  /** Another replica: a store with its own client, and what its listener hears. */
  function replica(): { store: RedisStateStore; events: SharedStateEvent[] } {
    const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    clients.push(client);
    const store = createRedisStateStore({ client, prefix, logger: quiet });
    stores.push(store);
    const events: SharedStateEvent[] = [];
    store.subscribe((event) => events.push(event));
    return { store, events };
  }

  /** Resolves once every replica made by `replica()` is subscribed to the events channel. */
  async function allSubscribed(): Promise<void> {
    await waitFor(
      async () =>
        Number(((await admin.call('PUBSUB', 'NUMSUB', `${prefix}events`)) as [string, string])[1]) === stores.length,
      { what: `${stores.length} replicas subscribed to ${prefix}events` },
    );
  }

  /**
   * This process, sharing through its own store; resolves once subscribed. `applied` is what
   * a listener added after the engine's own heard: once an event is in it, the engine has
   * applied it (a store tells its listeners in the order they subscribed).
   */
  async function thisReplica(): Promise<{ store: RedisStateStore; applied: SharedStateEvent[] }> {
    const { store } = replica();
    configureResilience({ stateStore: store, logger: quiet, random: () => 0 });
    const applied: SharedStateEvent[] = [];
    store.subscribe((event) => applied.push(event));
    await allSubscribed();
    return { store, applied };
  }

  /** The failures and calls in the shared ratio-mode window of `key` (the `f:`/`t:` buckets). */
  async function sharedWindow(key: string): Promise<{ failures: number; total: number }> {
    const fields = await admin.hgetall(`${prefix}breaker:${key}`);
    const sum = (kind: string) =>
      Object.entries(fields)
        .filter(([field]) => field.startsWith(`${kind}:`))
        .reduce((total, [, value]) => total + Number(value), 0);
    return { failures: sum('f'), total: sum('t') };
  }

  /** Resolves once the shared circuit of `key` is past its open wait, on Redis's clock (a probe may be claimed). */
  async function sharedOpenWaitOver(key: string): Promise<void> {
    await waitFor(
      async () => {
        const [openUntil, [seconds, micros]] = await Promise.all([
          admin.hget(`${prefix}breaker:${key}`, 'openUntil'),
          admin.time(),
        ]);
        return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) >= Number(openUntil ?? 0);
      },
      { what: `the shared circuit of ${key} to be past its open wait` },
    );
  }

  it('failures counted across replicas open the circuit here: the next call fails fast without being made', async () => {
    await thisReplica();
    const other = replica();
    await allSubscribed();
    let made = 0;
    class Chat {
      @RetryOpenAI({
        key: 'openai|shared',
        maxAttempts: 1,
        circuitBreaker: { failureThreshold: 4, halfOpenAfterMs: 5000 },
      })
      async complete(): Promise<string> {
        made++;
        throw down();
      }
    }
    // Three failures elsewhere, one here: 4 in a row across replicas, though this process saw only 1.
    for (let i = 0; i < 3; i++) other.store.shareCircuitOutcome('openai|shared', { outcome: 'failure' }, BREAKER);
    await waitFor(async () => (await admin.hget(`${prefix}breaker:openai|shared`, 'failures')) === '3', {
      what: 'the three failures to be counted',
    });
    await expect(new Chat().complete()).rejects.toBeInstanceOf(InternalServerError);
    await waitFor(() => upstreamFor('openai|shared').circuit.state() === 'open', {
      what: 'the shared circuit to open here',
    });
    const error = await new Chat().complete().catch((e: unknown) => e);
    expect(isCircuitOpenError(error)).toBe(true);
    expect(made).toBe(1);
    expect(await admin.hget(`${prefix}breaker:openai|shared`, 'state')).toBe('open');
    expect(await admin.pttl(`${prefix}breaker:openai|shared`)).toBeGreaterThan(60_000);
    // The other replica heard it too, with how long it stays open.
    expect(other.events).toContainEqual({
      type: 'circuit',
      key: 'openai|shared',
      state: 'open',
      openForMs: 5000,
      failures: 4,
    });
  });

  it('a success anywhere resets the shared count of consecutive failures', async () => {
    const a = replica();
    const b = replica();
    await allSubscribed();
    for (let i = 0; i < 3; i++) a.store.shareCircuitOutcome('k', { outcome: 'failure' }, BREAKER);
    await waitFor(() => b.events.some((event) => event.type === 'failing'), {
      what: 'B to hear that the key is failing',
    });
    b.store.shareCircuitOutcome('k', { outcome: 'success' }, BREAKER);
    await waitFor(async () => (await admin.hget(`${prefix}breaker:k`, 'failures')) === '0', {
      what: 'the success to reset the count',
    });
    a.store.shareCircuitOutcome('k', { outcome: 'failure' }, BREAKER);
    await waitFor(async () => (await admin.hget(`${prefix}breaker:k`, 'failures')) !== '0', {
      what: 'the next failure to be counted',
    });
    expect(await admin.hget(`${prefix}breaker:k`, 'state')).not.toBe('open');
    expect(await admin.hget(`${prefix}breaker:k`, 'failures')).toBe('1');
  });

  it('ratio mode: failures and successes from every replica fill one window', async () => {
    const a = replica();
    const b = replica();
    const ratio: SharedCircuitOptions = {
      ...BREAKER,
      failureThreshold: undefined,
      failureRatio: 0.5,
      minimumThroughput: 10,
    };
    await allSubscribed();
    a.store.shareCircuitOutcome('r', { outcome: 'failure', successes: 4 }, ratio); // 1 of 5
    b.store.shareCircuitOutcome('r', { outcome: 'failure', successes: 2 }, ratio); // 2 of 8
    await waitFor(async () => (await sharedWindow('r')).total === 8, { what: 'both reports in the window' });
    expect(await admin.hget(`${prefix}breaker:r`, 'state')).toBeNull();
    b.store.shareCircuitOutcome('r', { outcome: 'failure' }, ratio); // 3 of 9: below the throughput
    a.store.shareCircuitOutcome('r', { outcome: 'failure' }, ratio); // 4 of 10: 40%
    await waitFor(async () => (await sharedWindow('r')).total === 10, { what: 'both failures in the window' });
    expect(await admin.hget(`${prefix}breaker:r`, 'state')).toBeNull();
    a.store.shareCircuitOutcome('r', { outcome: 'failure' }, ratio); // 5 of 11: 45%
    b.store.shareCircuitOutcome('r', { outcome: 'failure' }, ratio); // 6 of 12: 50%: opens
    await waitFor(async () => (await admin.hget(`${prefix}breaker:r`, 'state')) === 'open', {
      what: 'the circuit to open',
    });
    await waitFor(() => a.events.length > 0, { what: 'A to hear it' });
    expect(a.events).toContainEqual({ type: 'circuit', key: 'r', state: 'open', openForMs: 5000, failures: 6 });
  });

  it('half-open: only one replica at a time gets the probe; its success closes the circuit everywhere', async () => {
    const a = replica();
    const b = replica();
    const quick = { ...BREAKER, halfOpenAfterMs: 100 };
    for (let i = 0; i < 4; i++) a.store.shareCircuitOutcome('p', { outcome: 'failure' }, quick);
    await waitFor(() => b.events.some((event) => event.type === 'circuit'), { what: 'the circuit to open' });
    // Still open: nobody may probe yet.
    const early = await b.store.claimCircuitProbe('p', 1000);
    expect(early.granted).toBe(false);
    await sharedOpenWaitOver('p');
    const claims = await Promise.all([a.store.claimCircuitProbe('p', 1000), b.store.claimCircuitProbe('p', 1000)]);
    expect(claims.filter((claim) => claim.granted)).toHaveLength(1);
    const refused = claims.find((claim) => !claim.granted) as { granted: false; retryAfterMs: number };
    expect(refused.retryAfterMs).toBeGreaterThan(900);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
    const prober = claims[0].granted ? a : b;
    const waiting = prober === a ? b : a;
    prober.store.shareCircuitOutcome('p', { outcome: 'probe_success' }, quick);
    await waitFor(
      () => [a, b].every(({ events }) => events.some((event) => event.type === 'circuit' && event.state === 'closed')),
      { what: 'both to hear that it closed' },
    );
    expect(await admin.hget(`${prefix}breaker:p`, 'state')).toBe('closed');
    expect(await admin.hget(`${prefix}breaker:p`, 'probe')).toBeNull();
    // Closed: a probe claim is granted (a replica whose own breaker is half-open may try).
    expect((await waiting.store.claimCircuitProbe('p', 1000)).granted).toBe(true);
  });

  it('a failed probe re-opens the shared circuit with a doubled wait', async () => {
    const a = replica();
    const quick = { ...BREAKER, halfOpenAfterMs: 100 };
    for (let i = 0; i < 4; i++) a.store.shareCircuitOutcome('q', { outcome: 'failure' }, quick);
    await waitFor(async () => (await admin.hget(`${prefix}breaker:q`, 'state')) === 'open', {
      what: 'the circuit to open',
    });
    await sharedOpenWaitOver('q');
    expect((await a.store.claimCircuitProbe('q', 1000)).granted).toBe(true);
    a.store.shareCircuitOutcome('q', { outcome: 'probe_failure' }, quick);
    await waitFor(
      () => a.events.some((event) => event.type === 'circuit' && event.state === 'open' && event.openForMs === 200),
      { what: 'the re-opening' },
    );
    expect(await admin.hget(`${prefix}breaker:q`, 'reopenings')).toBe('1');
  });

  it("this replica's half-open probe is refused while another replica holds it: the call fails fast", async () => {
    await thisReplica();
    const other = replica();
    let made = 0;
    let fail = true;
    class Chat {
      @RetryOpenAI({
        key: 'openai|probe',
        maxAttempts: 1,
        circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 100 },
      })
      async complete(): Promise<string> {
        made++;
        if (fail) throw down();
        return 'ok';
      }
    }
    const chat = new Chat();
    await expect(chat.complete()).rejects.toBeInstanceOf(InternalServerError);
    await expect(chat.complete()).rejects.toBeInstanceOf(InternalServerError);
    expect(upstreamFor('openai|probe').circuit.state()).toBe('open');
    // Past the open wait, in Redis and here (reading the state here turns it half-open, as the next call would).
    await waitFor(async () => (await admin.hget(`${prefix}breaker:openai|probe`, 'state')) === 'open', {
      what: 'the shared circuit to open',
    });
    await sharedOpenWaitOver('openai|probe');
    await waitFor(() => upstreamFor('openai|probe').circuit.state() !== 'open', {
      what: 'the circuit here to be past its open wait',
    });
    // The other replica takes the probe first.
    expect((await other.store.claimCircuitProbe('openai|probe', 5000)).granted).toBe(true);
    fail = false;
    const refused = await chat.complete().catch((e: unknown) => e);
    expect(isCircuitOpenError(refused)).toBe(true);
    expect(made).toBe(2);
    // Its probe succeeds: the circuit closes here too, and calls go through again.
    other.store.shareCircuitOutcome(
      'openai|probe',
      { outcome: 'probe_success' },
      { ...BREAKER, failureThreshold: 2, halfOpenAfterMs: 100 },
    );
    await waitFor(() => upstreamFor('openai|probe').circuit.state() === 'closed', {
      what: 'the circuit to close here',
    });
    await expect(chat.complete()).resolves.toBe('ok');
    expect(made).toBe(3);
  });

  it("a shared circuit stored open for a year (poisoned) is believed no longer than the breaker's maxHalfOpenAfterMs: a probe gets through; one warning", async () => {
    const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    clients.push(client);
    const logger = { ...quiet, warn: jest.fn() };
    const store = createRedisStateStore({ client, prefix, logger });
    stores.push(store);
    configureResilience({ stateStore: store, logger: quiet, random: () => 0 });
    await allSubscribed();
    let fail = true;
    class Chat {
      @RetryOpenAI({
        key: 'openai|poisoned',
        maxAttempts: 1,
        circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 100, maxHalfOpenAfterMs: 300 },
      })
      async complete(): Promise<string> {
        if (fail) throw down();
        return 'ok';
      }
    }
    const chat = new Chat();
    await expect(chat.complete()).rejects.toBeInstanceOf(InternalServerError);
    await expect(chat.complete()).rejects.toBeInstanceOf(InternalServerError);
    await waitFor(async () => (await admin.hget(`${prefix}breaker:openai|poisoned`, 'state')) === 'open', {
      what: 'the shared circuit to open',
    });
    const [seconds] = await admin.time();
    await admin.hset(`${prefix}breaker:openai|poisoned`, 'openUntil', Number(seconds) * 1000 + 365 * 24 * 3_600_000);
    fail = false;

    const refusals: number[] = [];
    await waitFor(
      async () => {
        const outcome = await chat.complete().catch((error: unknown) => error);
        if (outcome === 'ok') return true;
        if (!isCircuitOpenError(outcome)) throw outcome;
        refusals.push(outcome.retryAfterMs);
        return false;
      },
      { what: 'a call to get through the poisoned shared circuit', timeoutMs: 5000 },
    );
    expect(Math.max(...refusals)).toBeLessThanOrEqual(300);
    const cuts = logger.warn.mock.calls.filter(([message]) => String(message).includes('cut a shared circuit state'));
    expect(cuts).toHaveLength(1);
    expect(cuts[0][1]).toEqual({ upstream: 'openai|poisoned', maxOpenMs: 300, maxProbeMs: 15 * 60_000 });
  });

  it('a retry budget drained by other replicas refuses retries here', async () => {
    await thisReplica();
    const other = replica();
    let made = 0;
    class Chat {
      @RetryOpenAI({
        key: 'openai|budget',
        maxAttempts: 3,
        baseDelayMs: 100,
        retryBudget: { capacity: 20, retryCost: 5 },
      })
      async complete(): Promise<string> {
        made++;
        throw down();
      }
    }
    // The first call creates the key's budget here (and pays for its 2 retries: 10 of 20 tokens).
    await expect(new Chat().complete()).rejects.toBeInstanceOf(InternalServerError);
    expect(made).toBe(3);
    await waitFor(async () => (await admin.hget(`${prefix}budget:openai|budget`, 'tokens')) === '10', {
      what: 'the shared bucket',
    });
    // Another replica spends the rest.
    other.store.shareBudget('openai|budget', -10, { capacity: 20, retryCost: 5 });
    await waitFor(() => upstreamFor('openai|budget').budget.budget().available === 0, {
      what: 'the exhaustion to reach this replica',
    });
    made = 0;
    await expect(new Chat().complete()).rejects.toBeInstanceOf(InternalServerError);
    expect(made).toBe(1); // no retry: the shared bucket is empty
    expect(await admin.pttl(`${prefix}budget:openai|budget`)).toBeGreaterThan(60_000);
  });

  it('state shared before this process first calls a key applies from its first call', async () => {
    const { applied } = await thisReplica();
    const other = replica();
    await allSubscribed();
    for (let i = 0; i < 4; i++) other.store.shareCircuitOutcome('openai|cold-circuit', { outcome: 'failure' }, BREAKER);
    other.store.shareBudget('openai|cold-budget', -20, { capacity: 20, retryCost: 5 });
    await waitFor(async () => (await admin.hget(`${prefix}budget:openai|cold-budget`, 'tokens')) === '0', {
      what: 'the shared budget',
    });
    await waitFor(
      () =>
        applied.some((event) => event.key === 'openai|cold-circuit' && event.type === 'circuit') &&
        applied.some((event) => event.key === 'openai|cold-budget' && event.type === 'budget' && event.tokens === 0),
      { what: 'this replica to apply the open circuit and the empty budget' },
    );
    let made = 0;
    class Chat {
      @RetryOpenAI({
        key: 'openai|cold-circuit',
        maxAttempts: 1,
        circuitBreaker: { failureThreshold: 4, halfOpenAfterMs: 5000 },
      })
      async viaCircuit(): Promise<string> {
        made++;
        return 'ok';
      }
      @RetryOpenAI({
        key: 'openai|cold-budget',
        maxAttempts: 3,
        baseDelayMs: 100,
        retryBudget: { capacity: 20, retryCost: 5 },
      })
      async viaBudget(): Promise<string> {
        made++;
        throw down();
      }
    }
    expect(isCircuitOpenError(await new Chat().viaCircuit().catch((e: unknown) => e))).toBe(true);
    expect(made).toBe(0);
    await expect(new Chat().viaBudget()).rejects.toBeInstanceOf(InternalServerError);
    expect(made).toBe(1); // the first attempt only: the shared bucket was empty before this process made its own
  });

  it('budget changes are batched and every replica adopts the shared balance', async () => {
    const a = replica();
    const b = replica();
    await allSubscribed();
    for (let i = 0; i < 10; i++) a.store.shareBudget('b', -1, { capacity: 100, retryCost: 5 });
    await waitFor(() => a.events.some((event) => event.type === 'budget' && event.tokens === 90), {
      what: 'A to adopt the balance',
    });
    // Leaving full is announced to the others (so that their successes refill it).
    await waitFor(() => b.events.some((event) => event.type === 'budget' && event.tokens === 90), {
      what: 'B to hear it',
    });
    expect(await admin.hget(`${prefix}budget:b`, 'tokens')).toBe('90');
  });

  it('pacing: replicas sending to one paced key each take their share of its rate limit', async () => {
    const a = replica();
    await thisReplica();
    const upstream = upstreamFor('openai|paced');
    upstream.pacing.observeResponse(
      new Headers({ 'x-ratelimit-limit-requests': '12000', 'x-ratelimit-remaining-requests': '11999' }),
    );
    expect(upstream.pacing.limiter!.snapshot()).toMatchObject({ replicas: 1, targetRatePerSecond: 194 });
    class Chat {
      @RetryOpenAI({ key: 'openai|paced' })
      async complete(): Promise<string> {
        return 'ok';
      }
    }
    // A paced call here announces this replica as a sender; then the other one joins.
    await new Chat().complete();
    await waitFor(async () => (await admin.zcard(`${prefix}replicas:openai|paced`)) === 1, {
      what: 'this replica to be counted',
    });
    a.store.announceActive('openai|paced');
    await waitFor(() => upstream.pacing.limiter!.snapshot().replicas === 2, {
      what: 'this replica to count 2 replicas',
    });
    expect(upstream.pacing.limiter!.snapshot()).toMatchObject({ targetRatePerSecond: 97, burst: 5 });
    expect(await admin.zcard(`${prefix}replicas:openai|paced`)).toBe(2);
    expect(a.events).toContainEqual({ type: 'replicas', key: 'openai|paced', count: 2 });
  });

  it('a rate limit learned by one replica paces the first calls of the others (no unpaced first wave)', async () => {
    await thisReplica();
    const other = replica();
    await allSubscribed();
    // The other replica read x-ratelimit-limit-requests: 600 per minute (10/s) from a response.
    other.store.shareRateLimit('openai|learned', 600);
    await waitFor(() => upstreamFor('openai|learned').pacing.limiter !== undefined, {
      what: 'this replica to pace the key',
    });
    // Learned from another replica, not from a call here: this replica is not counted as a sender.
    expect(await admin.zcard(`${prefix}replicas:openai|learned`)).toBe(0);
    expect(upstreamFor('openai|learned').pacing.limiter!.snapshot()).toMatchObject({
      targetRatePerSecond: 9.7,
      burst: 10,
    });
    const started: number[] = [];
    class Chat {
      @RetryOpenAI({ key: 'openai|learned' })
      async complete(): Promise<string> {
        started.push(Date.now());
        return 'ok';
      }
    }
    const chat = new Chat();
    await Promise.all([chat.complete(), chat.complete(), chat.complete()]);
    // Paced from the first call: one per ~103 ms (an empty bucket to start with), not three at once.
    expect(started[2] - started[0]).toBeGreaterThanOrEqual(180);
    expect(await admin.get(`${prefix}limit:openai|learned`)).toBe('600');
    expect(await admin.zcard(`${prefix}replicas:openai|learned`)).toBe(1); // now it is one
  });

  it('cold start: the first attempt of a key with no known limit goes alone; the others wait for it to end', async () => {
    await thisReplica();
    const started: number[] = [];
    class Chat {
      @RetryOpenAI({ key: 'openai|cold-start' })
      async complete(): Promise<string> {
        started.push(Date.now());
        await sleep(started.length === 1 ? 60 : 0); // the scenario: the first attempt takes 60 ms
        return 'ok';
      }
    }
    const chat = new Chat();
    await Promise.all(Array.from({ length: 5 }, () => chat.complete()));
    expect(started).toHaveLength(5);
    for (const later of started.slice(1)) expect(later - started[0]).toBeGreaterThanOrEqual(55);
    // Warm from then on: concurrent calls start together.
    started.length = 0;
    await Promise.all(Array.from({ length: 3 }, () => chat.complete()));
    expect(started[2] - started[1]).toBeLessThan(50);
  });

  it('without a state store there is no cold-start gate: concurrent first calls start together', async () => {
    configureResilience({ logger: quiet });
    const started: number[] = [];
    class Chat {
      @RetryOpenAI({ key: 'openai|no-store' })
      async complete(): Promise<string> {
        started.push(Date.now());
        await sleep(60); // the scenario: each attempt takes 60 ms (gated, the others would start 60 ms later)
        return 'ok';
      }
    }
    const chat = new Chat();
    await Promise.all(Array.from({ length: 3 }, () => chat.complete()));
    expect(Math.max(...started) - Math.min(...started)).toBeLessThan(50);
  });

  it('a replica that starts later learns the open circuits, budgets and rate limits in force', async () => {
    const a = replica();
    for (let i = 0; i < 4; i++) a.store.shareCircuitOutcome('late', { outcome: 'failure' }, BREAKER);
    a.store.shareBudget('late', -15, { capacity: 20, retryCost: 5 });
    a.store.shareRateLimit('late', 12_000);
    await waitFor(async () => (await admin.hget(`${prefix}budget:late`, 'tokens')) === '5', {
      what: 'the state to be stored',
    });
    const late = replica();
    await waitFor(() => late.events.length >= 3, { what: 'the late replica to catch up' });
    expect(late.events).toContainEqual({ type: 'limit', key: 'late', limitPerMinute: 12_000 });
    const circuit = late.events.find((event) => event.type === 'circuit');
    expect(circuit).toMatchObject({ type: 'circuit', key: 'late', state: 'open' });
    expect((circuit as { openForMs: number }).openForMs).toBeGreaterThan(4000);
    expect(late.events).toContainEqual({ type: 'budget', key: 'late', tokens: 5 });
  });

  it('with Redis down every call works on local state: nothing throws, a probe claim is granted locally', async () => {
    const client = new Redis(server.port, '127.0.0.1', {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    clients.push(client);
    const store = createRedisStateStore({ client, prefix, logger: quiet, commandTimeoutMs: 50 });
    stores.push(store);
    // Never connected: every operation is refused at once, none throws.
    expect(() => store.shareCircuitOutcome('x', { outcome: 'failure' }, BREAKER)).not.toThrow();
    expect(() => store.shareBudget('x', -5, { capacity: 20, retryCost: 5 })).not.toThrow();
    // The change waits for the batched flush (white box: the store does not tell).
    const pending = store as unknown as { budgetDeltas: Map<string, unknown>; budgetTimer: unknown };
    expect(pending.budgetDeltas.size).toBe(1);
    expect(() => store.announceActive('x')).not.toThrow();
    await expect(store.claimCircuitProbe('x', 1000)).resolves.toEqual({ granted: true });
    // The batched budget flush (25 ms after the change) must run and fail quietly: it has run
    // once nothing is pending, and it broke nothing.
    await waitFor(() => pending.budgetDeltas.size === 0 && pending.budgetTimer === undefined, {
      what: 'the budget flush to run',
    });
    await expect(store.claimCircuitProbe('x', 1000)).resolves.toEqual({ granted: true });
  });
});
