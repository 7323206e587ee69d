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

/**
 * The circuit of `key` is open (or half-open with its probes busy): the call failed at
 * once, without reaching the upstream. Safe to show; `retryAfterMs` says when a probe
 * will be let through.
 */
export class CircuitOpenError extends Error {
  readonly [BRANDS.circuitOpen] = true;
  constructor(
    readonly key: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super('The service is temporarily unavailable', options);
    this.name = 'CircuitOpenError';
  }
}

export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return hasBrand(error, BRANDS.circuitOpen);
}
