// What every stage's unit tests share: a call as the stages see it, recording what they report.
import type { WaitBounds } from '../../src/strategies/bounded-wait';
import type { CircuitTransition } from '../../src/strategies/circuit-breaker/circuit-breaker';
import type { SharedStateStore } from '../../src/ports/shared-state-store';
import type { CallState } from '../../src/strategies/stage';

export const NOW = 1_700_000_000_000;

/** Bounds with no signal, no deadline and the default `maxRetryAfterMs`. */
export const OPEN_BOUNDS: WaitBounds = { signal: undefined, deadlineMs: undefined, maxUpstreamWaitMs: 60_000 };

/** A call as a stage sees it: bounds to set, and the reports it receives recorded. */
export class FakeCall implements CallState {
  attempt = 1;
  attemptTimeoutMs: number | undefined = undefined;
  lastFailure: unknown = undefined;
  readonly transitions: CircuitTransition[] = [];
  budgetExhaustions = 0;

  constructor(public bounds: WaitBounds = OPEN_BOUNDS) {}

  waitBounds(): WaitBounds {
    return this.bounds;
  }
  lastError(): unknown {
    return this.lastFailure;
  }
  circuitTransition(transition: CircuitTransition): void {
    this.transitions.push(transition);
  }
  budgetExhausted(): void {
    this.budgetExhaustions++;
  }
}

/** Settles `promise` into a value that can be inspected synchronously after timers ran. */
export function track(promise: Promise<void>): { settled: boolean; error: unknown } {
  const state: { settled: boolean; error: unknown } = { settled: false, error: undefined };
  promise.then(
    () => {
      state.settled = true;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

/** A shared-state store that records what it is told (the optional parts the rate limit uses included). */
export function recordingStore() {
  return {
    shareCooldown: jest.fn<void, [string, number]>(),
    subscribe: jest.fn(() => () => undefined),
    announceActive: jest.fn<void, [string]>(),
    shareRateLimit: jest.fn<void, [string, number]>(),
  } satisfies SharedStateStore;
}
