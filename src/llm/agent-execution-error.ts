import type { FailureKind } from '../classification/failure-kind';

const BRAND = Symbol.for('llm-resilience.AgentExecutionError');

/**
 * An LLM call failed for good. `message` is safe to show end users; the technical error
 * stays available to developers as `originalError` (never serialised: `toJSON` leaves it out).
 *
 * @example
 * ```ts
 * try {
 *   await service.resilientChatCompletion(config, { messages });
 * } catch (error) {
 *   if (isAgentExecutionError(error)) {
 *     reply(error.message);               // safe for end users
 *     logger.error('LLM call failed', { kind: error.kind, attempts: error.attempts, cause: error.originalError });
 *   }
 * }
 * ```
 */
export class AgentExecutionError extends Error {
  /** @internal Brand checked by `isAgentExecutionError` (survives duplicate installs). */
  readonly [BRAND] = true;

  /**
   * @param message - The safe message (see `DEFAULT_SAFE_MESSAGES`).
   * @param kind - What kind of failure ended the call.
   * @param attempts - Attempts made (over all configs tried, fallbacks included).
   * @param originalError - The last technical error, for developers.
   */
  constructor(
    message: string,
    /** What kind of failure ended the call (`rate_limit`, `auth`, ...: see docs/classification.md). */
    readonly kind: FailureKind,
    /** Attempts made (over all configs tried, fallbacks included). */
    readonly attempts: number,
    /** The last technical error, for developers; not enumerable, left out of `toJSON`. */
    readonly originalError: unknown,
  ) {
    super(message);
    this.name = 'AgentExecutionError';
    // Kept off the enumerable surface so loggers and serialisers that walk the error do not
    // print the provider's raw message.
    Object.defineProperty(this, 'originalError', { enumerable: false });
  }

  /** What serialisers see: name, safe message, kind and attempts (never `originalError`). */
  toJSON(): {
    /** `'AgentExecutionError'`. */
    name: string;
    /** The safe message. */
    message: string;
    /** What went wrong (the last failure's kind). */
    kind: FailureKind;
    /** Attempts made, fallbacks included. */
    attempts: number;
  } {
    return { name: this.name, message: this.message, kind: this.kind, attempts: this.attempts };
  }
}

/**
 * True for an `AgentExecutionError`, also one from another copy of the library.
 *
 * @example
 * ```ts
 * if (isAgentExecutionError(error)) res.status(503).json(error); // toJSON: name, message, kind, attempts
 * ```
 */
export function isAgentExecutionError(error: unknown): error is AgentExecutionError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}
