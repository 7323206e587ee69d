// What a replica hears through Redis is hostile until bounded: poisoned events published on
// the store's own channel (as a buggy or compromised replica would) must neither hang nor
// cripple this replica. Real redis-server, real ioredis; this process is the replica.
import { Redis } from 'ioredis';
import { configureResilience, isCircuitOpenError, resetResilience, RetryOpenAI } from '../../src';
import { upstreamFor } from '../../src/upstreams/per-key-state';
import { createRedisStateStore, type RedisStateStore } from '../../src/integrations/redis';
import { describeWithRedis, startRedisServer, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait-for';

const quiet = { error() {}, warn() {}, info() {}, debug() {} };
const FLOOD = 50;

/** The warnings the mirror logs about a shared value it clamped or ignored. */
const BOUND_WARNING = /^llm-resilience: (ignored|clamped|took) /;

describeWithRedis('hostile shared events through Redis are bounded before they apply', () => {
  let server: RedisServer;
  let admin: Redis;
  let client: Redis;
  let store: RedisStateStore;
  let prefix: string;
  let count = 0;
  let sentinels = 0;
  const logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };

  /** The warnings about bounded values, as [message, meta]. */
  const boundWarnings = (): Array<[string, Record<string, unknown>]> =>
    logger.warn.mock.calls.filter(([message]) => BOUND_WARNING.test(String(message))) as Array<
      [string, Record<string, unknown>]
    >;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  beforeEach(async () => {
    prefix = `hostile-${process.pid}-${++count}:`;
    for (const mock of Object.values(logger)) mock.mockReset();
    client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    store = createRedisStateStore({ client, prefix, logger: quiet });
    configureResilience({ stateStore: store, logger, random: () => 0 });
    await waitFor(
      async () => Number(((await admin.call('PUBSUB', 'NUMSUB', `${prefix}events`)) as [string, string])[1]) === 1,
      { what: "this replica's subscription to the events channel" },
    );
  });
  afterEach(async () => {
    resetResilience();
    await store.close();
    client.disconnect();
  });

  /** Publishes `event` raw on the store's channel, as another replica's store does. */
  const publish = (event: Record<string, unknown>) =>
    admin.publish(`${prefix}events`, JSON.stringify({ ...event, source: 'a-poisoned-replica' }));

  /**
   * Publishes `event` FLOOD times, then a harmless sentinel; resolves once this replica has
   * applied the sentinel, so every poisoned event before it (same channel, in order) was handled.
   */
  async function flood(event: Record<string, unknown>, times = FLOOD): Promise<void> {
    for (let i = 0; i < times; i++) await publish(event);
    const sentinel = `sentinel-${++sentinels}`;
    await publish({ type: 'failing', key: sentinel });
    await waitFor(() => upstreamFor(sentinel).circuit.sharedFailing, { what: `the sentinel event ${sentinel}` });
  }

  it('a cooldown 1e9 ms ahead is ignored: a call on the key goes at once; one warning for the flood', async () => {
    let made = 0;
    class Chat {
      @RetryOpenAI({ key: 'openai|cooldown' })
      async complete(): Promise<string> {
        made++;
        return 'ok';
      }
    }
    await flood({ type: 'cooldown', key: 'openai|cooldown', untilMs: Date.now() + 1e9 });
    expect(upstreamFor('openai|cooldown').cooldown.untilMs).toBe(0);
    const started = Date.now();
    await expect(new Chat().complete()).resolves.toBe('ok');
    expect(Date.now() - started).toBeLessThan(500);
    expect(made).toBe(1);

    const warnings = boundWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0][0]).toBe(
      'llm-resilience: ignored a shared cooldown for key "openai|cooldown" ending 277.8 h from now (more than 24 h ahead)',
    );
    expect(Object.keys(warnings[0][1]).sort()).toEqual(['received', 'type', 'upstream']);
    expect(warnings[0][1]).toMatchObject({ upstream: 'openai|cooldown', type: 'cooldown' });

    // A sane shared cooldown still holds the key (the bound is not a switch-off).
    const until = Date.now() + 300;
    await publish({ type: 'cooldown', key: 'openai|cooldown', untilMs: until });
    await waitFor(() => upstreamFor('openai|cooldown').cooldown.untilMs === until, { what: 'the sane cooldown' });
    await new Chat().complete();
    expect(Date.now()).toBeGreaterThanOrEqual(until - 5);
  });

  it('a circuit open for 1e12 ms is clamped to maxHalfOpenAfterMs: probes go through within it', async () => {
    let made = 0;
    class Chat {
      @RetryOpenAI({
        key: 'openai|circuit',
        maxAttempts: 1,
        circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 100, maxHalfOpenAfterMs: 200 },
      })
      async complete(): Promise<string> {
        made++;
        return 'ok';
      }
    }
    const chat = new Chat();
    await chat.complete(); // this process now has the key's breaker (maxHalfOpenAfterMs: 200)
    await flood({ type: 'circuit', key: 'openai|circuit', state: 'open', openForMs: 1e12, failures: 3 });
    const heardAt = Date.now();
    expect(upstreamFor('openai|circuit').circuit.state()).toBe('open');
    // Open: the call fails fast, without being made, and says to come back within 200 ms (not
    // in 31 years). (On a machine slow enough for 200 ms to have passed already, it is the probe.)
    made = 0;
    const refused = await chat.complete().catch((error: unknown) => error);
    if (made === 0) {
      expect(isCircuitOpenError(refused)).toBe(true);
      expect((refused as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(200);
    }
    await waitFor(() => upstreamFor('openai|circuit').circuit.state() !== 'open', {
      what: 'the circuit to let a probe through',
      timeoutMs: 2000,
    });
    expect(Date.now() - heardAt).toBeLessThan(1000);
    // The probe goes to the upstream and its success closes the circuit.
    await expect(chat.complete()).resolves.toBe('ok');
    expect(upstreamFor('openai|circuit').circuit.state()).toBe('closed');

    const warnings = boundWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0][0]).toBe(
      'llm-resilience: clamped a shared open circuit for key "openai|circuit" from 277777.8 h to 200 ms (its maxHalfOpenAfterMs)',
    );
    expect(warnings[0][1]).toEqual({ upstream: 'openai|circuit', type: 'circuit', received: 1e12, applied: 200 });
  });

  it('a negative failure count is taken as 0, with one warning for the flood', async () => {
    await flood({ type: 'circuit', key: 'openai|failures', state: 'open', openForMs: 50, failures: -3 });
    const warnings = boundWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0][0]).toMatch(
      /^llm-resilience: took the failure count of a shared open circuit for key "openai\|failures" as 0 \(received -3/,
    );
  });

  it.each([
    ['NaN', Number.NaN],
    ['-5', -5],
    ["'x'", 'x'],
    ['Infinity (sent as 1e999)', '1e999'],
  ])('a rate limit of %s does not engage pacing', async (_name, limitPerMinute) => {
    const started: number[] = [];
    class Chat {
      @RetryOpenAI({ key: 'openai|limit' })
      async complete(): Promise<string> {
        started.push(Date.now());
        return 'ok';
      }
    }
    const chat = new Chat();
    await chat.complete(); // past the cold-start gate: concurrent calls may start together
    if (limitPerMinute === '1e999') {
      // A raw message with a number JSON.parse turns into Infinity.
      for (let i = 0; i < FLOOD; i++) {
        await admin.publish(`${prefix}events`, '{"type":"limit","key":"openai|limit","limitPerMinute":1e999}');
      }
      await flood({ type: 'failing', key: 'openai|unrelated' }, 0);
    } else {
      await flood({ type: 'limit', key: 'openai|limit', limitPerMinute });
    }
    expect(upstreamFor('openai|limit').pacing.limiter).toBeUndefined();
    started.length = 0;
    await Promise.all([chat.complete(), chat.complete(), chat.complete()]);
    expect(Math.max(...started) - Math.min(...started)).toBeLessThan(50);
    // Ignored by the engine, with one warning for the flood (never quoting a received string).
    const warnings = boundWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0][0]).toMatch(
      /^llm-resilience: ignored a shared rate limit for key "openai\|limit" of .+ per minute \(not a finite number >= 1\)$/,
    );
    expect(warnings[0][0]).not.toContain("'x'");
    expect(warnings[0][1]).toMatchObject({ upstream: 'openai|limit', type: 'limit' });
  });

  it('a replica count of a million is ignored: the key keeps pacing at its share of the limit', async () => {
    await publish({ type: 'limit', key: 'openai|replicas', limitPerMinute: 600 });
    await waitFor(() => upstreamFor('openai|replicas').pacing.limiter !== undefined, { what: 'the shared limit' });
    await flood({ type: 'replicas', key: 'openai|replicas', count: 1_000_000 });
    expect(upstreamFor('openai|replicas').pacing.limiter!.snapshot()).toMatchObject({
      replicas: 1,
      targetRatePerSecond: 9.7,
    });
    const warnings = boundWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0][0]).toBe(
      'llm-resilience: ignored a shared replica count for key "openai|replicas" of 1000000 (not an integer from 1 to 10000)',
    );
  });

  it('a budget balance above capacity is clamped to it, with one warning for the flood', async () => {
    class Chat {
      @RetryOpenAI({ key: 'openai|budget', retryBudget: { capacity: 20, retryCost: 5 } })
      async complete(): Promise<string> {
        return 'ok';
      }
    }
    await new Chat().complete(); // this process now has the key's budget
    await flood({ type: 'budget', key: 'openai|budget', tokens: 1e9 });
    expect(upstreamFor('openai|budget').budget.budget().available).toBe(20);
    const warnings = boundWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0][1]).toEqual({ upstream: 'openai|budget', type: 'budget', received: 1e9, applied: 20 });
  });

  it('a flood mixing every kind of anomaly logs exactly one warning per kind', async () => {
    class Chat {
      @RetryOpenAI({
        key: 'openai|mixed',
        maxAttempts: 1,
        retryBudget: { capacity: 20, retryCost: 5 },
        circuitBreaker: { failureThreshold: 2, halfOpenAfterMs: 100, maxHalfOpenAfterMs: 200 },
      })
      async complete(): Promise<string> {
        return 'ok';
      }
    }
    await new Chat().complete();
    for (let i = 0; i < FLOOD; i++) {
      // Different keys each time: still one warning per kind of anomaly, not per key.
      await publish({ type: 'cooldown', key: `openai|mixed-${i}`, untilMs: Date.now() + 1e9 });
      await publish({ type: 'circuit', key: 'openai|mixed', state: 'open', openForMs: 1e12, failures: 2.5 });
      await publish({ type: 'budget', key: 'openai|mixed', tokens: 1e9 });
      await publish({ type: 'replicas', key: 'openai|mixed', count: 20_000 });
    }
    await flood({ type: 'failing', key: 'openai|unrelated' }, 0);
    const messages = boundWarnings().map(([message]) => message);
    expect(messages).toHaveLength(5);
    expect(messages.filter((message) => message.includes('shared cooldown'))).toHaveLength(1);
    expect(messages.filter((message) => message.includes('clamped a shared open circuit'))).toHaveLength(1);
    expect(messages.filter((message) => message.includes('failure count'))).toHaveLength(1);
    expect(messages.filter((message) => message.includes('retry budget'))).toHaveLength(1);
    expect(messages.filter((message) => message.includes('replica count'))).toHaveLength(1);
  });
});
