/**
 * Receives the retry engine's trace events. Event names and their details are a
 * contract (see the README's telemetry table). A tracer that throws or rejects never
 * breaks the call it observes.
 */
export interface Tracer {
  logEvent(event: string, details: Record<string, unknown>): void | Promise<void>;
  logError?(code: string, message: string): void | Promise<void>;
}

/** The trace events the engine emits, in the order they can occur within a call. */
export const TRACE_EVENTS = Object.freeze({
  attemptStart: 'retry_attempt_start',
  attemptFailed: 'retry_attempt_failed',
  backoffDelay: 'retry_backoff_delay',
  success: 'llm_call_success',
  maxRetriesExceeded: 'max_retries_exceeded',
  notRetryable: 'retry_not_retryable',
  circuitOpened: 'circuit_opened',
  circuitHalfOpen: 'circuit_half_open',
  circuitClosed: 'circuit_closed',
  retryBudgetExhausted: 'retry_budget_exhausted',
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
