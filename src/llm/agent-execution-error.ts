import type { FailureKind } from '../policies/classification/failure-kind';

const BRAND = Symbol.for('llm-resilience.AgentExecutionError');

/**
 * An LLM call failed for good. `message` is safe to show end users; the technical error
 * stays available to developers as `originalError` (never serialised: `toJSON` leaves it out).
 */
export class AgentExecutionError extends Error {
  readonly [BRAND] = true;

  constructor(
    message: string,
    readonly kind: FailureKind,
    /** Attempts made (over all configs tried, fallbacks included). */
    readonly attempts: number,
    readonly originalError: unknown,
  ) {
    super(message);
    this.name = 'AgentExecutionError';
    // Kept off the enumerable surface so loggers and serialisers that walk the error do not
    // print the provider's raw message.
    Object.defineProperty(this, 'originalError', { enumerable: false });
  }

  toJSON(): { name: string; message: string; kind: FailureKind; attempts: number } {
    return { name: this.name, message: this.message, kind: this.kind, attempts: this.attempts };
  }
}

export function isAgentExecutionError(error: unknown): error is AgentExecutionError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}
