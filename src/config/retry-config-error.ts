import type { RetryConfigIssue } from '../internal/option-checks';

export type { RetryConfigIssue } from '../internal/option-checks';

const BRAND = Symbol.for('llm-resilience.RetryConfigError');

/**
 * Thrown for an invalid retry configuration. Lists every violated rule at once,
 * so a user fixes them in one go.
 *
 * @example
 * ```ts
 * try {
 *   new RetryConfig({ maxAttempts: 20, baseDelayMs: 10 });
 * } catch (error) {
 *   if (isRetryConfigError(error)) console.error(error.issues.map((issue) => issue.field)); // ['maxAttempts', 'baseDelayMs']
 * }
 * ```
 */
export class RetryConfigError extends Error {
  /** Every violated rule, in the order found. */
  readonly issues: RetryConfigIssue[];
  /** @internal Brand checked by `isRetryConfigError` (survives duplicate installs). */
  readonly [BRAND] = true;

  /**
   * @param issues - The violated rules; the message joins them with `; `.
   * @param prefix - What was being configured, e.g. `configureResilience defaults`.
   */
  constructor(issues: RetryConfigIssue[], prefix?: string) {
    const text = issues.map((issue) => issue.message).join('; ');
    super(prefix ? `${prefix}: ${text}` : text);
    this.name = 'RetryConfigError';
    this.issues = issues;
  }
}

/**
 * True for a `RetryConfigError`, also one from another copy of the library.
 *
 * @example
 * ```ts
 * try {
 *   new RetryConfig({ maxAttempts: 0 });
 * } catch (error) {
 *   if (isRetryConfigError(error)) console.error(error.issues); // [{ field: 'maxAttempts', message: 'maxAttempts must not be less than 1' }]
 * }
 * ```
 */
export function isRetryConfigError(error: unknown): error is RetryConfigError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}
