/**
 * What replicas share about an upstream, through a store such as Redis
 * (`llm-resilience/redis`). The engine keeps its per-key state in the process and mirrors
 * what other replicas report, so the success path never waits for the store; sharing is
 * fire-and-forget, and a store that is down or slow leaves every replica on its own state.
 */
export type SharedStateEvent =
  /** Calls to `key` wait until `untilMs` (epoch ms): a 429 with Retry-After seen by a replica. */
  | { type: 'cooldown'; key: string; untilMs: number }
  /** The shared circuit of `key` opened (for `openForMs` from now) or closed. */
  | { type: 'circuit'; key: string; state: 'open'; openForMs: number; failures: number }
  | { type: 'circuit'; key: string; state: 'closed' }
  /** The shared consecutive-failure count of `key` is no longer 0: the next success should reset it. */
  | { type: 'failing'; key: string }
  /** The shared retry budget of `key` now holds `tokens`. */
  | { type: 'budget'; key: string; tokens: number }
  /** `count` replicas are sending to the paced key `key`: each paces at 1/count of its limit. */
  | { type: 'replicas'; key: string; count: number }
  /** A replica learned the rate limit of `key` (`x-ratelimit-limit-requests`, per minute). */
  | { type: 'limit'; key: string; limitPerMinute: number };

/** The breaker options a store needs to decide, for all replicas, when a circuit opens. */
export interface SharedCircuitOptions {
  /** Consecutive mode: failures in a row that open the circuit (absent in ratio mode). */
  failureThreshold?: number;
  /** Ratio mode: the failure ratio over `samplingDurationMs` that opens it, given `minimumThroughput` calls. */
  failureRatio?: number;
  minimumThroughput: number;
  samplingDurationMs: number;
  halfOpenAfterMs: number;
  maxHalfOpenAfterMs: number;
}

/**
 * An outcome the circuit breaker of a key counts across replicas. `successes` rides along in
 * ratio mode: successes seen since the last report, so the shared window knows the calls
 * that went well too (consecutive mode sends a `success` only to reset a shared count).
 */
export type SharedCircuitOutcome =
  | { outcome: 'failure'; successes?: number }
  | { outcome: 'success' }
  | { outcome: 'probe_success' | 'probe_failure' | 'probe_ignored' };

/** The retry budget options a store needs to keep one bucket for all replicas. */
export interface SharedBudgetOptions {
  capacity: number;
  retryCost: number;
}

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
   * Never rejects.
   */
  claimCircuitProbe?(key: string, ttlMs: number): Promise<{ granted: true } | { granted: false; retryAfterMs: number }>;
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
