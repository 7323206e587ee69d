// The engine and the Redis store together: this process is one replica, a second store
// (its own client) plays another replica on the same Redis.
import { Redis } from 'ioredis';
import { RateLimitError } from 'openai';
import { configureResilience, resetResilience, RetryOpenAI } from '../../src';
import type { SharedStateEvent } from '../../src/ports/shared-state-store';
import { upstreamFor } from '../../src/upstreams/per-key-state';
import { createRedisStateStore, type RedisStateStore } from '../../src/integrations/redis';
import { describeWithRedis, startRedisServer, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait-for';

describeWithRedis('shared rate-limit cooldown through Redis', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const stores: RedisStateStore[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    resetResilience();
    await Promise.all(stores.splice(0).map((store) => store.close()));
    clients.splice(0).forEach((client) => client.disconnect());
  });

  /** Resolves once `count` connections are subscribed to the events channel of `prefix`. */
  const subscribed = (prefix: string, count: number) => {
    const admin = trackedClient();
    return waitFor(
      async () => Number(((await admin.call('PUBSUB', 'NUMSUB', `${prefix}events`)) as [string, string])[1]) === count,
      { what: `${count} subscriber(s) on ${prefix}events` },
    );
  };

  it("a 429 seen by another replica holds this replica's first attempts until its Retry-After", async () => {
    const prefix = `shared-${Date.now()}:`;
    const mine = createRedisStateStore({ client: trackedClient(), prefix });
    const other = createRedisStateStore({ client: trackedClient(), prefix });
    stores.push(mine, other);
    configureResilience({ stateStore: mine, logger: { error() {}, warn() {}, info() {}, debug() {} } });
    // This replica is subscribed before the other one shares.
    await subscribed(prefix, 1);

    const started: number[] = [];
    class Chat {
      @RetryOpenAI({ key: 'openai|gpt-4o' })
      async complete() {
        started.push(Date.now());
        return 'ok';
      }
    }
    const sharedAt = Date.now();
    other.shareCooldown('openai|gpt-4o', sharedAt + 300);
    await waitFor(() => upstreamFor('openai|gpt-4o').cooldown.untilMs === sharedAt + 300, {
      what: 'the event to cross Redis',
    });
    await expect(new Chat().complete()).resolves.toBe('ok');
    expect(started[0] - sharedAt).toBeGreaterThanOrEqual(290);
  });

  it('a 429 seen here is shared with the other replicas', async () => {
    const prefix = `shared-out-${Date.now()}:`;
    const mine = createRedisStateStore({ client: trackedClient(), prefix });
    const other = createRedisStateStore({ client: trackedClient(), prefix });
    stores.push(mine, other);
    const seen: SharedStateEvent[] = [];
    const unsubscribe = other.subscribe((event) => seen.push(event));
    await subscribed(prefix, 1);
    configureResilience({
      stateStore: mine,
      random: () => 0,
      logger: { error() {}, warn() {}, info() {}, debug() {} },
    });

    let calls = 0;
    class Chat {
      @RetryOpenAI({ key: 'openai|gpt-4o-mini', baseDelayMs: 100 })
      async complete() {
        if (calls++ === 0) {
          throw new RateLimitError(429, { message: 'slow down' }, undefined, new Headers({ 'retry-after-ms': '50' }));
        }
        return 'ok';
      }
    }
    await expect(new Chat().complete()).resolves.toBe('ok');
    await waitFor(() => seen.some((event) => event.key === 'openai|gpt-4o-mini'), { what: 'the shared cooldown' });
    unsubscribe();
  });

  function trackedClient(): Redis {
    const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    clients.push(client);
    return client;
  }
});
