import { randomUUID } from 'node:crypto';
// Types only: `ioredis` is never loaded by this module; the user passes a client.
import type { Cluster, Redis } from 'ioredis';
import { checkLogger, configuredLogger } from '../../config/resilience-settings';
import type {
  CircuitProbeClaim,
  CircuitProbeLimits,
  SharedBudgetOptions,
  SharedCircuitOptions,
  SharedCircuitOutcome,
  SharedStateEvent,
  SharedStateStore,
} from '../../ports/shared-state-store';
import { describeReceived } from '../../internal/option-checks';
import type { ResilienceLogger } from '../../observability/default-logger';
import { KeyLayout, keyLayout, type StateKind } from './key-layout';
import {
  ADJUST_BUDGET,
  ANNOUNCE_ACTIVE,
  CIRCUIT_OUTCOME,
  CLAIM_PROBE,
  LuaScript,
  runScript,
  SHARE_COOLDOWN,
  SHARE_LIMIT,
} from './scripts';

/*
 * Key layout: see key-layout.ts (cooldown, breaker, budget and replicas keys per upstream
 * key, one events channel).
 *
 * Connections: commands (Lua, SCAN, GET, PING) go through the user's client; pub/sub needs a
 * connection of its own, made with `client.duplicate()` when the first listener subscribes
 * and ended by `close()` (or when the last listener unsubscribes). The user's client is
 * never closed by the store.
 */

/**
 * The options of `createRedisStateStore`.
 *
 * @example
 * ```ts
 * const store = createRedisStateStore({ client: new Redis(), prefix: 'my-app:', commandTimeoutMs: 200 });
 * ```
 */
export interface RedisStateStoreOptions {
  /**
   * An ioredis `Redis` or `Cluster` client (ioredis 5 or 6). It stays yours: the store sends
   * its commands through it and never closes it; pub/sub uses a duplicate of it. The store
   * is back on the shared state as soon as this client has reconnected after an outage:
   * a `retryStrategy` that retries at least every second or two keeps that within 5 s
   * (ioredis 5's default does; ioredis 6's default backs off to about 5 s).
   */
  client: Redis | Cluster;
  /**
   * Starts every key (after the client's own `keyPrefix`, if any) and the events channel.
   * @default 'llm-resilience:'
   */
  prefix?: string;
  /**
   * A Redis command that takes longer (ms) is abandoned (the caller never waits for it).
   * @default 100
   */
  commandTimeoutMs?: number;
  /**
   * Where the store says that Redis is unavailable or back.
   * @default the logger of `configureResilience`, else the library's own
   */
  logger?: ResilienceLogger;
}

/** A `SharedStateStore` backed by Redis, as made by `createRedisStateStore`. */
export interface RedisStateStore extends SharedStateStore {
  shareCircuitOutcome(key: string, report: SharedCircuitOutcome, options: SharedCircuitOptions): void;
  claimCircuitProbe(key: string, ttlMs: number, limits?: CircuitProbeLimits): Promise<CircuitProbeClaim>;
  shareBudget(key: string, delta: number, options: SharedBudgetOptions): void;
  announceActive(key: string): void;
  shareRateLimit(key: string, limitPerMinute: number): void;
  /** Ends the store's own subscriber connection (not your client) and stops every timer. */
  close(): Promise<void>;
}

const DEFAULT_PREFIX = 'llm-resilience:';
const DEFAULT_COMMAND_TIMEOUT_MS = 100;
const OPTION_KEYS: ReadonlySet<string> = new Set(['client', 'prefix', 'commandTimeoutMs', 'logger']);
/** How often an unavailable Redis is probed (and a failed catch-up retried). */
const PROBE_INTERVAL_MS = 500;
/** The subscriber connection retries at least this often while Redis is down. */
const MAX_RECONNECT_DELAY_MS = 1000;
/** Cooldowns that could not be shared, re-shared when Redis is back (bounded). */
const MAX_UNSHARED = 1000;
const SCAN_COUNT = 200;
/** Budget changes are sent in batches, at most this long after the first. */
const BUDGET_FLUSH_MS = 25;
/** A shared budget untouched this long expires (and is full again). */
const BUDGET_TTL_MS = 15 * 60_000;
/** Each replica says at most this often that it sends to a paced key... */
const ANNOUNCE_INTERVAL_MS = 1000;
/** ...and counts as sending for this long after it last said so. */
const ACTIVE_WINDOW_MS = 3000;
const REPLICAS_TTL_MS = 10_000;
/** A shared open circuit or probe another replica stored is never believed further ahead than this. */
const MAX_PROBE_WAIT_MS = 24 * 60 * 60_000;

/** A limit of `claimCircuitProbe`: a positive whole number of ms, at most MAX_PROBE_WAIT_MS. */
function bounded(limitMs: number | undefined): number {
  return limitMs !== undefined && limitMs > 0 ? Math.ceil(Math.min(limitMs, MAX_PROBE_WAIT_MS)) : MAX_PROBE_WAIT_MS;
}
/** A learned rate limit is kept this long after it was last learned. */
const LIMIT_TTL_MS = 60 * 60_000;
/** Events this replica must hear from itself too (the outcome of a script it ran). */
const OWN_EVENTS_HEARD: ReadonlySet<string> = new Set(['circuit']);
/** A bound on SCAN round trips per node, against a cursor that never ends. */
const MAX_SCAN_ROUNDS = 10_000;
/** ioredis states in which a connection neither works nor is about to. */
const DOWN_STATES: ReadonlySet<string> = new Set(['reconnecting', 'close', 'end']);

/** What the store uses of a command connection: an ioredis `Redis`, `Cluster` or cluster node. */
interface CommandConnection {
  readonly status: string;
  readonly isCluster?: boolean;
  readonly options?: { keyPrefix?: string };
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  scan(cursor: string, ...args: Array<string | number>): Promise<[string, string[]]>;
  get(key: string): Promise<string | null>;
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>;
  time(): Promise<[string, string] | string[]>;
  ping(): Promise<unknown>;
  nodes?(role?: string): CommandConnection[];
  duplicate(...args: unknown[]): SubscriberConnection;
}

/** What the store uses of its subscriber connection (the client's duplicate). */
interface SubscriberConnection {
  readonly status: string;
  subscribe(channel: string): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
}

class CommandTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'CommandTimeoutError';
  }
}

/** Calls `start` and settles with it, or rejects after `ms`; a late outcome is ignored (and handled). */
function withTimeout<T>(start: () => Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new CommandTimeoutError(ms)), ms);
    timer.unref?.();
    let promise: Promise<T>;
    try {
      promise = Promise.resolve(start());
    } catch (error) {
      clearTimeout(timer);
      reject(error);
      return;
    }
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function describeError(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message !== '' ? message : String(error);
}

interface Subscription {
  readonly listener: (event: SharedStateEvent) => void;
}

/** A deadline or duration that has passed: a late event, or a state expiring as it is read. */
function passed(value: unknown, now: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value <= now;
}

/**
 * The event a published message (or a stored state) carries, by its type and key; undefined
 * for anything else, and for a cooldown or open circuit that has already ended. Its numbers
 * are passed on as received (typed as the event says, checked by nobody here): the engine
 * bounds every value it hears before applying it, and says once when one was out of bounds
 * (`applySharedEvent`). Dropped here, a poisoned value would go unreported.
 */
function parseEvent(event: Record<string, unknown>, now: number): SharedStateEvent | undefined {
  const key = event.key;
  if (typeof key !== 'string') return undefined;
  const heard = (field: string): number => event[field] as number;
  switch (event.type) {
    case 'cooldown':
      return passed(event.untilMs, now) ? undefined : { type: 'cooldown', key, untilMs: heard('untilMs') };
    case 'circuit':
      if (event.state === 'closed') return { type: 'circuit', key, state: 'closed' };
      if (event.state !== 'open' || passed(event.openForMs, 0)) return undefined;
      return { type: 'circuit', key, state: 'open', openForMs: heard('openForMs'), failures: heard('failures') ?? 0 };
    case 'failing':
      return { type: 'failing', key };
    case 'budget':
      return { type: 'budget', key, tokens: heard('tokens') };
    case 'limit':
      return { type: 'limit', key, limitPerMinute: heard('limitPerMinute') };
    case 'replicas':
      return { type: 'replicas', key, count: heard('count') };
    default:
      return undefined;
  }
}

class RedisStateStoreImpl implements RedisStateStore {
  /** Tells this store's own events apart from other replicas' (it already knows them). */
  private readonly source = randomUUID();
  private readonly layout: KeyLayout;
  private readonly subscriptions = new Set<Subscription>();
  private subscriber: SubscriberConnection | undefined;
  /** SUBSCRIBE is confirmed on the current subscriber connection. */
  private subscribed = false;
  /** False during an episode of Redis being unavailable (one warning per episode). */
  private healthy = true;
  private unhealthySince = 0;
  /** The cooldowns in force must be read again (a catch-up failed or could not run yet). */
  private syncNeeded = false;
  private fullSyncRunning = false;
  private fullSyncAgain = false;
  private probing = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly unshared = new Map<string, number>();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Budget changes not sent yet, per key (sent every BUDGET_FLUSH_MS). */
  private readonly budgetDeltas = new Map<string, { delta: number; options: SharedBudgetOptions }>();
  private budgetTimer: NodeJS.Timeout | undefined;
  /** When this replica last announced itself per paced key. */
  private readonly announced = new Map<string, number>();
  /** A stored circuit deadline too far ahead was cut (warned once per store). */
  private reportedProbeCut = false;

  constructor(
    private readonly client: CommandConnection,
    private readonly commandTimeoutMs: number,
    private readonly logger: ResilienceLogger | undefined,
    prefix: string,
  ) {
    this.layout = keyLayout(prefix, client.options?.keyPrefix ?? '');
  }

  shareCooldown(key: string, untilMs: number): void {
    try {
      if (this.closed || typeof key !== 'string' || !Number.isFinite(untilMs)) return;
      const ttlMs = Math.ceil(untilMs - Date.now());
      if (ttlMs <= 0) return;
      const message = JSON.stringify({ type: 'cooldown', key, untilMs, source: this.source });
      this.fire(
        SHARE_COOLDOWN,
        () => [this.layout.keyOf('cooldown', key), untilMs, ttlMs, this.layout.eventsChannel, message],
        // A cooldown that could not be shared is shared again when Redis is back.
        { onUnsent: () => this.remember(key, untilMs) },
      );
    } catch (error) {
      // Never into the caller's call.
      this.failed(describeError(error));
    }
  }

  shareCircuitOutcome(key: string, report: SharedCircuitOutcome, options: SharedCircuitOptions): void {
    const successes = report.outcome === 'failure' ? (report.successes ?? 0) : 0;
    const ttlMs = Math.max(options.samplingDurationMs, options.maxHalfOpenAfterMs) + 60_000;
    this.fire(CIRCUIT_OUTCOME, () => [
      this.layout.keyOf('breaker', key),
      report.outcome,
      options.failureRatio === undefined ? (options.failureThreshold ?? '') : '',
      options.failureRatio ?? '',
      options.minimumThroughput,
      options.samplingDurationMs,
      options.halfOpenAfterMs,
      options.maxHalfOpenAfterMs,
      this.layout.eventsChannel,
      this.source,
      successes,
      key,
      Math.ceil(ttlMs),
    ]);
  }

  async claimCircuitProbe(key: string, ttlMs: number, limits?: CircuitProbeLimits): Promise<CircuitProbeClaim> {
    const granted = { granted: true } as const;
    try {
      if (this.closed || !this.usable(this.client)) return granted;
      const holdMs = Math.max(1, Math.ceil(ttlMs));
      const maxOpenMs = bounded(limits?.maxOpenMs);
      const maxProbeMs = bounded(limits?.maxProbeMs);
      const args = [this.layout.keyOf('breaker', key), this.source, holdMs, holdMs + 60_000, maxOpenMs, maxProbeMs];
      const reply = await this.command(() => runScript(this.client, CLAIM_PROBE, args));
      this.succeeded(false);
      const [waitMs, cut] = Array.isArray(reply) ? reply.map(Number) : [Number(reply), 0];
      if (cut === 1 && !this.reportedProbeCut) {
        // Once per store; only the key and numbers: a stored deadline that far ahead is poisoned or buggy.
        this.reportedProbeCut = true;
        const upstream = key.slice(0, 200);
        this.log(
          'warn',
          `llm-resilience: cut a shared circuit state for key ${JSON.stringify(upstream)} that lay further ahead than ${maxOpenMs} ms open or ${maxProbeMs} ms probing (the breaker's longest)`,
          { upstream, maxOpenMs, maxProbeMs },
        );
      }
      return Number.isFinite(waitMs) && waitMs > 0 ? { granted: false, retryAfterMs: waitMs } : granted;
    } catch (error) {
      // Redis cannot tell: each replica decides alone, as without a store.
      this.failed(describeError(error));
      return granted;
    }
  }

  shareBudget(key: string, delta: number, options: SharedBudgetOptions): void {
    if (this.closed || typeof key !== 'string' || !Number.isFinite(delta) || delta === 0) return;
    const pending = this.budgetDeltas.get(key);
    if (pending === undefined) this.budgetDeltas.set(key, { delta, options });
    else {
      pending.delta += delta;
      pending.options = options;
    }
    if (this.budgetTimer === undefined) {
      this.budgetTimer = setTimeout(() => this.flushBudgets(), BUDGET_FLUSH_MS);
      this.budgetTimer.unref?.();
    }
  }

  announceActive(key: string): void {
    if (this.closed || typeof key !== 'string') return;
    const now = Date.now();
    const last = this.announced.get(key);
    if (last !== undefined && now - last < ANNOUNCE_INTERVAL_MS) return;
    this.announced.set(key, now);
    this.fire(
      ANNOUNCE_ACTIVE,
      () => [
        this.layout.keyOf('replicas', key),
        this.source,
        ACTIVE_WINDOW_MS,
        this.layout.eventsChannel,
        key,
        REPLICAS_TTL_MS,
      ],
      { onResult: (count) => this.hear({ type: 'replicas', key, count: Number(count) }) },
    );
  }

  shareRateLimit(key: string, limitPerMinute: number): void {
    if (typeof key !== 'string' || !(limitPerMinute >= 1) || !Number.isFinite(limitPerMinute)) return;
    this.fire(SHARE_LIMIT, () => [
      this.layout.keyOf('limit', key),
      limitPerMinute,
      LIMIT_TTL_MS,
      this.layout.eventsChannel,
      this.source,
      key,
    ]);
  }

  /** Sends the budget changes gathered since the last flush; each replica then adopts the shared balance. */
  private flushBudgets(): void {
    this.budgetTimer = undefined;
    const batch = [...this.budgetDeltas];
    this.budgetDeltas.clear();
    for (const [key, { delta, options }] of batch) {
      if (delta === 0) continue;
      this.fire(
        ADJUST_BUDGET,
        () => [
          this.layout.keyOf('budget', key),
          delta,
          options.capacity,
          options.retryCost,
          BUDGET_TTL_MS,
          this.layout.eventsChannel,
          this.source,
          key,
        ],
        {
          // Changes made here since this batch left are not in the shared balance yet.
          onResult: (balance) =>
            this.hear({ type: 'budget', key, tokens: Number(balance) + (this.budgetDeltas.get(key)?.delta ?? 0) }),
        },
      );
    }
  }

  /** What this replica learned from a script it ran, told to its own listeners (as others hear it by pub/sub). */
  private hear(fields: Record<string, unknown>): void {
    const event = parseEvent(fields, Date.now());
    if (event !== undefined) this.deliver([event], this.subscriptions);
  }

  /** Runs a script fire-and-forget: a Redis that is down or slow starts an episode, nothing else. */
  private fire(
    lua: LuaScript,
    args: () => Array<string | number>,
    { onResult, onUnsent }: { onResult?: (result: unknown) => void; onUnsent?: () => void } = {},
  ): void {
    try {
      if (this.closed) return;
      if (!this.usable(this.client)) {
        onUnsent?.();
        this.failed(`not connected (${this.client.status})`);
        return;
      }
      const values = args();
      this.command(() => runScript(this.client, lua, values)).then(
        (result) => {
          this.succeeded(false);
          if (onResult !== undefined && !this.closed) onResult(result);
        },
        (error: unknown) => {
          onUnsent?.();
          this.failed(describeError(error));
        },
      );
    } catch (error) {
      // Never into the caller's call.
      this.failed(describeError(error));
    }
  }

  subscribe(listener: (event: SharedStateEvent) => void): () => void {
    if (this.closed || typeof listener !== 'function') return () => {};
    const subscription: Subscription = { listener };
    this.subscriptions.add(subscription);
    if (this.subscriber === undefined) this.openSubscriber();
    else if (this.subscribed) void this.catchUp(subscription);
    // Otherwise the subscriber's `ready` reads the cooldowns in force for every listener.
    return () => {
      if (!this.subscriptions.delete(subscription)) return;
      if (this.subscriptions.size === 0) void this.closeSubscriber();
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.stopProbe();
      if (this.budgetTimer !== undefined) clearTimeout(this.budgetTimer);
      this.budgetTimer = undefined;
      this.budgetDeltas.clear();
      this.subscriptions.clear();
      this.unshared.clear();
      await this.closeSubscriber();
    })();
    return this.closing;
  }

  // --- subscriber connection ----------------------------------------------------------

  private openSubscriber(): void {
    let subscriber: SubscriberConnection;
    try {
      subscriber = this.duplicateClient();
    } catch (error) {
      this.failed(`cannot open a subscriber connection: ${describeError(error)}`);
      return; // The probe tries again.
    }
    this.subscriber = subscriber;
    this.subscribed = false;
    const current = () => this.subscriber === subscriber && !this.closed;
    subscriber.on('error', (error: unknown) => {
      if (current()) this.failed(describeError(error));
    });
    subscriber.on('close', () => {
      if (!current()) return;
      this.subscribed = false;
      this.failed('the subscriber connection closed');
    });
    subscriber.on('ready', () => {
      if (!current()) return;
      // Subscribe first, then read the cooldowns in force: nothing shared in between is missed.
      // No timeout here: the connection is the store's own, and a slow answer still counts.
      Promise.resolve()
        .then(() => subscriber.subscribe(this.layout.eventsChannel))
        .then(
          () => {
            if (!current()) return;
            this.subscribed = true;
            this.requestFullSync();
          },
          (error: unknown) => {
            if (current()) this.failed(`SUBSCRIBE failed: ${describeError(error)}`);
          },
        );
    });
    subscriber.on('message', (channel: unknown, message: unknown) => {
      if (current() && channel === this.layout.eventsChannel) this.onMessage(message);
    });
  }

  /** A connection of the store's own, like the client (same server, credentials, TLS). */
  private duplicateClient(): SubscriberConnection {
    // Retry often while Redis is down, so the store rejoins within seconds of its return.
    const retry = (times: number) => Math.min(100 * 2 ** Math.min(Math.max(times - 1, 0), 4), MAX_RECONNECT_DELAY_MS);
    if (this.client.isCluster) {
      return this.client.duplicate([], { lazyConnect: false, enableOfflineQueue: false, clusterRetryStrategy: retry });
    }
    return this.client.duplicate({
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: null,
      retryStrategy: retry,
    });
  }

  private closeSubscriber(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    this.subscribed = false;
    this.syncNeeded = false;
    if (subscriber === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      timer.unref?.();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      try {
        if (subscriber.status === 'end') return done();
        subscriber.once('end', done);
        subscriber.disconnect();
        if (subscriber.status === 'end') done();
      } catch {
        done();
      }
    });
  }

  private onMessage(message: unknown): void {
    if (typeof message !== 'string') return;
    let raw: unknown;
    try {
      raw = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return;
    const fields = raw as Record<string, unknown>;
    // This replica already knows what it shared, except the outcome of a script it ran.
    if (fields.source === this.source && !OWN_EVENTS_HEARD.has(String(fields.type))) return;
    const event = parseEvent(fields, Date.now());
    if (event !== undefined) this.deliver([event], this.subscriptions);
  }

  private deliver(events: readonly SharedStateEvent[], to: Iterable<Subscription>): void {
    for (const subscription of [...to]) {
      for (const event of events) {
        if (!this.subscriptions.has(subscription)) break;
        try {
          subscription.listener(event);
        } catch {
          // A listener's failure is its own; the others still hear.
        }
      }
    }
  }

  // --- reading the state in force -----------------------------------------------------

  /** Reads the cooldowns, open circuits and budgets in force for every listener (once at a time; again if asked meanwhile). */
  private requestFullSync(): void {
    if (this.closed || !this.subscribed) return;
    if (this.fullSyncRunning) {
      this.fullSyncAgain = true;
      return;
    }
    this.fullSyncRunning = true;
    this.syncNeeded = false;
    void this.catchUp(undefined).finally(() => {
      this.fullSyncRunning = false;
      if (this.fullSyncAgain) {
        this.fullSyncAgain = false;
        this.requestFullSync();
      }
    });
  }

  /** Delivers the state in force to `only` (or to every listener). Never rejects. */
  private async catchUp(only: Subscription | undefined): Promise<void> {
    try {
      if (this.client.isCluster && this.client.status !== 'ready') {
        // The slots are not known yet: nothing to SCAN. Try again on the next probe.
        this.syncNeeded = true;
        this.startProbe();
        return;
      }
      const events = await this.readStateInForce();
      if (this.closed) return;
      this.deliver(events, only === undefined ? this.subscriptions : [only]);
      this.succeeded(true);
    } catch (error) {
      this.syncNeeded = true;
      this.failed(describeError(error));
    }
  }

  /** What replicas share that is in force now: cooldowns, open circuits, budgets below full. */
  private async readStateInForce(): Promise<SharedStateEvent[]> {
    const nodes = this.client.isCluster && this.client.nodes ? this.client.nodes('master') : [this.client];
    const found: SharedStateEvent[] = [];
    for (const node of nodes) {
      const [seconds, micros] = await this.command(() => node.time());
      // Breaker deadlines are on Redis's clock (one per node is close enough: same machine time).
      const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const now = Date.now();
      await this.scanKind(node, 'cooldown', ['value'], (key, [value]) => {
        const event = parseEvent({ type: 'cooldown', key, untilMs: Number(value) }, now);
        if (event) found.push(event);
      });
      await this.scanKind(node, 'breaker', ['state', 'openUntil'], (key, [state, openUntil]) => {
        if (state !== 'open') return;
        const event = parseEvent({ type: 'circuit', key, state, openForMs: Number(openUntil) - redisNow }, now);
        if (event) found.push(event);
      });
      await this.scanKind(node, 'limit', ['value'], (key, [value]) => {
        const event = parseEvent({ type: 'limit', key, limitPerMinute: Number(value) }, now);
        if (event) found.push(event);
      });
      await this.scanKind(node, 'budget', ['tokens'], (key, [tokens]) => {
        const event = parseEvent({ type: 'budget', key, tokens: Number(tokens) }, now);
        if (event) found.push(event);
      });
    }
    return found;
  }

  /**
   * SCANs `node` for the keys of `kind` and reads `fields` of each (`value` for a string):
   * `use` gets the upstream key and the values (null when missing or of another type).
   */
  private async scanKind(
    node: CommandConnection,
    kind: StateKind,
    fields: readonly string[],
    use: (key: string, values: Array<string | null>) => void,
  ): Promise<void> {
    const nodeKeyPrefix = node.options?.keyPrefix ?? '';
    const pattern = this.layout.pattern(kind);
    let cursor = '0';
    let rounds = 0;
    do {
      if (!this.usable(node)) throw new Error(`not connected (${node.status})`);
      const [next, names] = await this.command(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT));
      cursor = String(next);
      const wanted = names.flatMap((name) => {
        const key = this.layout.upstreamKeyOf(kind, name);
        // The connection adds its own keyPrefix to commands: give it the name without.
        return key === undefined
          ? []
          : [{ key, name: name.startsWith(nodeKeyPrefix) ? name.slice(nodeKeyPrefix.length) : name }];
      });
      if (wanted.length > 0) {
        const values = await this.command(() =>
          Promise.all(
            wanted.map(({ name }) =>
              (fields[0] === 'value' ? node.get(name).then((value) => [value]) : node.hmget(name, ...fields))
                // Not of the expected type (someone else's key under the prefix): nothing in force.
                .catch((error: unknown) => {
                  if (describeError(error).startsWith('WRONGTYPE')) return fields.map(() => null);
                  throw error;
                }),
            ),
          ),
        );
        wanted.forEach(({ key }, index) => use(key, values[index]));
      }
    } while (cursor !== '0' && ++rounds < MAX_SCAN_ROUNDS);
  }

  // --- failure episodes ---------------------------------------------------------------

  private command<T>(start: () => Promise<T>): Promise<T> {
    return withTimeout(start, this.commandTimeoutMs);
  }

  /**
   * A command may be sent: the connection is ready, or (outside an episode) about to be.
   * During an episode nothing is queued on a connection that is not ready.
   */
  private usable(connection: CommandConnection): boolean {
    const status = connection.status;
    if (status === 'ready') return true;
    return this.healthy && !DOWN_STATES.has(status);
  }

  private failed(reason: string): void {
    if (this.closed) return;
    if (this.healthy) {
      this.healthy = false;
      this.unhealthySince = Date.now();
      this.log(
        'warn',
        `Redis state store unavailable (${reason}): each replica keeps its own state (cooldowns, circuits, retry budgets, pacing) until Redis is back`,
        { prefix: this.layout.prefix, reason },
      );
    }
    this.startProbe();
  }

  /** A command worked. Ends the episode once the subscriber (if any) is back and caught up. */
  private succeeded(afterCatchUp: boolean): void {
    if (this.healthy || this.closed) return;
    if (this.subscriptions.size > 0 && (!this.subscribed || this.syncNeeded)) return;
    this.healthy = true;
    const seconds = ((Date.now() - this.unhealthySince) / 1000).toFixed(1);
    this.log('info', `Redis state store is back after ${seconds}s: replicas share their state again`, {
      prefix: this.layout.prefix,
    });
    if (!this.syncNeeded) this.stopProbe();
    // What could not be shared during the episode, and what others shared meanwhile.
    const pending = [...this.unshared];
    this.unshared.clear();
    for (const [key, untilMs] of pending) this.shareCooldown(key, untilMs);
    if (!afterCatchUp && this.subscriptions.size > 0) this.requestFullSync();
  }

  private remember(key: string, untilMs: number): void {
    if (this.closed) return;
    const known = this.unshared.get(key);
    if (known !== undefined && known >= untilMs) return;
    this.unshared.delete(key);
    if (this.unshared.size >= MAX_UNSHARED) {
      const now = Date.now();
      for (const [other, until] of this.unshared) if (until <= now) this.unshared.delete(other);
      if (this.unshared.size >= MAX_UNSHARED) this.unshared.delete(this.unshared.keys().next().value as string);
    }
    this.unshared.set(key, untilMs);
  }

  private startProbe(): void {
    if (this.probeTimer !== undefined || this.closed) return;
    this.probeTimer = setInterval(() => this.probe(), PROBE_INTERVAL_MS);
    this.probeTimer.unref?.();
  }

  private stopProbe(): void {
    if (this.probeTimer === undefined) return;
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  /** While Redis is unavailable (or a catch-up is owed): look again. */
  private probe(): void {
    if (this.closed) return this.stopProbe();
    if (this.subscriptions.size > 0 && this.subscriber === undefined) this.openSubscriber();
    if (this.syncNeeded) {
      if (this.subscribed && this.usable(this.client)) this.requestFullSync();
      return;
    }
    if (this.healthy) return this.stopProbe();
    if (this.probing || !this.usable(this.client)) return;
    this.probing = true;
    this.command(() => this.client.ping())
      .then(
        () => this.succeeded(false),
        (error: unknown) => this.failed(describeError(error)),
      )
      .finally(() => {
        this.probing = false;
      });
  }

  private log(level: 'warn' | 'info', message: string, meta: Record<string, unknown>): void {
    try {
      (this.logger ?? configuredLogger())[level](message, meta);
    } catch {
      // A logger's failure must not reach the caller either.
    }
  }
}

/**
 * A state store through which replicas share what they learn about an upstream, to pass as
 * `stateStore` to `configureResilience`, `ResilientLLMService` or `ResilienceModule.forRoot`:
 * per key, the rate-limit cooldown (a 429 with Retry-After holds every replica), the circuit
 * breaker (failures counted across replicas, one shared open/half-open/closed state, one
 * half-open probe at a time for all of them), the retry budget (one bucket), and the pacing
 * (each replica paces at its share of the learned rate limit).
 *
 * Sharing is fire-and-forget: a Redis that is down or slow never throws into, nor blocks, a
 * call (only a half-open probe asks Redis first, for at most `commandTimeoutMs`). Each
 * command is abandoned after `commandTimeoutMs`; the store then logs one warning per
 * episode, each replica keeps its own state, and when Redis is back (the client and the
 * store's own subscriber connection reconnect) the store re-shares the cooldowns it could
 * not, reads the state in force again and logs it at `info`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { configureResilience } from 'llm-resilience';
 * import { createRedisStateStore } from 'llm-resilience/redis';
 *
 * configureResilience({ stateStore: createRedisStateStore({ client: new Redis(process.env.REDIS_URL!) }) });
 * ```
 */
export function createRedisStateStore(options: RedisStateStoreOptions): RedisStateStore {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createRedisStateStore: options must be an object with a client');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new TypeError(
        `createRedisStateStore: ${key} is not an option (expected one of ${[...OPTION_KEYS].join(', ')})`,
      );
    }
  }
  const client = options.client as unknown as CommandConnection | undefined;
  const methods = ['duplicate', 'evalsha', 'eval', 'scan', 'get', 'hmget', 'time', 'ping'] as const;
  if (typeof client !== 'object' || client === null || methods.some((name) => typeof client[name] !== 'function')) {
    throw new TypeError(
      `createRedisStateStore: client must be an ioredis Redis or Cluster client (received ${describeReceived(client)})`,
    );
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError(
      `createRedisStateStore: prefix must be a non-empty string (received ${describeReceived(prefix)})`,
    );
  }
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (typeof commandTimeoutMs !== 'number' || !Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
    throw new TypeError(
      `createRedisStateStore: commandTimeoutMs must be a positive number of milliseconds (received ${describeReceived(commandTimeoutMs)})`,
    );
  }
  const logger = checkLogger(options.logger, 'createRedisStateStore: logger');
  return new RedisStateStoreImpl(client, commandTimeoutMs, logger, prefix);
}
