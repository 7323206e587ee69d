import type { CircuitBreaker, CircuitTransition } from '../policies/breaker/circuit-breaker';
import { validateCircuitBreakerOptions } from '../policies/breaker/circuit-breaker-options';
import type { RetryBudget } from '../policies/budget/retry-budget';
import { validateRetryBudgetOptions } from '../policies/budget/retry-budget-options';
import type { Bulkhead } from '../policies/pacing/bulkhead';
import { validateBulkheadOptions } from '../policies/pacing/validate-pacing-options';
import type { RetryConfigFields } from '../config/retry-config';
import type { CircuitProbeClaim } from '../ports/shared-state-store';
import { isWaitRefusal, refuseWait, untilAborted, waitWithin, type WaitBounds } from '../strategies/bounded-wait';
import { shareBudget, type Upstream } from './per-key-state';

/**
 * One call's dealings with its upstream's shared state: the circuit breaker's permit for
 * each attempt, what the call paid from the retry budget, and the cooldown it may set.
 */
export class UpstreamSession {
  private readonly breaker: CircuitBreaker | undefined;
  private readonly budget: RetryBudget | undefined;
  private readonly bulkhead: Bulkhead | undefined;
  /** Frees the running attempt's bulkhead slot. */
  private release: (() => void) | undefined;
  /** The breaker permit of the running attempt, if it holds one. */
  private permit: { probe: boolean } | undefined;
  /** Tokens paid for retries so far (refunded on success). */
  private paid = 0;
  /** True when the options asked for differ from the ones the key was first given. */
  readonly breakerConflict: boolean;

  constructor(
    readonly upstream: Upstream,
    config: Pick<RetryConfigFields, 'circuitBreaker' | 'retryBudget' | 'bulkhead'>,
    private readonly onTransition: (transition: CircuitTransition) => void,
  ) {
    // Both already validated with the config: here only resolved (defaults filled).
    const breakerOptions = validateCircuitBreakerOptions(config.circuitBreaker).value;
    const shared = breakerOptions ? upstream.breaker(breakerOptions) : upstream.existingBreaker();
    this.breaker = shared?.breaker;
    this.breakerConflict = shared?.conflict ?? false;
    const budgetOptions = validateRetryBudgetOptions(config.retryBudget).value;
    this.budget = budgetOptions ? upstream.budget(budgetOptions) : undefined;
    const bulkheadOptions = validateBulkheadOptions(config.bulkhead).value;
    this.bulkhead = bulkheadOptions ? upstream.bulkhead(bulkheadOptions) : undefined;
  }

  /**
   * Takes a slot of the key's bulkhead for the attempt, waiting in its queue within the
   * call's bounds; rejects with BulkheadRejectedError at once when the queue is full.
   */
  async enterBulkhead(bounds: WaitBounds): Promise<void> {
    const bulkhead = this.bulkhead;
    if (bulkhead === undefined) return;
    this.release =
      bulkhead.tryAcquire() ?? (await waitWithin('bulkhead', bounds, (signal) => bulkhead.acquire(signal)));
  }

  /**
   * Frees the attempt's bulkhead slot (sleeping between attempts holds none) once `attempt`
   * settles: an attempt the engine abandoned (timeout, deadline, abort) still runs and still
   * counts until it ends.
   */
  leaveBulkhead(attempt?: PromiseLike<unknown>): void {
    const release = this.release;
    this.release = undefined;
    if (release === undefined) return;
    if (attempt === undefined) release();
    else attempt.then(release, release);
  }

  get key(): string {
    return this.upstream.key;
  }

  /** When the running attempt's pacing slot was set (for the limiter's 429 accounting). */
  private slotSetAtMs: number | undefined;

  /** True when an attempt may have to wait or be refused (so it cannot start synchronously). */
  hasGates(nowMs: number): boolean {
    return (
      this.breaker !== undefined ||
      this.bulkhead !== undefined ||
      this.upstream.limiter !== undefined ||
      this.upstream.cooldownLeft(nowMs) > 0 ||
      this.upstream.isCold()
    );
  }

  /**
   * Waits for this attempt's turn, within the call's bounds: behind the first attempt of a
   * cold key, then for its pacing slot once the key's rate limit is known.
   */
  async pace(bounds: WaitBounds): Promise<void> {
    // Awaited only when there is something to wait for: each await costs the attempt a turn.
    const upstream = this.upstream;
    if (upstream.mustWaitForColdStart()) await waitWithin('cold_start', bounds, (signal) => upstream.whenWarm(signal));
    const limiter = upstream.limiter;
    if (limiter === undefined) return;
    upstream.announceActive();
    this.slotSetAtMs = await limiter.schedule(bounds.signal, (waitMs, nowMs) =>
      refuseWait('pacing', waitMs, bounds, true, nowMs),
    );
  }

  /** What a failed attempt teaches the pacing: its response's headers, and a 429 slows the key down. */
  noteFailure(headers: unknown, rateLimited: boolean, retryAfterMs: number | undefined): void {
    if (headers !== undefined) this.upstream.observeResponse(headers);
    this.upstream.warmUp();
    if (rateLimited) this.upstream.limiter?.onRateLimited(retryAfterMs, Date.now(), this.slotSetAtMs);
  }

  /** Asks the breaker to let an attempt through: undefined when allowed, else the wait. */
  acquire(probeTimeoutMs: number | undefined): number | undefined {
    if (this.breaker === undefined) return undefined;
    const breaker = this.breaker;
    const permit = this.observe(() => breaker.acquire(probeTimeoutMs));
    if (!permit.allowed) return permit.retryAfterMs;
    this.permit = { probe: permit.probe };
    this.probeHoldMs = probeTimeoutMs ?? breaker.options.probeTimeoutMs;
    return undefined;
  }

  /** How long the running probe may take (its attempt timeout): what a shared probe claim holds. */
  private probeHoldMs = 0;

  /** The attempt timeout of a probe when the call has none of its own; undefined when not a probe. */
  probeTimeoutMs(): number | undefined {
    return this.permit?.probe === true ? this.breaker?.options.probeTimeoutMs : undefined;
  }

  /**
   * True when the attempt holds a half-open probe permit and a state store must agree that
   * this replica sends the one probe all replicas are allowed.
   */
  needsSharedProbe(): boolean {
    return this.permit?.probe === true && typeof this.upstream.store()?.claimCircuitProbe === 'function';
  }

  /**
   * Claims the shared half-open probe (only one replica at a time gets it): undefined when
   * this attempt may go, else how long to wait (the probe permit is given back). A store
   * that cannot tell lets the attempt go, as without a store.
   */
  async claimSharedProbe(bounds: WaitBounds): Promise<number | undefined> {
    const store = this.upstream.store();
    const breaker = this.breaker;
    if (breaker === undefined || store?.claimCircuitProbe === undefined) return undefined;
    let claim: CircuitProbeClaim;
    try {
      // The store answers within its own command timeout; the caller's abort and deadline end the wait sooner.
      claim = await waitWithin('probe', bounds, (signal) =>
        // Held for as long as the probe may run: other replicas wait for its outcome, not less.
        untilAborted(Promise.resolve(store.claimCircuitProbe!(this.key, this.probeHoldMs)), signal),
      );
    } catch (error) {
      if (isWaitRefusal(error) || bounds.signal?.aborted) throw error;
      return undefined;
    }
    if (claim.granted) return undefined;
    this.permit = undefined;
    this.observe(() => breaker.recordIgnored(true));
    // Heard from outside: never beyond the longest a circuit stays open or a probe runs.
    const wait = Math.ceil(claim.retryAfterMs);
    const longest = Math.max(breaker.options.maxHalfOpenAfterMs, breaker.options.probeTimeoutMs, this.probeHoldMs);
    return wait > 1 ? Math.min(wait, longest) : 1;
  }

  /** Reports the attempt's outcome to the breaker: only failures that say something count. */
  record(outcome: 'success' | 'failure' | 'ignored'): void {
    const permit = this.permit;
    if (this.breaker === undefined || permit === undefined) return;
    this.permit = undefined;
    const breaker = this.breaker;
    this.observe(() => {
      if (outcome === 'success') breaker.recordSuccess(permit.probe);
      else if (outcome === 'failure') breaker.recordFailure(permit.probe);
      else breaker.recordIgnored(permit.probe);
    });
    this.shareOutcome(breaker, outcome, permit.probe);
  }

  /** Counts the outcome across replicas, when the key's store shares circuits (fire-and-forget). */
  private shareOutcome(breaker: CircuitBreaker, outcome: 'success' | 'failure' | 'ignored', probe: boolean): void {
    const store = this.upstream.store();
    if (store?.shareCircuitOutcome === undefined) return;
    const upstream = this.upstream;
    const options = breaker.options;
    const ratioMode = options.failureRatio !== undefined;
    try {
      if (probe) {
        store.shareCircuitOutcome(this.key, { outcome: `probe_${outcome}` }, options);
      } else if (outcome === 'failure') {
        const successes = ratioMode ? upstream.unsharedSuccesses : undefined;
        upstream.unsharedSuccesses = 0;
        upstream.sharedFailing = true;
        store.shareCircuitOutcome(this.key, { outcome: 'failure', successes }, options);
      } else if (outcome === 'success') {
        if (ratioMode) {
          // Reported with the next failure; successes older than the window say nothing.
          const now = Date.now();
          if (upstream.unsharedSuccesses === 0 || now - upstream.successesSinceMs > options.samplingDurationMs) {
            upstream.unsharedSuccesses = 0;
            upstream.successesSinceMs = now;
          }
          upstream.unsharedSuccesses++;
        } else if (upstream.sharedFailing) {
          // Only while the shared count may be above 0: a healthy key sends nothing.
          upstream.sharedFailing = false;
          store.shareCircuitOutcome(this.key, { outcome: 'success' }, options);
        }
      }
    } catch {
      // A store must never break a call.
    }
  }

  /** Pays for a retry; `undefined` when paid (or no budget), else whether an episode starts. */
  payForRetry(kind: 'retry' | 'timeout'): { episodeStart: boolean } | undefined {
    if (this.budget === undefined) return undefined;
    const withdrawal = this.budget.withdraw(kind);
    if (withdrawal.granted) {
      this.paid += withdrawal.cost;
      shareBudget(this.upstream, -withdrawal.cost, this.budget);
      return undefined;
    }
    return { episodeStart: withdrawal.episodeStart };
  }

  /** The call succeeded: refunds what it paid (or the success refund). */
  succeeded(): void {
    this.record('success');
    if (this.budget !== undefined) this.upstream.refundBudget(this.paid);
    this.upstream.limiter?.onSuccess(Date.now());
    this.upstream.warmUp();
  }

  private observe<T>(action: () => T): T {
    const { result, transitions } = this.upstream.observeTransitions(action);
    for (const transition of transitions) this.onTransition(transition);
    return result;
  }
}
