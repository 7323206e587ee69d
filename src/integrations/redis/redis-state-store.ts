import { randomUUID } from 'node:crypto';
// Types only: `ioredis` is never loaded by this module; the user passes a client.
import type { Cluster, Redis } from 'ioredis';
import { checkLogger, configuredLogger } from '../../config/resilience-settings';
import type { SharedStateEvent, SharedStateStore } from '../../engine/shared-state';
import type { ResilienceLogger } from '../../observability/default-logger';
import { KeyLayout, keyLayout } from './key-layout';
import { runScript, SHARE_COOLDOWN } from './scripts';

/*
 * Key layout (see key-layout.ts for the full table, including the planned keys):
 *   <prefix>cooldown:<key>   string, PX TTL   latest rate-limit deadline of <key> (epoch ms)
 *   <prefix>events           pub/sub channel  JSON events { type: 'cooldown', key, untilMs, source }
 * Planned: <prefix>breaker:<key> (hash), <prefix>probe:<key> (SET NX PX), <prefix>budget:<key> (hash + Lua).
 *
 * Connections: commands (Lua, SCAN, GET, PING) go through the user's client; pub/sub needs a
 * connection of its own, made with `client.duplicate()` when the first listener subscribes
 * and ended by `close()` (or when the last listener unsubscribes). The user's client is
 * never closed by the store.
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
   * Default `llm-resilience:`.
   */
  prefix?: string;
  /** A Redis command that takes longer is abandoned (the caller never waits for it). Default 100. */
  commandTimeoutMs?: number;
  /** Where the store says that Redis is unavailable or back. Default: the library's configured logger. */
  logger?: ResilienceLogger;
}

/** A `SharedStateStore` backed by Redis, as made by `createRedisStateStore`. */
export interface RedisStateStore extends SharedStateStore {
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
  ping(): Promise<unknown>;
  nodes?(role?: string): CommandConnection[];
  duplicate(...args: unknown[]): SubscriberConnection;
}

/** What the store uses of its subscriber connection (the client's duplicate). */
interface SubscriberConnection {
  readonly status: string;
  subscribe(channel: string): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
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

type Cooldown = { key: string; untilMs: number };

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
      if (!this.usable(this.client)) {
        this.remember(key, untilMs);
        this.failed(`not connected (${this.client.status})`);
        return;
      }
      const message = JSON.stringify({ type: 'cooldown', key, untilMs, source: this.source });
      const args = [this.layout.cooldownKey(key), untilMs, ttlMs, this.layout.eventsChannel, message];
      this.command(() => runScript(this.client, SHARE_COOLDOWN, args)).then(
        () => this.succeeded(false),
        (error: unknown) => {
          this.remember(key, untilMs);
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
    let event: { type?: unknown; key?: unknown; untilMs?: unknown; source?: unknown };
    try {
      event = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof event !== 'object' || event === null || event.source === this.source) return;
    if (event.type !== 'cooldown' || typeof event.key !== 'string') return;
    const untilMs = event.untilMs;
    if (typeof untilMs !== 'number' || !Number.isFinite(untilMs) || untilMs <= Date.now()) return;
    this.deliver([{ key: event.key, untilMs }], this.subscriptions);
  }

  private deliver(cooldowns: readonly Cooldown[], to: Iterable<Subscription>): void {
    for (const subscription of [...to]) {
      for (const { key, untilMs } of cooldowns) {
        if (!this.subscriptions.has(subscription)) break;
        try {
          subscription.listener({ type: 'cooldown', key, untilMs });
        } catch {
          // A listener's failure is its own; the others still hear.
        }
      }
    }
  }

  // --- reading the cooldowns in force -------------------------------------------------

  /** Reads the cooldowns in force for every listener (once at a time; again if asked meanwhile). */
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

  /** Delivers the cooldowns in force to `only` (or to every listener). Never rejects. */
  private async catchUp(only: Subscription | undefined): Promise<void> {
    try {
      if (this.client.isCluster && this.client.status !== 'ready') {
        // The slots are not known yet: nothing to SCAN. Try again on the next probe.
        this.syncNeeded = true;
        this.startProbe();
        return;
      }
      const cooldowns = await this.readCooldowns();
      if (this.closed) return;
      this.deliver(cooldowns, only === undefined ? this.subscriptions : [only]);
      this.succeeded(true);
    } catch (error) {
      this.syncNeeded = true;
      this.failed(describeError(error));
    }
  }

  private async readCooldowns(): Promise<Cooldown[]> {
    const nodes = this.client.isCluster && this.client.nodes ? this.client.nodes('master') : [this.client];
    const found: Cooldown[] = [];
    const now = Date.now();
    for (const node of nodes) {
      const nodeKeyPrefix = node.options?.keyPrefix ?? '';
      let cursor = '0';
      let rounds = 0;
      do {
        if (!this.usable(node)) throw new Error(`not connected (${node.status})`);
        const [next, names] = await this.command(() =>
          node.scan(cursor, 'MATCH', this.layout.cooldownPattern, 'COUNT', SCAN_COUNT),
        );
        cursor = String(next);
        const wanted = names.flatMap((name) => {
          const key = this.layout.keyOfStoredCooldown(name);
          return key === undefined ? [] : [{ key, name }];
        });
        if (wanted.length > 0) {
          // The connection adds its own keyPrefix to GET: give it the name without.
          const values = await this.command(() =>
            Promise.all(
              wanted.map(({ name }) =>
                node
                  .get(name.startsWith(nodeKeyPrefix) ? name.slice(nodeKeyPrefix.length) : name)
                  // Not a string (someone else's key under the prefix): not a cooldown.
                  .catch((error: unknown) => {
                    if (describeError(error).startsWith('WRONGTYPE')) return null;
                    throw error;
                  }),
              ),
            ),
          );
          wanted.forEach(({ key }, index) => {
            const untilMs = Number(values[index]);
            if (Number.isFinite(untilMs) && untilMs > now) found.push({ key, untilMs });
          });
        }
      } while (cursor !== '0' && ++rounds < MAX_SCAN_ROUNDS);
    }
    return found;
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
        `Redis state store unavailable (${reason}): each replica keeps its own rate-limit state until Redis is back`,
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
    this.log('info', `Redis state store is back after ${seconds}s: replicas share their rate-limit state again`, {
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
 * A state store through which replicas share what they learn about an upstream (today: the
 * rate-limit cooldowns), to pass as `stateStore` to `configureResilience`,
 * `ResilientLLMService` or `ResilienceModule.forRoot`.
 *
 * Sharing is fire-and-forget: a Redis that is down or slow never throws into, nor blocks, a
 * call. Each command is abandoned after `commandTimeoutMs`; the store then logs one warning
 * per episode, each replica keeps its own state, and when Redis is back (the client and the
 * store's own subscriber connection reconnect) the store re-shares what it could not, reads
 * the cooldowns in force again and logs it at `info`.
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
  const methods = ['duplicate', 'evalsha', 'eval', 'scan', 'get', 'ping'] as const;
  if (typeof client !== 'object' || client === null || methods.some((name) => typeof client[name] !== 'function')) {
    throw new TypeError('createRedisStateStore: client must be an ioredis Redis or Cluster client');
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError('createRedisStateStore: prefix must be a non-empty string');
  }
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (typeof commandTimeoutMs !== 'number' || !Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0) {
    throw new TypeError('createRedisStateStore: commandTimeoutMs must be a positive number of milliseconds');
  }
  const logger = checkLogger(options.logger, 'createRedisStateStore: logger');
  return new RedisStateStoreImpl(client, commandTimeoutMs, logger, prefix);
}
