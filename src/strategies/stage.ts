import type { ErrorClassification } from '../classification/failure-kind';
import type { SharedStateStore } from '../ports/shared-state-store';
import type { WaitBounds } from './bounded-wait';
import type { CircuitTransition } from './circuit-breaker/circuit-breaker';
import type { RetryDecision } from './retry/retry-decision';

/*
 * The contract between the retry loop and the strategies. A call runs its stages in one
 * fixed order (see docs/architecture.md):
 *
 *   rate limit → bulkhead → circuit breaker → retry → (replay guard) → retry budget
 *
 * with the timeout stage (strategies/timeout) around each attempt. Before an attempt, each
 * stage may wait (within the call's bounds: strategies/bounded-wait) or end the call; after
 * it, each learns from the outcome; after a failure, the retry stage decides and the budget
 * may veto. A stage never sees the loop itself, only the `CallState` it implements.
 */

/** Who a key's state belongs to: the key, and the store it is shared through (if any). */
export interface KeyIdentity {
  readonly key: string;
  /** The shared-state store of the key, if any (Redis): told what changed, fire-and-forget. */
  store(): SharedStateStore | undefined;
}

/** One call, as its stages see it (the retry loop implements it). */
export interface CallState {
  /** The attempt about to start, or that just ended (1-based). */
  readonly attempt: number;
  /** The call's own attempt timeout, if it has one. */
  readonly attemptTimeoutMs: number | undefined;
  /** The bounds of every wait of the call: its signal, deadline and `maxRetryAfterMs`. */
  waitBounds(): WaitBounds;
  /** The last failed attempt's error, or undefined when none has failed. */
  lastError(): unknown;
  /** The key's circuit changed state (logged and traced). */
  circuitTransition(transition: CircuitTransition): void;
  /** The key's retry budget refused a retry, the first time in an exhaustion episode. */
  budgetExhausted(): void;
}

/** A failed attempt, and what the stages decided about it so far. */
export interface AttemptFailure {
  readonly error: unknown;
  readonly classification: ErrorClassification;
  /** The response headers the error carries (what the rate limit learns from). */
  readonly headers: unknown;
  /** The verdict: set by the retry stage; a later stage (the budget) may turn a retry into giving up. */
  decision: RetryDecision;
}

/** One strategy's part in a call. Every hook is optional; a stage is built per call. */
export interface Stage {
  /**
   * True when the stage may hold the first attempt back (so it cannot start synchronously).
   */
  holdsAttempts?(nowMs: number): boolean;
  /**
   * Before an attempt: returns undefined to let it go at once, or a promise that waits for its
   * turn within the call's bounds. Ends the call by throwing: a `WaitRefusal` (the bounds cut
   * the wait), a `StageRejection` (e.g. an open circuit), or any other error (final, such as a
   * full bulkhead queue or the caller's abort).
   */
  beforeAttempt?(call: CallState): Promise<void> | undefined;
  /**
   * After a stage held the attempt back (waited), right before it starts: a last look at what
   * may have changed meanwhile (a cooldown begun by another call's 429, pacing learned, the
   * circuit opened). Run for every stage, in order, until none waits. Returns and throws as
   * `beforeAttempt`.
   */
  lastLook?(call: CallState): Promise<void> | undefined;
  /**
   * Before the last looks: gives back what the stage holds for the attempt that must not be
   * held while an earlier stage waits again (the breaker's probe permit); its `lastLook` asks anew.
   */
  handBack?(call: CallState): void;
  /**
   * The attempt is over for the loop (also when a stage before it refused it). `stillRunning`
   * is an attempt the timeout stage abandoned, which still runs until it settles.
   */
  attemptOver?(stillRunning: PromiseLike<unknown> | undefined): void;
  /** The attempt succeeded (the call ends with its value). */
  afterSuccess?(call: CallState): void;
  /** The attempt failed: learn from it, decide, or veto the retry (by setting `failure.decision`). */
  afterFailure?(call: CallState, failure: AttemptFailure): void;
  /** The call stopped with no verdict on the upstream (the caller's abort, the deadline). */
  afterStopped?(call: CallState): void;
}

/**
 * A stage ends the call before an attempt (an open circuit): the loop reports `error` as the
 * call's failure with `classification` and `reason`, and rejects with it. Control flow: the
 * caller sees `error`, never this.
 */
export class StageRejection {
  constructor(
    readonly error: unknown,
    readonly classification: ErrorClassification,
    /** The `retry_not_retryable` reason, e.g. `circuit_open`. */
    readonly reason: string,
  ) {}
}
