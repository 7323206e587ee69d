import { Redis } from 'ioredis';
import net from 'node:net';
import vm from 'node:vm';
import { configureResilience, resetResilience } from '../../src';
import type { SharedStateEvent } from '../../src/ports/shared-state-store';
import { createRedisStateStore, type RedisStateStore, type RedisStateStoreOptions } from '../../src/integrations/redis';
import { describeWithRedis, startRedisServer, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait-for';

// Real redis-server, real ioredis. Each "replica" is a store with its own client, as two
// processes would have; the admin connection reads what Redis holds.

type Level = 'error' | 'warn' | 'info' | 'debug';
interface RecordingLogger {
  error: jest.Mock;
  warn: jest.Mock;
  info: jest.Mock;
  debug: jest.Mock;
}
const recordingLogger = (): RecordingLogger => ({
  error: jest.fn(),
  warn: jest.fn(),
  info: jest.fn(),
  debug: jest.fn(),
});
const messages = (logger: RecordingLogger, level: Level): string[] => logger[level].mock.calls.map((call) => call[0]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The deadlines heard for `key`, each once. A listener may hear a deadline twice: from the
 * catch-up read on subscribing and from the live event, when both race (harmless: the
 * engine keeps the later deadline).
 */
const heardFor = (events: readonly SharedStateEvent[], key: string): number[] => [
  ...new Set(events.flatMap((event) => (event.type === 'cooldown' && event.key === key ? [event.untilMs] : []))),
];

/** The deadline of a cooldown event (fails the test for any other event). */
const untilOf = (event: SharedStateEvent | undefined): number => {
  if (event?.type !== 'cooldown') throw new Error(`expected a cooldown event, got ${JSON.stringify(event)}`);
  return event.untilMs;
};

interface Replica {
  readonly store: RedisStateStore;
  readonly client: Redis;
  readonly logger: RecordingLogger;
  /** What this replica's listener heard. */
  readonly events: SharedStateEvent[];
  listen(): () => void;
}

let prefixCount = 0;
/** A prefix no other test uses (tests share one server). */
const freshPrefix = () => `test-${process.pid}-${++prefixCount}:`;

describeWithRedis('Redis state store (real redis-server, two replicas)', () => {
  let server: RedisServer;
  let admin: Redis;
  const stores: RedisStateStore[] = [];
  const clients: Redis[] = [];

  const newClient = (port = server.port): Redis => {
    // Reconnect fast (a retryStrategy of at most ~1 s keeps the 5 s rejoin target) and fail queued commands fast.
    const client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    clients.push(client);
    return client;
  };

  const replica = (options: Partial<RedisStateStoreOptions> & { port?: number } = {}): Replica => {
    const { port, ...storeOptions } = options;
    const client = newClient(port);
    const logger = recordingLogger();
    const store = createRedisStateStore({ client, prefix: 'unset:', logger, ...storeOptions });
    stores.push(store);
    const events: SharedStateEvent[] = [];
    return { store, client, logger, events, listen: () => store.subscribe((event) => events.push(event)) };
  };

  /**
   * Resolves once Redis is busy (a `DEBUG SLEEP` sent on another connection has started): a
   * PING on the admin connection gets no answer within 20 ms (it is answered when Redis wakes).
   */
  const redisAsleep = () =>
    waitFor(
      () =>
        Promise.race([
          admin.ping().then(() => false),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20)),
        ]),
      { what: 'Redis to be asleep (DEBUG SLEEP)' },
    );

  /**
   * The store is subscribed and has read the state in force (its catch-up on subscribing is
   * over), so it hears from now on only what is published. White box: the store does not tell.
   */
  const caughtUp = (store: RedisStateStore): boolean => {
    const internals = store as unknown as { subscribed: boolean; fullSyncRunning: boolean };
    return internals.subscribed && !internals.fullSyncRunning;
  };

  /** Subscribers on `channel`, as Redis counts them. */
  const subscribers = async (channel: string, connection: Redis = admin): Promise<number> => {
    const reply = (await connection.call('PUBSUB', 'NUMSUB', channel)) as [string, number | string];
    return Number(reply[1]);
  };

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis({ host: '127.0.0.1', port: server.port });
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    for (const client of clients.splice(0)) client.disconnect();
  });

  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it('shares a cooldown with the other replica through pub/sub, stored with a TTL; the later deadline wins', async () => {
    const prefix = freshPrefix();
    const a = replica({ prefix });
    const b = replica({ prefix });
    a.listen();
    b.listen();
    await waitFor(async () => (await subscribers(`${prefix}events`)) === 2, { what: 'both subscribers' });

    const first = Date.now() + 20_000;
    a.store.shareCooldown('openai:gpt-4o', first);
    await waitFor(() => b.events.length > 0, { what: 'B to hear the cooldown' });
    // Exactly the event shape (the replica id used to drop echoes is not passed on).
    expect(b.events[0]).toStrictEqual({ type: 'cooldown', key: 'openai:gpt-4o', untilMs: first });
    expect(heardFor(b.events, 'openai:gpt-4o')).toEqual([first]);
    expect(await admin.get(`${prefix}cooldown:openai:gpt-4o`)).toBe(String(first));
    // The TTL runs to the deadline: `until - now` when read, whatever time this test took so far
    // (a loaded machine may take seconds between the steps).
    const ttlUntil = async (until: number) => {
      const before = Date.now();
      const ttl = await admin.pttl(`${prefix}cooldown:openai:gpt-4o`);
      return { ttl, lowest: until - Date.now() - 1000, highest: until - before + 50 };
    };
    const expectTtlUntil = async (until: number) => {
      const { ttl, lowest, highest } = await ttlUntil(until);
      expect(ttl).toBeGreaterThan(lowest);
      expect(ttl).toBeLessThanOrEqual(highest);
    };
    await expectTtlUntil(first);

    // A later deadline (from B this time) replaces it, and A hears it.
    const later = first + 10_000;
    b.store.shareCooldown('openai:gpt-4o', later);
    await waitFor(() => heardFor(a.events, 'openai:gpt-4o').includes(later), { what: 'A to hear the later deadline' });
    expect(await admin.get(`${prefix}cooldown:openai:gpt-4o`)).toBe(String(later));
    await expectTtlUntil(later);

    // An earlier deadline does not shorten it, and is not announced: a marker A shares next
    // (same connection, so run after it by Redis, and published after anything it published)
    // reaching B means it is done.
    a.store.shareCooldown('openai:gpt-4o', first + 1000);
    a.store.shareCooldown('marker', Date.now() + 10_000);
    await waitFor(() => heardFor(b.events, 'marker').length > 0, { what: 'B to hear the marker' });
    expect(await admin.get(`${prefix}cooldown:openai:gpt-4o`)).toBe(String(later));
    await expectTtlUntil(later);
    expect(heardFor(a.events, 'openai:gpt-4o')).not.toContain(first + 1000);
    expect(heardFor(b.events, 'openai:gpt-4o')).toEqual([first]);

    // A replica does not hear its own events (it knows them already).
    a.store.shareCooldown('echo', Date.now() + 10_000);
    await waitFor(() => heardFor(b.events, 'echo').length > 0, { what: 'B to hear it' });
    // A's subscriber got the echo before anything published after it: a marker from B.
    b.store.shareCooldown('echo-marker', Date.now() + 10_000);
    await waitFor(() => heardFor(a.events, 'echo-marker').length > 0, { what: 'A to hear the marker' });
    expect(heardFor(a.events, 'echo')).toEqual([]);
    expect(a.logger.warn).not.toHaveBeenCalled();
    expect(b.logger.warn).not.toHaveBeenCalled();
  });

  it('ignores deadlines already past, and malformed messages on the channel', async () => {
    const prefix = freshPrefix();
    const a = replica({ prefix });
    const b = replica({ prefix });
    b.listen();
    await waitFor(async () => (await subscribers(`${prefix}events`)) === 1, { what: 'B subscribed' });

    a.store.shareCooldown('past', Date.now() - 1);
    a.store.shareCooldown('nan', Number.NaN);
    for (const junk of ['not json', '{"type":"cooldown"}', '{"type":"cooldown","key":1,"untilMs":5}', 'null', '[]']) {
      await admin.publish(`${prefix}events`, junk);
    }
    await admin.publish(`${prefix}events`, JSON.stringify({ type: 'breaker', key: 'k', untilMs: Date.now() + 1e4 }));
    await admin.publish(`${prefix}events`, JSON.stringify({ type: 'cooldown', key: 'old', untilMs: Date.now() - 5 }));
    const valid = Date.now() + 5000;
    await admin.publish(`${prefix}events`, JSON.stringify({ type: 'cooldown', key: 'ok', untilMs: valid }));
    await waitFor(() => b.events.length === 1, { what: 'the valid event' });
    expect(b.events).toEqual([{ type: 'cooldown', key: 'ok', untilMs: valid }]);
    expect(await admin.keys(`${prefix}*`)).toEqual([]);
  });

  it('tells a replica that subscribes late the cooldowns in force (SCAN on subscribe)', async () => {
    const prefix = freshPrefix();
    const a = replica({ prefix });
    const until1 = Date.now() + 15_000;
    const until2 = Date.now() + 25_000;
    a.store.shareCooldown('azure:east', until1);
    a.store.shareCooldown('weird*key?[x]', until2);
    await waitFor(
      async () =>
        (await admin.exists(`${prefix}cooldown:azure:east`)) === 1 &&
        (await admin.exists(`${prefix}cooldown:weird*key?[x]`)) === 1,
      { what: 'both stored' },
    );
    // Something else under the prefix that is not a cooldown string is left alone.
    await admin.hset(`${prefix}cooldown:not-a-string`, 'field', '1');
    await admin.pexpire(`${prefix}cooldown:not-a-string`, 10_000);

    const b = replica({ prefix });
    b.listen();
    await waitFor(() => b.events.length === 2, { what: 'B to learn both' });
    expect(b.events).toEqual(
      expect.arrayContaining([
        { type: 'cooldown', key: 'azure:east', untilMs: until1 },
        { type: 'cooldown', key: 'weird*key?[x]', untilMs: until2 },
      ]),
    );

    // A second listener on a replica already subscribed learns them too; the first is not told twice.
    const second: SharedStateEvent[] = [];
    b.store.subscribe((event) => second.push(event));
    await waitFor(() => second.length === 2, { what: 'the second listener' });
    // Deliberately fixed: the first listener must not be told again by a stray later catch-up (a SCAN, no event to wait on).
    await sleep(50);
    expect(b.events).toHaveLength(2);
    expect(b.logger.warn).not.toHaveBeenCalled();
  });

  it('delivers to every listener, stops after unsubscribe, and drops its connection with the last one', async () => {
    const prefix = freshPrefix();
    const a = replica({ prefix });
    const b = replica({ prefix });
    const heard1: SharedStateEvent[] = [];
    const heard2: SharedStateEvent[] = [];
    const off1 = b.store.subscribe((event) => heard1.push(event));
    const off2 = b.store.subscribe((event) => {
      heard2.push(event);
      throw new Error('a listener that throws does not stop the others');
    });
    await waitFor(async () => (await subscribers(`${prefix}events`)) === 1, { what: 'B subscribed' });

    const heard = (events: SharedStateEvent[], key: string) => heardFor(events, key).length > 0;
    a.store.shareCooldown('k1', Date.now() + 5000);
    await waitFor(() => heard(heard1, 'k1') && heard(heard2, 'k1'), { what: 'both listeners' });
    a.store.shareCooldown('k2', Date.now() + 5000);
    await waitFor(() => heard(heard1, 'k2') && heard(heard2, 'k2'), { what: 'both listeners again' });

    off1();
    off1(); // twice is harmless
    a.store.shareCooldown('k3', Date.now() + 5000);
    await waitFor(() => heard(heard2, 'k3'), { what: 'the remaining listener' });
    expect(heard(heard1, 'k3')).toBe(false);

    off2();
    await waitFor(async () => (await subscribers(`${prefix}events`)) === 0, {
      what: 'the subscriber connection to go',
    });
  });

  it('keeps prefixes apart (keys, channel and SCAN pattern, even with glob characters)', async () => {
    const globPrefix = `iso-${process.pid}*:`;
    const otherPrefix = `iso-${process.pid}-b:`; // matched by the glob prefix, were it not escaped
    const a = replica({ prefix: globPrefix });
    const b = replica({ prefix: otherPrefix });
    const a2 = replica({ prefix: globPrefix });
    a.listen();
    b.listen();
    // Subscribed, and past the catch-up on subscribing: B would otherwise hear its own share
    // below from it, when the share lands before B's SCAN.
    await waitFor(
      async () =>
        (await subscribers(`${globPrefix}events`)) === 1 &&
        (await subscribers(`${otherPrefix}events`)) === 1 &&
        caughtUp(a.store) &&
        caughtUp(b.store),
      { what: 'A and B subscribed and caught up' },
    );

    b.store.shareCooldown('shared-name', Date.now() + 10_000);
    a2.store.shareCooldown('shared-name', Date.now() + 20_000);
    await waitFor(() => a.events.length > 0, { what: 'A to hear its own prefix' });
    // Both shares have run (each stores, then publishes, in one script)...
    await waitFor(async () => (await admin.exists(`${otherPrefix}cooldown:shared-name`)) === 1, {
      what: "B's share to be stored",
    });
    // ...so a marker published now on each channel reaches its subscriber after anything they published.
    const markerUntil = Date.now() + 10_000;
    for (const prefix of [globPrefix, otherPrefix]) {
      await admin.publish(`${prefix}events`, JSON.stringify({ type: 'cooldown', key: 'marker', untilMs: markerUntil }));
    }
    await waitFor(() => heardFor(a.events, 'marker').length > 0 && heardFor(b.events, 'marker').length > 0, {
      what: 'A and B to hear the markers',
    });
    // B (another prefix) heard nothing but its marker.
    expect(b.events).toEqual([{ type: 'cooldown', key: 'marker', untilMs: markerUntil }]);
    expect(heardFor(a.events, 'shared-name')).toHaveLength(1);
    expect(untilOf(a.events[0])).toBeGreaterThan(Date.now() + 15_000);
    expect(Number(await admin.get(`${otherPrefix}cooldown:shared-name`))).toBeLessThan(Date.now() + 11_000);

    // A late subscriber under the glob prefix learns only its own prefix's cooldowns.
    const late = replica({ prefix: globPrefix });
    late.listen();
    // Its catch-up is over (it delivers what it found at once): nothing of the other prefix may follow.
    await waitFor(() => late.events.length > 0 && caughtUp(late.store), { what: 'the late subscriber' });
    expect(late.events).toHaveLength(1);
    expect(untilOf(late.events[0])).toBeGreaterThan(Date.now() + 15_000);
  });

  it("honours the client's own keyPrefix", async () => {
    const prefix = freshPrefix();
    const client = new Redis({ host: '127.0.0.1', port: server.port, keyPrefix: 'app:' });
    clients.push(client);
    const logger = recordingLogger();
    const a = createRedisStateStore({ client, prefix, logger });
    stores.push(a);
    const until = Date.now() + 10_000;
    a.shareCooldown('k', until);
    await waitFor(async () => (await admin.get(`app:${prefix}cooldown:k`)) === String(until), {
      what: 'stored under keyPrefix + prefix',
    });

    const other = client.duplicate(); // another replica, same keyPrefix
    clients.push(other);
    const b = createRedisStateStore({ client: other, prefix, logger });
    stores.push(b);
    const heard: SharedStateEvent[] = [];
    b.subscribe((event) => heard.push(event));
    await waitFor(() => heard.length === 1, { what: 'the late subscriber with the same keyPrefix' });
    expect(heard).toEqual([{ type: 'cooldown', key: 'k', untilMs: until }]);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it("close() ends the store's subscriber connection but not the user's client", async () => {
    const prefix = freshPrefix();
    const a = replica({ prefix });
    a.listen();
    await waitFor(async () => (await subscribers(`${prefix}events`)) === 1, { what: 'subscribed' });
    await a.store.close();
    await a.store.close(); // twice is harmless
    expect(await subscribers(`${prefix}events`)).toBe(0);
    expect(a.client.status).toBe('ready');
    expect(await a.client.ping()).toBe('PONG');
    // After close: no-ops, no throw.
    a.store.shareCooldown('k', Date.now() + 1000);
    const off = a.store.subscribe(() => {});
    off();
    // A command sent after on the same connection is answered: what the store sent (nothing) has run.
    expect(await a.client.ping()).toBe('PONG');
    expect(await admin.exists(`${prefix}cooldown:k`)).toBe(0);
  });

  it('gives up on a slow Redis after commandTimeoutMs, without blocking the caller', async () => {
    const prefix = freshPrefix();
    const a = replica({ prefix, commandTimeoutMs: 100 });
    expect(await a.client.ping()).toBe('PONG');
    const sleeper = new Redis({ host: '127.0.0.1', port: server.port });
    clients.push(sleeper);
    expect(await sleeper.ping()).toBe('PONG');
    const slow = sleeper.call('DEBUG', 'SLEEP', '0.4');
    await redisAsleep(); // for most of its 400 ms still

    const started = Date.now();
    a.store.shareCooldown('slow', Date.now() + 10_000);
    expect(Date.now() - started).toBeLessThan(50);
    await waitFor(() => a.logger.warn.mock.calls.length > 0, { what: 'the warning', timeoutMs: 1000 });
    const gaveUpAfter = Date.now() - started;
    expect(gaveUpAfter).toBeGreaterThanOrEqual(90);
    expect(gaveUpAfter).toBeLessThan(300); // well before Redis answers
    expect(messages(a.logger, 'warn')[0]).toMatch(/Redis.*no answer within 100 ms/);

    await slow;
    // Redis answers again: the episode ends (the abandoned command may still have run).
    a.store.shareCooldown('fast', Date.now() + 10_000);
    await waitFor(() => a.logger.info.mock.calls.length > 0, { what: 'back at info', timeoutMs: 2000 });
    expect(messages(a.logger, 'info')[0]).toMatch(/Redis state store is back/);
    expect(a.logger.warn).toHaveBeenCalledTimes(1);
  });

  it('a new listener during a slow Redis gives up its catch-up in time, and gets it once Redis answers', async () => {
    const prefix = freshPrefix();
    const a = replica({ prefix });
    const until = Date.now() + 20_000;
    a.store.shareCooldown('k', until);
    await waitFor(async () => (await admin.exists(`${prefix}cooldown:k`)) === 1, { what: 'stored' });

    const b = replica({ prefix });
    b.listen();
    await waitFor(() => b.events.length === 1, { what: 'B subscribed and caught up' });
    const sleeper = new Redis({ host: '127.0.0.1', port: server.port });
    clients.push(sleeper);
    await sleeper.ping();
    const slow = sleeper.call('DEBUG', 'SLEEP', '0.4');
    await redisAsleep();
    const heard: SharedStateEvent[] = [];
    const started = Date.now();
    b.store.subscribe((event) => heard.push(event));
    expect(Date.now() - started).toBeLessThan(50);
    await waitFor(() => b.logger.warn.mock.calls.length > 0, { what: 'the warning', timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(300);
    await slow;
    await waitFor(() => heard.length === 1, { what: 'the catch-up, retried', timeoutMs: 3000 });
    expect(heard).toEqual([{ type: 'cooldown', key: 'k', untilMs: until }]);
    await waitFor(() => b.logger.info.mock.calls.length > 0, { what: 'back at info', timeoutMs: 2000 });
  });
});

describeWithRedis('Redis state store: Redis killed mid-run', () => {
  let server: RedisServer;
  const stores: RedisStateStore[] = [];
  const clients: Redis[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  // Jest gives each test file its own copy of `process`: Node emits unhandledRejection on the real one.
  const realProcess: NodeJS.Process = vm.runInThisContext('process');

  beforeAll(async () => {
    server = await startRedisServer();
    realProcess.on('unhandledRejection', onUnhandled);
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    for (const client of clients.splice(0)) client.disconnect();
    await server?.stop();
    realProcess.off('unhandledRejection', onUnhandled);
    process.off('unhandledRejection', onUnhandled);
  });

  it('keeps every call working while Redis is down, warns once, and rejoins within 5 s of its return', async () => {
    const prefix = freshPrefix();
    const make = () => {
      const client = new Redis({
        host: '127.0.0.1',
        port: server.port,
        retryStrategy: () => 100,
        maxRetriesPerRequest: 1,
      });
      client.on('error', () => {});
      clients.push(client);
      const logger = recordingLogger();
      const store = createRedisStateStore({ client, prefix, logger });
      stores.push(store);
      const events: SharedStateEvent[] = [];
      store.subscribe((event) => events.push(event));
      return { client, logger, store, events };
    };
    const a = make();
    const b = make();
    const admin = new Redis({ host: '127.0.0.1', port: server.port, retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
    clients.push(admin);
    const numsub = async () =>
      Number(((await admin.call('PUBSUB', 'NUMSUB', `${prefix}events`)) as [string, string])[1]);
    await waitFor(async () => (await numsub()) === 2, { what: 'both subscribed' });
    a.store.shareCooldown('before', Date.now() + 30_000);
    await waitFor(() => heardFor(b.events, 'before').length > 0, { what: 'B to hear' });

    // Shares sent as Redis dies (the client still thinks it is connected) fail or time out quietly.
    const killed = server.kill();
    for (let i = 0; i < 3; i++) a.store.shareCooldown('at-kill', Date.now() + 30_000);
    await killed;
    await waitFor(
      () => {
        a.store.shareCooldown('at-kill', Date.now() + 30_000);
        return a.client.status !== 'ready' && b.client.status !== 'ready';
      },
      { what: 'the clients to notice' },
    );

    // Calls go on: sharing returns at once and never throws.
    const duringOutage = Date.now() + 30_000;
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      expect(() => a.store.shareCooldown('during', duringOutage + i)).not.toThrow();
      expect(Date.now() - started).toBeLessThan(50);
    }
    await waitFor(() => a.logger.warn.mock.calls.length > 0 && b.logger.warn.mock.calls.length > 0, {
      what: 'both warnings',
    });
    // No second warning may come during an episode, however long: each failed reconnection
    // attempt (the clients retry every 100 ms) tells the stores again.
    const reconnections = { a: 0, b: 0 };
    a.client.on('reconnecting', () => reconnections.a++);
    b.client.on('reconnecting', () => reconnections.b++);
    const reconnected = (times: number) => () => reconnections.a >= times && reconnections.b >= times;
    await waitFor(reconnected(6), { what: 'several reconnection attempts' }); // and a probe (every 500 ms)...
    for (let i = 0; i < 5; i++) a.store.shareCooldown('during', duringOutage);
    await waitFor(reconnected(9), { what: 'more reconnection attempts' });
    // ...still one warning per replica for the episode, naming Redis.
    expect(a.logger.warn).toHaveBeenCalledTimes(1);
    expect(b.logger.warn).toHaveBeenCalledTimes(1);
    expect(messages(a.logger, 'warn')[0]).toMatch(/Redis/);
    expect(messages(b.logger, 'warn')[0]).toMatch(/Redis/);

    const restartedAt = Date.now();
    await server.restart(); // same port, empty (nothing persisted)

    // What A could not share during the outage reaches B once Redis is back.
    await waitFor(() => b.events.some((event) => event.key === 'during'), {
      what: 'B to learn the outage-time cooldown',
      timeoutMs: 5000,
    });
    expect(untilOf(b.events.find((event) => event.key === 'during'))).toBe(duringOutage + 19);
    // And new events flow in both directions.
    b.store.shareCooldown('after', Date.now() + 30_000);
    await waitFor(() => a.events.some((event) => event.key === 'after'), {
      what: 'A to hear a new event',
      timeoutMs: 5000,
    });
    const rejoinedAfter = Date.now() - restartedAt;
    expect(rejoinedAfter).toBeLessThan(5000);
    await waitFor(() => a.logger.info.mock.calls.length > 0 && b.logger.info.mock.calls.length > 0, {
      what: 'both back at info',
      timeoutMs: 5000,
    });
    expect(messages(a.logger, 'info')[0]).toMatch(/Redis state store is back/);
    expect(a.logger.warn).toHaveBeenCalledTimes(1);
    expect(b.logger.warn).toHaveBeenCalledTimes(1);
    expect(Number(await admin.get(`${prefix}cooldown:during`))).toBe(duringOutage + 19);

    await sleep(50); // deliberately fixed: lets a stray rejection surface, if any
    expect(unhandled).toEqual([]);
  }, 20_000);
});

describe('createRedisStateStore options', () => {
  const fakeClient = {
    status: 'ready',
    duplicate() {},
    evalsha() {},
    eval() {},
    scan() {},
    get() {},
    hmget() {},
    time() {},
    ping() {},
  } as unknown as RedisStateStoreOptions['client'];

  it.each([
    ['no options', undefined, /options must be an object/],
    ['no client', {}, /client must be an ioredis Redis or Cluster client \(received undefined\)/],
    [
      'a client without commands',
      { client: {} },
      /client must be an ioredis Redis or Cluster client \(received an object\)/,
    ],
    ['an empty prefix', { client: fakeClient, prefix: '' }, /prefix must be a non-empty string \(received ""\)/],
    [
      'a prefix that is no string',
      { client: fakeClient, prefix: 5 },
      /prefix must be a non-empty string \(received 5\)/,
    ],
    [
      'a zero timeout',
      { client: fakeClient, commandTimeoutMs: 0 },
      /commandTimeoutMs must be a positive .* \(received 0\)/,
    ],
    [
      'a negative timeout',
      { client: fakeClient, commandTimeoutMs: -5 },
      /commandTimeoutMs must be a positive .* \(received -5\)/,
    ],
    [
      'a NaN timeout',
      { client: fakeClient, commandTimeoutMs: Number.NaN },
      /commandTimeoutMs must be a positive .* \(received NaN\)/,
    ],
    ['an unknown option', { client: fakeClient, timeout: 5 }, /timeout is not an option/],
    ['a logger without methods', { client: fakeClient, logger: {} }, /logger must be a winston logger/],
  ])('rejects %s with a TypeError', (_name, options, message) => {
    expect(() => createRedisStateStore(options as RedisStateStoreOptions)).toThrow(TypeError);
    expect(() => createRedisStateStore(options as RedisStateStoreOptions)).toThrow(message);
  });

  it("warns through the library's configured logger when given none (a Redis nobody runs)", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const logger = recordingLogger();
    configureResilience({ logger });
    const client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    const store = createRedisStateStore({ client });
    try {
      store.shareCooldown('k', Date.now() + 10_000);
      const off = store.subscribe(() => {});
      await waitFor(() => logger.warn.mock.calls.length > 0, { what: 'the warning', timeoutMs: 2000 });
      // No second warning may come however often the client fails to reconnect (every 100 ms).
      let reconnections = 0;
      client.on('reconnecting', () => reconnections++);
      await waitFor(() => reconnections >= 3, { what: 'three more reconnection attempts' });
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(messages(logger, 'warn')[0]).toMatch(/^Redis state store unavailable/);
      expect(logger.warn.mock.calls[0][1]).toMatchObject({ prefix: 'llm-resilience:' });
      off();
    } finally {
      await store.close();
      client.disconnect();
      resetResilience();
    }
  });

  it('never loads ioredis itself', () => {
    jest.isolateModules(() => {
      jest.doMock('ioredis', () => {
        throw new Error('ioredis was loaded by llm-resilience/redis');
      });
      const redis = require('../../src/integrations/redis');
      expect(typeof redis.createRedisStateStore).toBe('function');
    });
    jest.dontMock('ioredis');
  });
});
