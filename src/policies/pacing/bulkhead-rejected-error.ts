const BRAND = Symbol.for('llm-resilience.BulkheadRejectedError');

/**
 * Thrown at once, without queueing, when a call finds its key's bulkhead full: all
 * `maxConcurrency` slots busy and `queueLimit` calls already waiting. Its message is safe to
 * show (it names the key and the limits, nothing from the request) and it is not worth
 * retrying right away: the key is saturated by this process's own calls.
 */
export class BulkheadRejectedError extends Error {
  readonly [BRAND] = true;
  readonly key: string;
  readonly maxConcurrency: number;
  readonly queueLimit: number;

  constructor(key: string, maxConcurrency: number, queueLimit: number) {
    super(`Too many concurrent calls to ${key} (limit ${maxConcurrency}, queue ${queueLimit})`);
    this.name = 'BulkheadRejectedError';
    this.key = key;
    this.maxConcurrency = maxConcurrency;
    this.queueLimit = queueLimit;
  }
}

/** True for a `BulkheadRejectedError`, also one from another copy of the library. */
export function isBulkheadRejectedError(error: unknown): error is BulkheadRejectedError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}
