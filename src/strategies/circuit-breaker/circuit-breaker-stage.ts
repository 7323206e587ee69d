import type { CircuitProbeClaim } from '../../ports/shared-state-store';
import { isWaitRefusal, untilAborted, waitWithin } from '../bounded-wait';
import { StageRejection, type AttemptFailure, type CallState, type KeyIdentity, type Stage } from '../stage';
import type { CircuitBreaker } from './circuit-breaker';
import { CircuitOpenError } from './circuit-open-error';
import type { CircuitOutcome, KeyCircuit } from './key-circuit';

/** A probe another replica holds in the store is believed up to this long (a poisoned hold is cut to it). */
const MAX_FOREIGN_PROBE_MS = 15 * 60_000;

/**
 * The circuit-breaker stage: each attempt needs a permit of the key's breaker (a probe while
 * half-open; with a shared store, one probe for all replicas). Refused, the call ends with
 * `CircuitOpenError` (its `retryAfterMs`: when a probe will be let through, or the running
 * probe's time left). Only failures that say something about the upstream's health count:
 * not a 400 or 401, nor a 429 (load, not health: the rate-limit stage answers it).
 */
export class CircuitBreakerStage implements Stage {
  /** The breaker permit of the running attempt, if it holds one. */
  private permit: { probe: boolean } | undefined;
  /** How long the running probe may take (its attempt timeout): what a shared probe claim holds. */
  private probeHoldMs = 0;

  constructor(
    private readonly owner: KeyIdentity,
    private readonly circuit: KeyCircuit,
    private readonly breaker: CircuitBreaker,
  ) {}

  holdsAttempts(): boolean {
    return true;
  }

  beforeAttempt(call: CallState): Promise<void> | undefined {
    const refusedFor = this.acquire(call);
    if (refusedFor !== undefined) throw this.open(call, refusedFor);
    // Half-open with a shared state store: one probe for all replicas, not one per replica.
    if (this.permit?.probe !== true || this.owner.store()?.claimCircuitProbe === undefined) return undefined;
    return this.claimSharedProbe(call).then((wait) => {
      if (wait !== undefined) throw this.open(call, wait);
    });
  }

  /**
   * A probe permit is not held while earlier stages look again (a cooldown may hold the attempt
   * back far longer than the probe may run, and every other call is refused meanwhile): it is
   * given back (an ignored outcome, here and in the store), and `lastLook` asks anew.
   */
  handBack(call: CallState): void {
    if (this.permit?.probe === true) this.record(call, 'ignored');
  }

  /**
   * After a stage held the attempt back: asks for a permit again (given back, or a circuit that
   * opened meanwhile refuses the attempt). A probe permit asked for in an earlier look is kept.
   */
  lastLook(call: CallState): Promise<void> | undefined {
    return this.permit?.probe === true ? undefined : this.beforeAttempt(call);
  }

  /**
   * The breaker's `probeTimeoutMs` while the attempt holds a probe permit, else undefined: the
   * loop uses it as the attempt timeout of a probe whose call has none of its own.
   */
  probeTimeoutMs(): number | undefined {
    return this.permit?.probe === true ? this.breaker.options.probeTimeoutMs : undefined;
  }

  afterSuccess(call: CallState): void {
    this.record(call, 'success');
  }

  afterFailure(call: CallState, failure: AttemptFailure): void {
    const { retryable, kind } = failure.classification;
    this.record(call, retryable && kind !== 'rate_limit' ? 'failure' : 'ignored');
  }

  afterStopped(call: CallState): void {
    this.record(call, 'ignored');
  }

  /** Asks the breaker to let the attempt through: undefined when allowed, else the wait. */
  private acquire(call: CallState): number | undefined {
    const breaker = this.breaker;
    // A probe runs for its attempt timeout at most, and never past its call's deadline.
    let runsForMs = call.attemptTimeoutMs ?? breaker.options.probeTimeoutMs;
    const { deadlineMs } = call.waitBounds();
    if (deadlineMs !== undefined) runsForMs = Math.max(1, Math.min(runsForMs, Math.ceil(deadlineMs - Date.now())));
    const permit = this.observe(call, () => breaker.acquire(runsForMs));
    if (!permit.allowed) return permit.retryAfterMs;
    this.permit = { probe: permit.probe };
    this.probeHoldMs = runsForMs;
    return undefined;
  }

  private open(call: CallState, retryAfterMs: number): StageRejection {
    const lastError = call.lastError();
    const error = new CircuitOpenError(
      this.owner.key,
      retryAfterMs,
      lastError === undefined ? undefined : { cause: lastError },
    );
    return new StageRejection(
      error,
      { kind: 'circuit_open', retryable: false, reason: 'circuit open' },
      'circuit_open',
    );
  }

  /**
   * Claims the shared half-open probe (only one replica at a time gets it): undefined when
   * this attempt may go, else how long to wait (the probe permit is given back). A store
   * that cannot tell lets the attempt go, as without a store.
   */
  private async claimSharedProbe(call: CallState): Promise<number | undefined> {
    const bounds = call.waitBounds();
    const store = this.owner.store();
    if (store?.claimCircuitProbe === undefined) return undefined;
    const breaker = this.breaker;
    // Heard from outside: never waited on beyond the longest a circuit stays open or a probe
    // runs here. What the store keeps is cut only when far beyond that: another replica's probe
    // may legitimately run longer (its own attempt timeout), up to MAX_FOREIGN_PROBE_MS.
    const longest = Math.max(breaker.options.maxHalfOpenAfterMs, this.longestProbeMs());
    const limits = {
      maxOpenMs: breaker.options.maxHalfOpenAfterMs,
      maxProbeMs: Math.max(this.longestProbeMs(), MAX_FOREIGN_PROBE_MS),
    };
    let claim: CircuitProbeClaim;
    try {
      // The store answers within its own command timeout; the caller's abort and deadline end the wait sooner.
      claim = await waitWithin('probe', bounds, (signal) =>
        // Held for as long as the probe may run: other replicas wait for its outcome, not less.
        untilAborted(Promise.resolve(store.claimCircuitProbe!(this.owner.key, this.probeHoldMs, limits)), signal),
      );
    } catch (error) {
      if (isWaitRefusal(error) || bounds.signal?.aborted) throw error;
      return undefined;
    }
    if (claim.granted) return undefined;
    this.permit = undefined;
    this.observe(call, () => breaker.recordIgnored(true));
    const wait = Math.ceil(claim.retryAfterMs);
    return wait > 1 ? Math.min(wait, longest) : 1;
  }

  /** The longest a probe of this key runs: the breaker's probe timeout, or this call's longer one. */
  private longestProbeMs(): number {
    return Math.max(this.breaker.options.probeTimeoutMs, this.probeHoldMs);
  }

  /** Reports the attempt's outcome to the breaker, here and across replicas. */
  private record(call: CallState, outcome: CircuitOutcome): void {
    const permit = this.permit;
    if (permit === undefined) return;
    this.permit = undefined;
    const breaker = this.breaker;
    this.observe(call, () => {
      if (outcome === 'success') breaker.recordSuccess(permit.probe);
      else if (outcome === 'failure') breaker.recordFailure(permit.probe);
      else breaker.recordIgnored(permit.probe);
    });
    this.circuit.share(breaker, outcome, permit.probe);
  }

  /** Runs `action` on the breaker and reports the transitions it caused to the call. */
  private observe<T>(call: CallState, action: () => T): T {
    const { result, transitions } = this.circuit.observeTransitions(action);
    for (const transition of transitions) call.circuitTransition(transition);
    return result;
  }
}
