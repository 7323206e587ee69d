import { bumpHoldEpoch } from '../../internal/hold-epoch';
import { sameOptions } from '../../internal/option-checks';
import type { KeyIdentity } from '../stage';
import { CircuitBreaker, type CircuitTransition } from './circuit-breaker';
import type { ResolvedCircuitBreakerOptions } from './circuit-breaker-options';

export type CircuitOutcome = 'success' | 'failure' | 'ignored';

/**
 * One key's circuit: its breaker (created on first use; the first options given win), what
 * other replicas reported before it existed, and what is shared with them through the store.
 */
export class KeyCircuit {
  private breakerState: CircuitBreaker | undefined;
  private transitions: CircuitTransition[] | undefined;
  /** A shared circuit opened before this process made its own breaker: adopted on creation. */
  private pendingOpen: { untilMs: number; failures: number } | undefined;
  /** The shared consecutive-failure count may be above 0: the next success resets it. */
  sharedFailing = false;
  /** Ratio mode: successes not reported to the shared window yet, since `successesSinceMs`. */
  private unsharedSuccesses = 0;
  private successesSinceMs = 0;

  constructor(private readonly owner: KeyIdentity) {}

  /** The key's breaker, created with `options` on first use. `conflict` when options differ. */
  breaker(options: ResolvedCircuitBreakerOptions): { breaker: CircuitBreaker; conflict: boolean } {
    if (this.breakerState !== undefined) {
      return { breaker: this.breakerState, conflict: !sameOptions(this.breakerState.options, options) };
    }
    const breaker = new CircuitBreaker(options, () => Date.now());
    breaker.onTransition((transition) => this.transitions?.push(transition));
    this.breakerState = breaker;
    bumpHoldEpoch();
    const pending = this.pendingOpen;
    this.pendingOpen = undefined;
    if (pending !== undefined && pending.untilMs > Date.now()) {
      // Heard before this breaker existed: never longer than this breaker may stay open.
      breaker.adoptOpen(Math.min(pending.untilMs - Date.now(), options.maxHalfOpenAfterMs), pending.failures);
    }
    return { breaker, conflict: false };
  }

  /**
   * The key's breaker if some caller created one: calls whose own config enables none still
   * respect it (and count toward it), so that every method and service on the key sees the
   * same circuit.
   */
  existing(): CircuitBreaker | undefined {
    return this.breakerState;
  }

  /** The state of the key's breaker, if it has one (for the circuit-state gauge). */
  state(): 'closed' | 'open' | 'half_open' | undefined {
    return this.breakerState?.state;
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

  // --- what other replicas report (through the store) ------------------------------------

  /**
   * The shared circuit opened: open the local breaker too; returns the transitions (for the
   * logs). Remembered until this process creates the key's breaker.
   */
  adoptOpen(openForMs: number, failures: number): CircuitTransition[] {
    const breaker = this.breakerState;
    if (breaker === undefined) {
      this.pendingOpen = { untilMs: Date.now() + openForMs, failures };
      return [];
    }
    return this.observeTransitions(() => breaker.adoptOpen(openForMs, failures)).transitions;
  }

  /** The shared circuit closed (a replica's probe succeeded). */
  adoptClosed(): CircuitTransition[] {
    this.pendingOpen = undefined;
    this.sharedFailing = false;
    const breaker = this.breakerState;
    if (breaker === undefined) return [];
    return this.observeTransitions(() => breaker.adoptClosed()).transitions;
  }

  /** Counts an attempt's outcome across replicas, when the key's store shares circuits (fire-and-forget). */
  share(breaker: CircuitBreaker, outcome: CircuitOutcome, probe: boolean): void {
    const store = this.owner.store();
    if (store?.shareCircuitOutcome === undefined) return;
    const key = this.owner.key;
    const options = breaker.options;
    const ratioMode = options.failureRatio !== undefined;
    try {
      if (probe) {
        store.shareCircuitOutcome(key, { outcome: `probe_${outcome}` }, options);
      } else if (outcome === 'failure') {
        const successes = ratioMode ? this.unsharedSuccesses : undefined;
        this.unsharedSuccesses = 0;
        this.sharedFailing = true;
        store.shareCircuitOutcome(key, { outcome: 'failure', successes }, options);
      } else if (outcome === 'success') {
        if (ratioMode) {
          // Reported with the next failure; successes older than the window say nothing.
          const now = Date.now();
          if (this.unsharedSuccesses === 0 || now - this.successesSinceMs > options.samplingDurationMs) {
            this.unsharedSuccesses = 0;
            this.successesSinceMs = now;
          }
          this.unsharedSuccesses++;
        } else if (this.sharedFailing) {
          // Only while the shared count may be above 0: a healthy key sends nothing.
          this.sharedFailing = false;
          store.shareCircuitOutcome(key, { outcome: 'success' }, options);
        }
      }
    } catch {
      // A store must never break a call.
    }
  }
}
