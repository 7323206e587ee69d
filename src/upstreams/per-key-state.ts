import { configuredStateStore, onResilienceConfigure, onResilienceReset } from '../config/resilience-settings';
import type { SharedStateStore } from '../ports/shared-state-store';
import { setInstrumentationDetector } from '../observability/instrumentation';
import { detectOpenTelemetry, registerCircuitStateSource } from '../observability/opentelemetry';
import { CircuitBreaker } from '../policies/breaker/circuit-breaker';
import type { CircuitTransition } from '../policies/breaker/circuit-breaker';
import { sameOptions } from '../internal/option-checks';
import type { ResolvedCircuitBreakerOptions } from '../policies/breaker/circuit-breaker-options';
import { RetryBudget } from '../policies/budget/retry-budget';
import { RETRY_BUDGET_DEFAULTS } from '../policies/budget/retry-budget-options';
import type { ResolvedRetryBudgetOptions } from '../policies/budget/retry-budget-options';
import { AdaptiveRateLimiter } from '../policies/pacing/adaptive-rate-limiter';
import { abortReason } from '../internal/abort-reason';
import { Bulkhead } from '../policies/pacing/bulkhead';
import { readRateLimitHeaders, type RateLimitInfo } from '../policies/pacing/rate-limit-headers';

/**
 * What every call to one upstream (one key) shares in this process: its circuit breaker,
 * its retry budget, and the cooldown a 429 with Retry-After imposes on all of its calls.
 * Created on first use; the first options registered for a key win.
 */
export class Upstream {
  /** Until when (epoch ms) calls must wait before their next attempt; 0 when none. */
  cooldownUntil = 0;
  /**
   * Paces calls once the upstream has told its rate limit (`x-ratelimit-*` headers);
   * undefined until then, and for upstreams that never say.
   */
  limiter: AdaptiveRateLimiter | undefined;
  private breakerState: CircuitBreaker | undefined;
  private bulkheadState: Bulkhead | undefined;
  private budgetState: RetryBudget | undefined;
  private transitions: CircuitTransition[] | undefined;
  /** Option sets that differed from the first registration, already reported. */
  readonly reportedConflicts = new Set<string>();
  /** The store this key shares its state through when not the configured one (`bindStateStore`). */
  boundStore: SharedStateStore | undefined;
  /** The shared consecutive-failure count may be above 0: the next success resets it. */
  sharedFailing = false;
  /** Ratio mode: successes not reported to the shared window yet, since `successesSinceMs`. */
  unsharedSuccesses = 0;
  successesSinceMs = 0;
  /** A shared circuit opened before this process made its own breaker: adopted on creation. */
  private pendingOpen: { untilMs: number; failures: number } | undefined;
  /** The shared budget's balance, heard before this process made its own budget. */
  private pendingTokens: number | undefined;
  /** Processes sending to this key (from the store), applied to the limiter. */
  private replicas = 1;
  /** The rate limit last shared with (or heard from) other replicas. */
  private sharedLimit: number | undefined;
  /**
   * True once an attempt on the key has ended or its rate limit is known: from then on no
   * cold-start gate (see `coldStart`).
   */
  warm = false;
  /** While the first attempt of a cold key is in flight: the attempts waiting for it. */
  private coldWaiters: Array<() => void> | undefined;
  private coldTimer: NodeJS.Timeout | undefined;

  constructor(readonly key: string) {}

  /** The store the key's state is shared through, if any. */
  store(): SharedStateStore | undefined {
    return this.boundStore ?? configuredStateStore();
  }

  /**
   * For the lean path's `then`: a first attempt that succeeded gives the budget its success
   * refund. One function per key, so the success path allocates nothing for it.
   */
  readonly refundFirstAttempt = <T>(value: T): T => {
    this.refundBudget(0);
    return value;
  };

  /** A call succeeded having paid `paid` for retries: refunds the budget, here and in the shared bucket. */
  refundBudget(paid: number): void {
    const budget = this.budgetState;
    if (budget === undefined) return;
    const before = budget.available;
    budget.recordSuccess(paid);
    const refunded = budget.available - before;
    if (refunded > 0) shareBudget(this, refunded, budget);
  }

  /** The key's breaker, created with `options` on first use. `conflict` when options differ. */
  breaker(options: ResolvedCircuitBreakerOptions): { breaker: CircuitBreaker; conflict: boolean } {
    if (this.breakerState === undefined) {
      this.breakerState = new CircuitBreaker(options, () => Date.now());
      this.breakerState.onTransition((transition) => this.transitions?.push(transition));
      const pending = this.pendingOpen;
      this.pendingOpen = undefined;
      if (pending !== undefined && pending.untilMs > Date.now()) {
        // Heard before this breaker existed: never longer than this breaker may stay open.
        this.breakerState.adoptOpen(
          Math.min(pending.untilMs - Date.now(), options.maxHalfOpenAfterMs),
          pending.failures,
        );
      }
      return { breaker: this.breakerState, conflict: false };
    }
    return { breaker: this.breakerState, conflict: !sameOptions(this.breakerState.options, options) };
  }

  /**
   * The key's breaker if some caller created one: calls whose own config enables none still
   * respect it (and count toward it), so that every method and service on the key sees the
   * same circuit.
   */
  existingBreaker(): { breaker: CircuitBreaker; conflict: boolean } | undefined {
    return this.breakerState === undefined ? undefined : { breaker: this.breakerState, conflict: false };
  }

  /**
   * True when a first attempt on the key may run bare (the lean path): no pacing, no
   * cooldown, no breaker (created by any caller of the key), no cold start to wait out.
   */
  mayRunBare(): boolean {
    return (
      this.limiter === undefined &&
      this.cooldownUntil === 0 &&
      this.breakerState === undefined &&
      (this.warm || !this.isCold())
    );
  }

  /** True when some caller created a breaker for the key. */
  get hasBreaker(): boolean {
    return this.breakerState !== undefined;
  }

  /** The state of the key's breaker, if it has one (for the circuit-state gauge). */
  circuitState(): 'closed' | 'open' | 'half_open' | undefined {
    return this.breakerState?.state;
  }

  /** The key's bulkhead, created with `options` on first use. */
  bulkhead(options: { maxConcurrency: number; queueLimit: number }): Bulkhead {
    return (this.bulkheadState ??= new Bulkhead({ ...options, key: this.key }));
  }

  /** The key's retry budget, created with `options` on first use. */
  budget(options: ResolvedRetryBudgetOptions = RETRY_BUDGET_DEFAULTS): RetryBudget {
    if (this.budgetState === undefined) {
      this.budgetState = new RetryBudget(options);
      if (this.pendingTokens !== undefined) this.budgetState.adopt(this.pendingTokens);
      this.pendingTokens = undefined;
    }
    return this.budgetState;
  }

  // --- what other replicas report (through the store) ------------------------------------

  /**
   * The shared circuit opened: open the local breaker too; returns the transitions (for the
   * logs). Remembered until this process creates the key's breaker.
   */
  adoptCircuitOpen(openForMs: number, failures: number): CircuitTransition[] {
    if (this.breakerState === undefined) {
      this.pendingOpen = { untilMs: Date.now() + openForMs, failures };
      return [];
    }
    const breaker = this.breakerState;
    return this.observeTransitions(() => breaker.adoptOpen(openForMs, failures)).transitions;
  }

  /** The shared circuit closed (a replica's probe succeeded). */
  adoptCircuitClosed(): CircuitTransition[] {
    this.pendingOpen = undefined;
    this.sharedFailing = false;
    const breaker = this.breakerState;
    if (breaker === undefined) return [];
    return this.observeTransitions(() => breaker.adoptClosed()).transitions;
  }

  /**
   * The shared retry budget holds `tokens`. Remembered until this process creates the key's
   * budget. Returns the balance taken: `tokens` bounded to [0, capacity] (only to >= 0 before
   * the budget exists: its creation bounds it by its capacity), or undefined when `tokens` is
   * not a finite number (ignored).
   */
  adoptBudget(tokens: number): number | undefined {
    if (typeof tokens !== 'number' || !Number.isFinite(tokens)) return undefined;
    if (this.budgetState === undefined) return (this.pendingTokens = Math.max(0, tokens));
    this.budgetState.adopt(tokens);
    return this.budgetState.available;
  }

  /**
   * Another replica learned the key's rate limit: pace with it from this process's first
   * call, instead of sending a first wave unpaced.
   */
  adoptRateLimit(limitPerMinute: number): void {
    if (!(limitPerMinute >= 1) || !Number.isFinite(limitPerMinute)) return;
    this.sharedLimit = limitPerMinute;
    this.observeRateLimit({ limitRequests: limitPerMinute });
  }

  /** `count` replicas send to this key: the limiter paces at 1/count of the limit. */
  adoptReplicas(count: number): void {
    if (!Number.isSafeInteger(count) || count < 1) return;
    this.replicas = count;
    this.limiter?.setReplicas(count, Date.now());
  }

  /** True when the key has a retry budget that is not full (so a success should refund it). */
  needsRefund(): boolean {
    const budget = this.budgetState;
    return budget !== undefined && budget.available < budget.options.capacity;
  }

  /** Runs `action` and returns the breaker transitions it caused (for events and logs). */
  observeTransitions<T>(action: () => T): { result: T; transitions: CircuitTransition[] } {
    const outer = this.transitions;
    const transitions: CircuitTransition[] = [];
    this.transitions = transitions;
    try {
      return { result: action(), transitions };
    } finally {
      this.transitions = outer;
    }
  }

  /**
   * Learns from a response's rate-limit headers (OpenAI and Azure send them on every
   * response): the first limit seen starts pacing the key's calls.
   */
  observeResponse(headers: unknown): void {
    const info = readRateLimitHeaders(headers);
    if (info !== undefined) this.observeRateLimit(info);
  }

  /** Learns from a rate-limit reading: the first limit seen starts pacing; a new one is shared. */
  private observeRateLimit(info: RateLimitInfo): void {
    if (this.limiter === undefined) {
      if (info.limitRequests === undefined) return;
      this.limiter = new AdaptiveRateLimiter();
      // Announced to the other replicas by the next paced attempt (`pace`), not here: a limit
      // heard from them does not make this process one of the key's senders.
      this.limiter.setReplicas(this.replicas, Date.now());
      // Paced from now on: the attempts held at a cold start go, in their turn.
      this.warmUp();
    }
    this.limiter.observe(info, Date.now());
    const limit = info.limitRequests;
    if (limit !== undefined && limit !== this.sharedLimit) {
      this.sharedLimit = limit;
      try {
        this.store()?.shareRateLimit?.(this.key, limit);
      } catch {
        // A store must never break a call.
      }
    }
  }

  /**
   * With a shared state store, a key whose rate limit is not known yet sends its first
   * attempt alone: the others wait for it to end (or for its response headers to tell the
   * limit), at most COLD_START_MAX_WAIT_MS, so that replicas starting together do not each
   * send an unpaced first wave (which a server's burst cannot absorb). Once per key per
   * process; the first attempt itself never waits. True when this attempt must wait
   * (`whenWarm`); false when it may go now (the first one claims the key's first attempt).
   */
  mustWaitForColdStart(): boolean {
    if (this.warm || this.limiter !== undefined || this.store() === undefined) return false;
    if (this.coldWaiters === undefined) {
      this.coldWaiters = [];
      this.coldTimer = setTimeout(() => this.warmUp(), COLD_START_MAX_WAIT_MS);
      this.coldTimer.unref?.();
      return false;
    }
    return true;
  }

  /** Resolves when the key is warm; rejects with the signal's reason when it aborts first. */
  whenWarm(signal: AbortSignal | undefined): Promise<void> {
    const waiters = this.coldWaiters;
    if (waiters === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        const index = waiters.indexOf(go);
        if (index >= 0) waiters.splice(index, 1);
        reject(abortReason(signal!));
      };
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(go);
    });
  }

  /** True while a call must ask `mustWaitForColdStart` before its first attempt. */
  isCold(): boolean {
    if (this.warm) return false;
    // Without a store there is nothing to gate: warm for good (the success path checks one flag).
    if (this.limiter === undefined && this.store() !== undefined) return true;
    this.warmUp();
    return false;
  }

  /** An attempt ended or the limit is known: releases the attempts held by the cold start. */
  warmUp(): void {
    if (this.warm) return;
    this.warm = true;
    if (this.coldTimer !== undefined) clearTimeout(this.coldTimer);
    this.coldTimer = undefined;
    const waiters = this.coldWaiters ?? [];
    this.coldWaiters = undefined;
    for (const go of waiters) go();
  }

  /** Tells the store (throttled there) that this process sends to the paced key. */
  announceActive(): void {
    try {
      this.store()?.announceActive?.(this.key);
    } catch {
      // A store must never break a call.
    }
  }

  /** Makes every call to this key wait until `untilMs` before its next attempt. */
  extendCooldown(untilMs: number): void {
    if (untilMs > this.cooldownUntil) this.cooldownUntil = untilMs;
  }

  /** Ms left of the cooldown at `nowMs` (0 when none; an expired one is cleared). */
  cooldownLeft(nowMs: number): number {
    if (this.cooldownUntil === 0) return 0;
    const left = this.cooldownUntil - nowMs;
    if (left <= 0) this.cooldownUntil = 0;
    return Math.max(0, left);
  }
}

/**
 * The longest cooldown a key takes (a day): a Retry-After, or a cooldown heard from another
 * replica, asking for more is not believed.
 */
export const MAX_COOLDOWN_MS = 86_400_000;

/** The longest an attempt waits for the first attempt of a cold key (see `Upstream.mustWaitForColdStart`). */
export const COLD_START_MAX_WAIT_MS = 1000;

const upstreams = new Map<string, Upstream>();
onResilienceReset(() => {
  // Nobody stays held by a cold start of a forgotten key.
  for (const upstream of upstreams.values()) upstream.warmUp();
  upstreams.clear();
});

// OpenTelemetry is looked for when first needed, and again after the settings change (so an
// SDK registered after the library was loaded is found by the next configureResilience()).
setInstrumentationDetector(detectOpenTelemetry);
onResilienceConfigure(() => setInstrumentationDetector(detectOpenTelemetry));
registerCircuitStateSource(() => {
  const states: Array<{ key: string; state: 'closed' | 'open' | 'half_open' }> = [];
  for (const upstream of upstreams.values()) {
    const state = upstream.circuitState();
    if (state !== undefined) states.push({ key: upstream.key, state });
  }
  return states;
});

/** @internal The shared state of `key`. */
export function upstreamFor(key: string): Upstream {
  let upstream = upstreams.get(key);
  if (upstream === undefined) {
    upstream = new Upstream(key);
    upstreams.set(key, upstream);
  }
  return upstream;
}

/** Adds `delta` tokens to the key's shared retry budget (fire-and-forget). */
export function shareBudget(upstream: Upstream, delta: number, budget: RetryBudget): void {
  try {
    const { capacity, retryCost } = budget.options;
    upstream.store()?.shareBudget?.(upstream.key, delta, { capacity, retryCost });
  } catch {
    // A store must never break a call.
  }
}
