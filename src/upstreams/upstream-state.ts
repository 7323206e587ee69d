import { existingUpstream, forgetUpstream } from './per-key-state';

/**
 * What this process knows of one upstream key, for health endpoints, dashboards and tests.
 * Only the strategies the key uses appear. Read-only: a copy taken when asked.
 */
export interface UpstreamState {
  /** The upstream key (`ClassName.method`, the `key` option, or the LLM layer's provider|endpoint|model). */
  readonly key: string;
  /** The key's circuit breaker, once a caller created one: its state and, while open, when it lets a probe through. */
  readonly circuit?: {
    /** `closed`, `open` (calls fail fast) or `half_open` (probes let through). */
    readonly state: 'closed' | 'open' | 'half_open';
    /** While open: ms until a probe is let through. */
    readonly opensInMs?: number;
  };
  /** While a 429's Retry-After holds every call to the key: when it ends (epoch ms). */
  readonly cooldownUntilMs?: number;
  /** The key's retry budget, once a caller created one: tokens left and the bucket's capacity. */
  readonly retryBudget?: {
    /** Tokens left (a retry costs `retryCost`). */
    readonly available: number;
    /** The bucket's size. */
    readonly capacity: number;
  };
  /** Request pacing, once the upstream told its rate limit. */
  readonly pacing?: {
    /** The request limit per minute the upstream (or another replica) announced. */
    readonly limitPerMinute: number | undefined;
    /** Requests per second paced at now. */
    readonly ratePerSecond: number | undefined;
    /** Processes sharing the limit (1: this one alone). */
    readonly replicas: number;
    /** Calls waiting for their pacing slot. */
    readonly waiting: number;
  };
  /** The key's bulkhead, once a caller created one: attempts in flight and calls queued. */
  readonly bulkhead?: {
    /** Attempts holding a slot (an abandoned attempt counts until it settles). */
    readonly inFlight: number;
    /** Calls waiting for a slot. */
    readonly queued: number;
  };
}

/**
 * What this process knows of `key` (circuit state, cooldown end, budget level, pacing limit,
 * attempts in flight), or undefined when no call (and no replica) has used the key here.
 *
 * @example
 * ```ts
 * // A NestJS health indicator: the service is degraded while the OpenAI circuit is open.
 * const state = getUpstreamState('openai|https://api.openai.com/v1|gpt-4o-mini');
 * if (state?.circuit?.state === 'open') throw new ServiceUnavailableException(`OpenAI circuit open for ${state.circuit.opensInMs} ms`);
 * ```
 */
export function getUpstreamState(key: string): UpstreamState | undefined {
  const upstream = existingUpstream(key);
  if (upstream === undefined) return undefined;
  const state: { -readonly [K in keyof UpstreamState]: UpstreamState[K] } = { key };
  const breaker = upstream.circuit.existing();
  if (breaker !== undefined) {
    const circuitState = breaker.state;
    state.circuit =
      circuitState === 'open' ? { state: circuitState, opensInMs: breaker.opensInMs } : { state: circuitState };
  }
  const cooldownLeft = upstream.cooldown.leftMs(Date.now());
  if (cooldownLeft > 0) state.cooldownUntilMs = upstream.cooldown.untilMs;
  const budget = upstream.budget.existing();
  if (budget !== undefined) state.retryBudget = { available: budget.available, capacity: budget.options.capacity };
  const limiter = upstream.pacing.limiter;
  if (limiter !== undefined) {
    const { ratePerSecond, replicas, waiting } = limiter.snapshot();
    state.pacing = { limitPerMinute: upstream.pacing.limitPerMinute, ratePerSecond, replicas, waiting };
  }
  const bulkhead = upstream.existingBulkhead();
  if (bulkhead !== undefined) {
    const { active, queued } = bulkhead.stats();
    state.bulkhead = { inFlight: active, queued };
  }
  return state;
}

/**
 * Forgets what this process knows of `key` — its circuit, retry budget, cooldown, pacing and
 * cold start — so that the next call starts afresh (calls already waiting on the old state
 * finish with it). For tests and operators; other replicas are not told. Returns true when
 * there was something to forget.
 *
 * @example
 * ```ts
 * afterEach(() => resetUpstream('openai|http://127.0.0.1:4010/v1|gpt-4o-mini'));
 * ```
 */
export function resetUpstream(key: string): boolean {
  return forgetUpstream(key);
}
