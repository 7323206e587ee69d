/**
 * Metrics and spans of decorated calls, for an observability backend (OpenTelemetry is the
 * one shipped: `opentelemetry.ts`). The engine asks `activeInstrumentation()` once per call
 * on its supervised path; when it answers undefined (the default), nothing is built.
 */

/** How a logical call ended, as the `outcome` attribute of the `llm_resilience.calls` counter. */
export type CallOutcome =
  'successful_without_retry' | 'successful_with_retry' | 'failed_without_retry' | 'failed_with_retry';

export interface CallInfo {
  /** `ClassName.method` (or the `name` option). */
  method: string;
  /** The upstream key. */
  key: string;
  /** Extra attributes from the decorator's `spanAttributes` option (e.g. `gen_ai.system`). */
  attributes?: Record<string, string | number | boolean>;
}

/** One logical call's instrumentation: its span, and the metrics it records. */
export interface CallInstrumentation {
  /** An attempt starts (1-based). */
  attempt(attempt: number): void;
  /** The engine sleeps `delayMs` before the next attempt. */
  backoff(attempt: number, delayMs: number, source: 'backoff' | 'retry-after'): void;
  /** The call ended: once, with the attempts made and, when it failed, the error's kind. */
  end(outcome: CallOutcome, attempts: number, failure?: { kind: string; errorType: string }): void;
}

export interface Instrumentation {
  startCall(info: CallInfo): CallInstrumentation;
}

let active: Instrumentation | undefined;
let detect: (() => Instrumentation | undefined) | undefined;

/** @internal The instrumentation in force, if any (detected lazily, at most once per reset). */
export function activeInstrumentation(): Instrumentation | undefined {
  if (detect !== undefined) {
    active = detect();
    detect = undefined;
  }
  return active;
}

/**
 * @internal Installs a detector, run on the next `activeInstrumentation()` call (so that an
 * SDK registered after the library was loaded, but before the first call, is seen).
 */
export function setInstrumentationDetector(detector: () => Instrumentation | undefined): void {
  detect = detector;
}

/** @internal For tests and `configureResilience({ instrumentation })`: use this one. */
export function setInstrumentation(instrumentation: Instrumentation | undefined): void {
  active = instrumentation;
  detect = undefined;
}
