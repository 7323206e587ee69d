import { ResolvedCircuitBreakerOptions, validateCircuitBreakerOptions } from './circuit-breaker-options';
import { FailureWindow } from './failure-window';

export type CircuitState = 'closed' | 'open' | 'half_open';

/** What `acquire` answers: go ahead (as a probe while half-open), or fail fast. */
export type CircuitAcquireResult =
  { readonly allowed: true; readonly probe: boolean } | { readonly allowed: false; readonly retryAfterMs: number };

/** One state change, as given to `onTransition` listeners. */
export interface CircuitTransition {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /**
   * closed→open: the failures that opened it (consecutive, or in the window in ratio
   * mode); half_open→open: 1, the failed probe; 0 for the other transitions.
   */
  readonly failures: number;
  /** On transitions to open: how long the circuit stays open. */
  readonly retryAfterMs?: number;
}

export type CircuitTransitionListener = (event: CircuitTransition) => void;

// Shared, frozen answers: the closed path (the common case) allocates nothing.
const ALLOWED: CircuitAcquireResult = Object.freeze({ allowed: true, probe: false });
const ALLOWED_PROBE: CircuitAcquireResult = Object.freeze({ allowed: true, probe: true });

/**
 * A circuit breaker state machine for one upstream key. Pure: no timers, no I/O; time
 * comes from the injected `now` (a monotonic clock such as `performance.now` is best),
 * and an open circuit whose wait is over turns half-open lazily, when next looked at.
 *
 * Protocol: call `acquire()` before a call; when it is allowed, report the outcome
 * exactly once, passing back its `probe` flag, with `recordSuccess`, `recordFailure`
 * (failures that say something about the upstream's health, i.e. retryable ones) or
 * `recordIgnored` (failures that do not, such as a 400 or 401).
 *
 * Outcomes of calls admitted before the circuit opened (not probes) are ignored while it
 * is open or half-open: only probes decide how it leaves those states.
 */
export class CircuitBreaker {
  readonly options: ResolvedCircuitBreakerOptions;
  private readonly now: () => number;
  /** Set in ratio mode only; consecutive mode needs no clock reads on the success path. */
  private readonly window: FailureWindow | undefined;
  private readonly failureThreshold: number;
  private readonly failureRatio: number;
  private current: CircuitState = 'closed';
  private consecutiveFailures = 0;
  /** Failed probes since the circuit last closed: the exponent of the open-wait backoff. */
  private reopenings = 0;
  private openUntil = 0;
  private openWaitMs = 0;
  private inFlightProbes = 0;
  /** When each probe in flight is abandoned at the latest (its timeout), in the order admitted. */
  private probeEnds: number[] = [];
  // Replaced, never mutated, on (un)subscribe: a listener that unsubscribes while
  // being notified does not disturb the loop in progress.
  private listeners: readonly CircuitTransitionListener[] = [];

  /** @throws TypeError when `options` are not valid resolved options. */
  constructor(options: ResolvedCircuitBreakerOptions, now: () => number) {
    // Cheap (once per key) and it keeps a hand-built options object from creating a
    // breaker that can never let a probe through (halfOpenMaxCalls: 0) or never opens.
    const { value, issues } = validateCircuitBreakerOptions(options);
    if (!value) {
      const detail = issues.length > 0 ? issues.map((issue) => issue.message).join('; ') : 'options are required';
      throw new TypeError(`CircuitBreaker: ${detail}`);
    }
    if (typeof now !== 'function') throw new TypeError('CircuitBreaker: now must be a function returning milliseconds');
    this.options = value;
    this.now = now;
    this.window = value.failureRatio !== undefined ? new FailureWindow(value.samplingDurationMs) : undefined;
    this.failureThreshold = value.failureThreshold ?? Infinity;
    this.failureRatio = value.failureRatio ?? Infinity;
  }

  /** The state now; reading it turns an open circuit whose wait is over half-open. */
  get state(): CircuitState {
    if (this.current === 'open') this.halfOpenIfDue(this.now());
    return this.current;
  }

  /** While open: ms until probes are let through (a read, nothing changes); else undefined. */
  get opensInMs(): number | undefined {
    if (this.state !== 'open') return undefined;
    return Math.max(1, Math.ceil(Math.min(this.openUntil - this.now(), this.openWaitMs)));
  }

  /** Probes admitted and not reported yet; never above `halfOpenMaxCalls`. */
  get probesInFlight(): number {
    return this.inFlightProbes;
  }

  /**
   * Asks to make a call: allowed while closed, refused while open, a probe while half-open.
   * A probe runs for `probeTimeoutMs` at most (the caller enforces it; default: the
   * options'): while every probe slot is taken, calls are refused until the first probe in
   * flight must have ended.
   */
  acquire(probeTimeoutMs: number = this.options.probeTimeoutMs): CircuitAcquireResult {
    if (this.current === 'closed') return ALLOWED;
    if (this.current === 'open') {
      const now = this.now();
      if (!this.halfOpenIfDue(now)) {
        // Bounded by the wait itself, should the clock step backwards.
        const remaining = Math.min(this.openUntil - now, this.openWaitMs);
        return { allowed: false, retryAfterMs: Math.max(1, Math.ceil(remaining)) };
      }
      // A listener told of the transition may have changed the state again (re-entrant calls).
      if ((this.current as CircuitState) !== 'half_open') return this.acquire(probeTimeoutMs);
    }
    const now = this.now();
    if (this.inFlightProbes < this.options.halfOpenMaxCalls) {
      this.inFlightProbes++;
      this.probeEnds.push(now + (probeTimeoutMs > 0 ? probeTimeoutMs : this.options.probeTimeoutMs));
      return ALLOWED_PROBE;
    }
    // Every probe slot is taken: a slot frees when the first probe ends, at its timeout at the latest.
    // (Less a nanosecond: `(t + 30000) - t` can come out as 30000.000000004 on a fractional clock.)
    const left = Math.ceil(Math.min(...this.probeEnds) - now - 1e-6);
    return { allowed: false, retryAfterMs: left > 1 ? left : 1 };
  }

  /** The call succeeded: resets the consecutive count; a probe's success closes the circuit. */
  recordSuccess(probe: boolean): void {
    if (probe) this.releaseProbe();
    switch (this.current) {
      case 'closed':
        this.consecutiveFailures = 0;
        this.window?.record(this.now(), false);
        return;
      case 'half_open':
        if (probe) this.close();
        return;
      default:
        return; // open: a call admitted before the circuit opened, too late to matter
    }
  }

  /**
   * The call failed in a way that says something about the upstream's health: counts
   * toward opening; a probe's failure re-opens with a doubled wait (capped).
   */
  recordFailure(probe: boolean): void {
    if (probe) this.releaseProbe();
    switch (this.current) {
      case 'closed':
        this.countFailure();
        return;
      case 'half_open':
        if (probe) {
          this.reopenings++;
          this.open(1);
        }
        return;
      default:
        return; // open already: a late failure must not extend the wait
    }
  }

  /** The call failed in a way that says nothing (a 400, a 401): frees a probe's slot, nothing else. */
  recordIgnored(probe: boolean): void {
    if (probe) this.releaseProbe();
  }

  /**
   * The circuit was opened elsewhere (another replica, through a shared state store): open
   * here too until `openForMs` from now, reported as a transition like a local opening. An
   * open circuit only has its wait extended; probes in flight report as usual.
   */
  adoptOpen(openForMs: number, failures: number): void {
    if (!(openForMs > 0) || !Number.isFinite(openForMs)) return;
    const until = this.now() + openForMs;
    if (this.current === 'open') {
      if (until > this.openUntil) {
        this.openUntil = until;
        this.openWaitMs = Math.max(this.openWaitMs, openForMs);
      }
      return;
    }
    this.openWaitMs = openForMs;
    this.openUntil = until;
    this.consecutiveFailures = 0;
    this.window?.reset();
    this.transition('open', Number.isFinite(failures) && failures > 0 ? failures : 0, openForMs);
  }

  /** The circuit was closed elsewhere (another replica's probe succeeded): close here too. */
  adoptClosed(): void {
    if (this.current !== 'closed') this.close();
  }

  /**
   * Calls `listener` synchronously on each state change, after the change. A listener
   * that throws is ignored: observing the breaker must not change a call's outcome.
   * Returns a function that unsubscribes.
   */
  onTransition(listener: CircuitTransitionListener): () => void {
    this.listeners = [...this.listeners, listener];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners = [...this.listeners.slice(0, index), ...this.listeners.slice(index + 1)];
    };
  }

  private countFailure(): void {
    if (this.window) {
      const now = this.now();
      this.window.record(now, true);
      const { failures, total } = this.window.count(now);
      // Division, not `failures >= ratio * total`: 0.3 * 10 is 3.0000000000000004.
      if (total >= this.options.minimumThroughput && failures / total >= this.failureRatio) {
        this.open(failures);
      }
      return;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.failureThreshold) this.open(this.consecutiveFailures);
  }

  private open(failures: number): void {
    const { halfOpenAfterMs, maxHalfOpenAfterMs } = this.options;
    // The exponent is capped so that the product stays finite; the min caps the wait.
    const wait = Math.min(maxHalfOpenAfterMs, halfOpenAfterMs * 2 ** Math.min(this.reopenings, 52));
    this.openWaitMs = wait;
    this.openUntil = this.now() + wait;
    this.consecutiveFailures = 0;
    this.window?.reset();
    this.transition('open', failures, wait);
  }

  private close(): void {
    this.reopenings = 0;
    this.consecutiveFailures = 0;
    this.window?.reset();
    this.transition('closed', 0);
  }

  /** Turns open into half-open once the wait is over; true when the circuit is no longer open. */
  private halfOpenIfDue(now: number): boolean {
    // Tested as `now < openUntil` so that a NaN clock lets probes through rather than
    // wedging the circuit open for good.
    if (now < this.openUntil) return false;
    this.transition('half_open', 0);
    return true;
  }

  private releaseProbe(): void {
    // A probe reported twice (an engine bug) must not open extra slots.
    if (this.inFlightProbes > 0) {
      this.inFlightProbes--;
      this.probeEnds.shift();
    }
  }

  private transition(to: CircuitState, failures: number, retryAfterMs?: number): void {
    const from = this.current;
    this.current = to;
    const listeners = this.listeners;
    if (listeners.length === 0) return;
    const event: CircuitTransition =
      retryAfterMs === undefined ? { from, to, failures } : { from, to, failures, retryAfterMs };
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // See onTransition: a broken listener must not break the call.
      }
    }
  }
}
