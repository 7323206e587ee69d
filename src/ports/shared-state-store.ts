/**
 * What replicas share about an upstream, through a store such as Redis
 * (`llm-resilience/redis`). The engine keeps its per-key state in the process and mirrors
 * what other replicas report, so the success path never waits for the store; sharing is
 * fire-and-forget, and a store that is down or slow leaves every replica on its own state.
 */
export type SharedStateEvent =
  /** Calls to `key` wait until `untilMs` (epoch ms): a 429 with Retry-After seen by a replica. */
  | {
      /** What happened: a shared cooldown. */
      type: 'cooldown';
      /** The upstream key the event is about. */
      key: string;
      /** End of the cooldown, in epoch milliseconds. */
      untilMs: number;
    }
  /** The shared circuit of `key` opened (for `openForMs` from now) or closed. */
  | {
      /** What happened: the shared circuit changed state. */
      type: 'circuit';
      /** The upstream key the circuit guards. */
      key: string;
      /** The circuit opened. */
      state: 'open';
      /** How long it stays open from now (ms) before a probe may go through. */
      openForMs: number;
      /** The failures that opened it (1 when a failed probe reopened it). */
      failures: number;
    }
  | {
      /** What happened: the shared circuit changed state. */
      type: 'circuit';
      /** The upstream key the circuit guards. */
      key: string;
      /** The circuit closed: a replica's probe succeeded. */
      state: 'closed';
    }
  /** The shared consecutive-failure count of `key` is no longer 0: the next success should reset it. */
  | {
      /** What happened: the shared failure count left 0. */
      type: 'failing';
      /** The upstream key whose count it is. */
      key: string;
    }
  /** The shared retry budget of `key` now holds `tokens`. */
  | {
      /** What happened: the shared retry budget changed. */
      type: 'budget';
      /** The upstream key whose budget it is. */
      key: string;
      /** Tokens now in the shared bucket (0 to its capacity). */
      tokens: number;
    }
  /** `count` replicas are sending to the paced key `key`: each paces at 1/count of its limit. */
  | {
      /** What happened: the number of active replicas changed. */
      type: 'replicas';
      /** The paced upstream key. */
      key: string;
      /** Replicas that sent to `key` recently (integer >= 1), this one included. */
      count: number;
    }
  /** A replica learned the rate limit of `key` (`x-ratelimit-limit-requests`, per minute). */
  | {
      /** What happened: a rate limit was learned. */
      type: 'limit';
      /** The upstream key whose limit it is. */
      key: string;
      /** Requests per minute the upstream allows (>= 1). */
      limitPerMinute: number;
    };

/** The breaker options a store needs to decide, for all replicas, when a circuit opens. */
export interface SharedCircuitOptions {
  /** Consecutive mode: failures in a row that open the circuit (absent in ratio mode). */
  failureThreshold?: number;
  /** Ratio mode: the failure ratio over `samplingDurationMs` that opens it, given `minimumThroughput` calls. */
  failureRatio?: number;
  /** Ratio mode: calls needed in the window before `failureRatio` is judged. */
  minimumThroughput: number;
  /** Ratio mode: length of the sliding window (ms). */
  samplingDurationMs: number;
  /** How long the circuit stays open (ms) before the first probe; doubles on each failed probe. */
  halfOpenAfterMs: number;
  /** Cap of that open wait (ms). */
  maxHalfOpenAfterMs: number;
}

/**
 * An outcome the circuit breaker of a key counts across replicas. `successes` rides along in
 * ratio mode: successes seen since the last report, so the shared window knows the calls
 * that went well too (consecutive mode sends a `success` only to reset a shared count).
 */
export type SharedCircuitOutcome =
  | {
      /** A counted failure of a call (not a probe). */
      outcome: 'failure';
      /** Ratio mode: successes of this replica since its last report. */
      successes?: number;
    }
  | {
      /** A success after failures (consecutive mode): resets the shared count. */
      outcome: 'success';
    }
  | {
      /**
       * How this replica's half-open probe ended: success closes the shared circuit, failure
       * reopens it for longer, ignored (an error the breaker does not count) only frees the probe.
       */
      outcome: 'probe_success' | 'probe_failure' | 'probe_ignored';
    };

/** The retry budget options a store needs to keep one bucket for all replicas. */
export interface SharedBudgetOptions {
  /** Tokens in a full bucket (and in a new or expired one). */
  capacity: number;
  /**
   * Tokens an ordinary retry takes: the store tells every replica when the shared balance
   * crosses it (retries become possible or impossible) or the capacity.
   */
  retryCost: number;
}

/** How far ahead a replica believes the shared circuit state (`claimCircuitProbe`). */
export interface CircuitProbeLimits {
  /** The longest the shared circuit may still stay open (ms from now). */
  maxOpenMs: number;
  /** The longest another replica's probe may still be held (ms from now). */
  maxProbeMs: number;
}

/** What a replica is told when it asks for the shared half-open probe (`claimCircuitProbe`). */
export type CircuitProbeClaim =
  | {
      /** This replica may send the probe. */
      granted: true;
    }
  | {
      /** Another replica holds the probe (or the shared circuit is still open). */
      granted: false;
      /** How long (ms) until the probe may be claimed again. */
      retryAfterMs: number;
    };

/**
 * Where replicas share what they learn about an upstream: cooldowns, circuit breaker
 * outcomes, retry budgets, pacing. Pass one to `configureResilience({ stateStore })`,
 * `ResilienceModule.forRoot({ stateStore })` or `new ResilientLLMService({ stateStore })`.
 * `createRedisStateStore` from `llm-resilience/redis` makes one; the optional methods let a
 * simpler store share cooldowns only.
 *
 * Every method is fire-and-forget and must never throw: the engine keeps its state in the
 * process and mirrors the events a store delivers, so a store that is down or slow leaves
 * each replica on its own state instead of failing calls. Keys are upstream keys: a
 * decorator's `key` option (default `ClassName.method`) or an agent config's `key`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { configureResilience } from 'llm-resilience';
 * import { createRedisStateStore } from 'llm-resilience/redis';
 *
 * configureResilience({ stateStore: createRedisStateStore({ client: new Redis() }) });
 * ```
 */
export interface SharedStateStore {
  /** Tells every replica that calls to `key` must wait until `untilMs` (epoch ms). Never throws. */
  shareCooldown(key: string, untilMs: number): void;
  /**
   * Delivers what other replicas share (and, on subscribing, the cooldowns in force).
   * Returns an unsubscribe function. Never throws into the listener's caller.
   */
  subscribe(listener: (event: SharedStateEvent) => void): () => void;
  /**
   * Counts a breaker outcome of `key` across replicas; the store opens the shared circuit
   * (and tells every replica) when `options` say so. Fire-and-forget; never throws.
   */
  shareCircuitOutcome?(key: string, report: SharedCircuitOutcome, options: SharedCircuitOptions): void;
  /**
   * Half-open: asks for the one probe all replicas may send for `key` (held for at most
   * `ttlMs`). Resolves `{ granted: true }` when this replica may probe, or when the store
   * cannot tell (Redis down: each replica decides alone); otherwise with how long to wait.
   * `limits`: the longest this replica lets the shared circuit stay open, and another
   * replica's probe be held, from now (its breaker's `maxHalfOpenAfterMs`; its longest probe):
   * a stored state further ahead is poisoned or buggy, and is cut to that for every replica.
   * Never rejects.
   */
  claimCircuitProbe?(key: string, ttlMs: number, limits?: CircuitProbeLimits): Promise<CircuitProbeClaim>;
  /**
   * Adds `delta` tokens (negative: a withdrawal) to the retry budget all replicas share for
   * `key`. May be batched; fire-and-forget; never throws.
   */
  shareBudget?(key: string, delta: number, options: SharedBudgetOptions): void;
  /**
   * This replica is sending to the paced key `key` (called often; the store throttles). The
   * store answers with a `replicas` event when the number of active replicas changes.
   */
  announceActive?(key: string): void;
  /**
   * This replica learned the rate limit of `key` (requests per minute, from the headers):
   * replicas that have not called it yet pace from their first call. Fire-and-forget.
   */
  shareRateLimit?(key: string, limitPerMinute: number): void;
}

export function isSharedStateStore(value: unknown): value is SharedStateStore {
  if (typeof value !== 'object' || value === null) return false;
  const store = value as Record<string, unknown>;
  if (typeof store.shareCooldown !== 'function' || typeof store.subscribe !== 'function') return false;
  // The optional parts, when present, must be functions.
  return ['shareCircuitOutcome', 'claimCircuitProbe', 'shareBudget', 'announceActive', 'shareRateLimit'].every(
    (name) => store[name] === undefined || typeof store[name] === 'function',
  );
}
