import { BRANDS, hasBrand } from '../internal/brands';

const TIMEOUT_BRAND = BRANDS.retryTimeout;
const ATTEMPT_TIMEOUT_BRAND = BRANDS.attemptTimeout;

/**
 * The call ran out of its `totalTimeoutMs` before any attempt had failed (the first
 * attempt was still running at the deadline), so there is no provider error to rethrow.
 */
export class RetryTimeoutError extends Error {
  readonly [TIMEOUT_BRAND] = true;
  constructor(
    readonly method: string,
    readonly totalTimeoutMs: number,
  ) {
    super(`${method} did not complete within its total timeout of ${totalTimeoutMs} ms`);
    this.name = 'RetryTimeoutError';
  }
}

/** One attempt ran longer than `attemptTimeoutMs` and was abandoned (a retryable timeout). */
export class AttemptTimeoutError extends Error {
  readonly [ATTEMPT_TIMEOUT_BRAND] = true;
  constructor(
    readonly method: string,
    readonly attemptTimeoutMs: number,
  ) {
    super(`${method}: attempt exceeded its timeout of ${attemptTimeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

export function isRetryTimeoutError(error: unknown): error is RetryTimeoutError {
  return hasBrand(error, TIMEOUT_BRAND);
}

export function isAttemptTimeoutError(error: unknown): error is AttemptTimeoutError {
  return hasBrand(error, ATTEMPT_TIMEOUT_BRAND);
}
