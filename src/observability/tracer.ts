/**
 * Receives the retry engine's trace events. Event names and their details are a
 * contract (docs/events.md lists every event and attribute). A tracer that throws or
 * rejects never breaks the call it observes.
 *
 * @example
 * ```ts
 * const tracer: Tracer = {
 *   logEvent(event, details) {
 *     if (event === TRACE_EVENTS.attemptFailed) metrics.increment('llm.attempt_failed', { kind: String(details.kind) });
 *   },
 *   logError(code, message) {
 *     errorReporter.capture(code, message);
 *   },
 * };
 * configureResilience({ tracer });
 * ```
 */
export interface Tracer {
  /**
   * One event: a `TRACE_EVENTS` value and its attributes (snake_case keys, e.g.
   * `{ attempt: 2, max_attempts: 3 }`). May return a promise; it is not awaited.
   */
  logEvent(event: string, details: Record<string, unknown>): void | Promise<void>;
  /**
   * A failure reported for developers (`AgentOrchestrator` reports `RESILIENT_LLM_FAILURE`
   * with the safe message shown to the user).
   */
  logError?(code: string, message: string): void | Promise<void>;
}

/**
 * The trace events the engine emits, in the order they can occur within a call; each one's
 * attributes are listed in docs/events.md.
 *
 * @example
 * ```ts
 * configureResilience({
 *   tracer: { logEvent: (event, details) => event === TRACE_EVENTS.circuitOpened && alert(`circuit open: ${details.key}`) },
 * });
 * ```
 */
export const TRACE_EVENTS = Object.freeze({
  /** `{ attempt, max_attempts }` before each attempt. */
  attemptStart: 'retry_attempt_start',
  /** `{ attempt, error_type, kind, status? }` when an attempt failed. */
  attemptFailed: 'retry_attempt_failed',
  /** `{ attempt, delay_seconds, backoff_formula, source }` before sleeping. */
  backoffDelay: 'retry_backoff_delay',
  /** `{ attempt, ...successDetails }` when the call succeeded. */
  success: 'llm_call_success',
  /** `{ max_attempts, final_error_type, kind }` when every attempt failed. */
  maxRetriesExceeded: 'max_retries_exceeded',
  /** `{ attempt, kind, reason }` when a failure ends the call before its attempts run out. */
  notRetryable: 'retry_not_retryable',
  /** `{ key, failures }` when a key's circuit breaker opened. */
  circuitOpened: 'circuit_opened',
  /** `{ key }` when a key's circuit breaker lets probes through. */
  circuitHalfOpen: 'circuit_half_open',
  /** `{ key }` when a key's circuit breaker closed again. */
  circuitClosed: 'circuit_closed',
  /** `{ key }` when a key's retry budget could not pay for a retry (once per episode). */
  retryBudgetExhausted: 'retry_budget_exhausted',
  /** `{ from, to, reason }` when `ResilientLLMService` moved on to a fallback config. */
  fallbackUsed: 'fallback_used',
});

const ignore = (): void => undefined;

/** Sends one event, swallowing whatever the tracer throws or rejects with. */
export function emitTraceEvent(tracer: Tracer, event: string, details: Record<string, unknown>): void {
  try {
    const result = tracer.logEvent(event, details) as unknown;
    if (result !== null && typeof result === 'object' && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(undefined, ignore);
    }
  } catch {
    // A broken tracer must not break the call it observes.
  }
}

export function isTracer(value: unknown): value is Tracer {
  return typeof value === 'object' && value !== null && typeof (value as Tracer).logEvent === 'function';
}
