// Replicas as they run in production: separate Node processes, each with its own Redis
// client, state store and ResilientLLMService (the real openai SDK), sharing one real
// redis-server and calling one fault server.
import { startFaultServer, type FaultServer } from '../../src/testing';
import { describeWithRedis, startRedisServer, type RedisServer } from '../support/redis-server';
import { Replica, startReplicas } from './replicas/replica-fleet';
import { waitFor } from '../support/wait-for';

jest.setTimeout(30_000);

/** The content of a request's last user message (the tests steer faults by it). */
function contentOf(body: unknown): string {
  const messages = (body as { messages?: Array<{ content?: unknown }> } | undefined)?.messages;
  const content = messages?.[messages.length - 1]?.content;
  return typeof content === 'string' ? content : '';
}

describeWithRedis('replicas in separate processes sharing one Redis', () => {
  let redis: RedisServer;
  let server: FaultServer;
  let replicas: Replica[];
  /** When each request arrived, by content. */
  const arrivals: Array<{ content: string; at: number }> = [];
  /** Decides the fault of a request from its content. */
  let faultOf: (content: string) => string | undefined = () => undefined;

  beforeAll(async () => {
    redis = await startRedisServer();
    server = await startFaultServer({
      faultFor: (request) => {
        const content = contentOf(request.body);
        arrivals.push({ content, at: Date.now() });
        return faultOf(content);
      },
    });
    replicas = await startReplicas(['A', 'B', 'C'], {
      redisPort: redis.port,
      baseURL: server.openaiBaseURL,
      prefix: `replicas-${process.pid}:`,
    });
    const [a, b, c] = replicas;
    // Warm up: every replica has made a call (its store is subscribed) before the scenarios.
    await Promise.all([a.call('warm-up'), b.call('warm-up'), c.call('warm-up')]);
  });

  afterAll(async () => {
    await Promise.all((replicas ?? []).map((replica) => replica.stop()));
    await server?.close();
    await redis?.stop();
  });

  beforeEach(() => {
    arrivals.length = 0;
    faultOf = () => undefined;
  });

  const arrivalsOf = (content: string) =>
    arrivals.filter((arrival) => arrival.content === content).map((arrival) => arrival.at);

  /** Resolves once the fault server has recorded a request with this content; its arrival time. */
  const firstArrivalOf = async (content: string): Promise<number> => {
    await waitFor(() => arrivalsOf(content).length > 0, { what: `the request "${content}" at the fault server` });
    return arrivalsOf(content)[0];
  };

  /** Whether `replica`'s store has told its listeners (the engine among them) of a cooldown ending after `afterMs`. */
  const heardCooldown = async (replica: Replica, afterMs: number): Promise<boolean> =>
    (await replica.stats()).heard.some((event) => event.type === 'cooldown' && (event.untilMs ?? 0) > afterMs);

  /** Whether every replica has logged a line matching `pattern` (at warn or info). */
  const everyReplicaLogged = async (pattern: RegExp): Promise<boolean> => {
    const stats = await Promise.all(replicas.map((replica) => replica.stats()));
    return stats.every(({ warnings, infos }) => [...warnings, ...infos].some((message) => pattern.test(message)));
  };

  /** How many lines matching `pattern` each replica has logged (at warn or info), in replica order. */
  const linesLogged = async (pattern: RegExp): Promise<number[]> => {
    const stats = await Promise.all(replicas.map((replica) => replica.stats()));
    return stats.map(
      ({ warnings, infos }) => [...warnings, ...infos].filter((message) => pattern.test(message)).length,
    );
  };
  const UNAVAILABLE = /Redis state store unavailable/;
  const BACK = /Redis state store is back/;

  it("a 429 with retry-after-ms seen by one replica holds the other replicas' calls to the same key", async () => {
    const [a, b, c] = replicas;
    faultOf = (content) => (content === 'A: first' && arrivalsOf('A: first').length === 1 ? '429:700' : undefined);
    const first = a.call('A: first', { baseDelayMs: 100 });
    const limitedAt = await firstArrivalOf('A: first');
    // The 429 reached A, and A's cooldown reached B and C through Redis (A shares it on the 429).
    await waitFor(async () => (await heardCooldown(b, limitedAt)) && (await heardCooldown(c, limitedAt)), {
      what: "A's cooldown to reach B and C",
    });
    const [fromB, fromC, fromA] = await Promise.all([b.call('B: held'), c.call('C: held'), first]);
    expect([fromA.ok, fromB.ok, fromC.ok]).toEqual([true, true, true]);
    // B and C sent their first (and only) request after the Retry-After the server gave A.
    for (const content of ['B: held', 'C: held']) {
      expect(arrivalsOf(content)).toHaveLength(1);
      expect(arrivalsOf(content)[0] - limitedAt).toBeGreaterThanOrEqual(650);
    }
    expect(arrivalsOf('A: first')).toHaveLength(2);
  });

  it('a breaker opened by failures spread across the processes makes all of them fail fast', async () => {
    // Its own key (model): a key's breaker keeps the options it was first created with.
    const breaker = { maxAttempts: 1, circuitBreaker: { failureThreshold: 6, halfOpenAfterMs: 30_000 } };
    const model = 'gpt-4o-breaker';
    faultOf = (content) => (content.startsWith('down') ? '503' : undefined);
    // Two failures per replica: 2 each, 6 together.
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(
        replicas.map((replica) => replica.call(`down ${replica.name} ${round}`, breaker, model)),
      );
      expect(results.map((result) => result.kind)).toEqual(['server', 'server', 'server']);
    }
    // The opening reached every replica: each logs it when its own breaker takes it on.
    await waitFor(() => everyReplicaLogged(new RegExp(`Circuit for .*${model}.* opened`)), {
      what: 'the opening to reach every replica',
    });
    const before = server.requests.length;
    const results = await Promise.all(
      replicas.map((replica) => replica.call(`down ${replica.name} after`, breaker, model)),
    );
    expect(results.map((result) => result.kind)).toEqual(['circuit_open', 'circuit_open', 'circuit_open']);
    expect(server.requests.length).toBe(before); // not one request reached the provider
  });

  it('killing Redis mid-run leaves every process working on local state; they rejoin when it is back', async () => {
    const calls = (tag: string) =>
      Promise.all(replicas.flatMap((replica) => [1, 2, 3].map((i) => replica.call(`${tag} ${replica.name} ${i}`))));
    expect((await calls('before')).every((result) => result.ok)).toBe(true);
    // A Redis answer slower than commandTimeoutMs (a loaded machine) is an episode of its own:
    // the outage starts outside any, and the lines below are counted from here.
    await waitFor(
      async () => {
        const [warned, back] = await Promise.all([linesLogged(UNAVAILABLE), linesLogged(BACK)]);
        return warned.every((count, index) => count === back[index]);
      },
      { what: 'no Redis episode in progress' },
    );
    const warnedBefore = await linesLogged(UNAVAILABLE);
    const backBefore = await linesLogged(BACK);

    await redis.kill();
    // Calls go on, on local state, without waiting for Redis.
    for (let round = 0; round < 3; round++) {
      const results = await calls(`outage ${round}`);
      expect(results.every((result) => result.ok)).toBe(true);
      expect(Math.max(...results.map((result) => result.ms))).toBeLessThan(1000);
      // The next rounds run once every replica's store knows Redis is gone (it warns then).
      await waitFor(async () => (await linesLogged(UNAVAILABLE)).every((count, index) => count > warnedBefore[index]), {
        what: 'every replica to notice the outage',
      });
    }

    await redis.restart();
    const back = Date.now();
    // Every store says it is back: its subscriber is subscribed again and has caught up.
    await waitFor(async () => (await linesLogged(BACK)).every((count, index) => count > backBefore[index]), {
      what: 'every replica to rejoin',
      timeoutMs: 6000,
      intervalMs: 50,
    });
    const rejoinedAfterMs = Date.now() - back;
    expect(rejoinedAfterMs).toBeLessThanOrEqual(5000);
    // Rejoined for real: a 429 seen by A holds B again.
    const [a, b] = replicas;
    const limited = 'A: rejoin';
    faultOf = (content) => (content === limited && arrivalsOf(limited).length === 1 ? '429:400' : undefined);
    const fromA = a.call(limited, { baseDelayMs: 100 });
    const limitedAt = await firstArrivalOf(limited);
    await waitFor(() => heardCooldown(b, limitedAt), { what: "A's cooldown to reach B after the outage" });
    const held = 'B: rejoin';
    await b.call(held);
    await fromA;
    expect(arrivalsOf(held)[0] - limitedAt).toBeGreaterThanOrEqual(350);

    for (const [index, replica] of replicas.entries()) {
      const stats = await replica.stats();
      expect(stats.unhandledRejections).toBe(0);
      expect(stats.uncaughtExceptions).toBe(0);
      // One warning for the outage, naming Redis; and it says when Redis is back.
      expect(stats.warnings.filter((message) => UNAVAILABLE.test(message))).toHaveLength(warnedBefore[index] + 1);
      expect(stats.infos.filter((message) => BACK.test(message)).length).toBeGreaterThan(backBefore[index]);
    }
  });
});
