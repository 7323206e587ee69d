// The engine and the Redis store together: this process is one replica, a second store
// (its own client) plays another replica on the same Redis.
import { Redis } from 'ioredis';
import { RateLimitError } from 'openai';
import { configureResilience, resetResilience, RetryOpenAI } from '../../src';
import type { SharedStateEvent } from '../../src/engine/shared-state';
import { createRedisStateStore, type RedisStateStore } from '../../src/integrations/redis';
import { describeWithRedis, startRedisServer, type RedisServer } from '../support/redis-server';

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

  const until = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 3000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it("a 429 seen by another replica holds this replica's first attempts until its Retry-After", async () => {
    const prefix = `shared-${Date.now()}:`;
    const mine = createRedisStateStore({ client: trackedClient(), prefix });
    const other = createRedisStateStore({ client: trackedClient(), prefix });
    stores.push(mine, other);
    configureResilience({ stateStore: mine, logger: { error() {}, warn() {}, info() {}, debug() {} } });
    // Let this replica's subscription settle before the other one shares.
    await new Promise((resolve) => setTimeout(resolve, 100));

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
    await new Promise((resolve) => setTimeout(resolve, 60)); // the event crosses Redis
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
    await new Promise((resolve) => setTimeout(resolve, 100));
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
    await until(() => seen.some((event) => event.key === 'openai|gpt-4o-mini'), 'the shared cooldown');
    unsubscribe();
  });

  function trackedClient(): Redis {
    const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    clients.push(client);
    return client;
  }
});
