const BRAND = Symbol.for('llm-resilience.BulkheadRejectedError');

/**
 * Thrown at once, without queueing, when a call finds its key's bulkhead full: all
 * `maxConcurrency` slots busy and `queueLimit` calls already waiting. Its message is safe to
 * show (it names the key and the limits, nothing from the request) and it is not worth
 * retrying right away: the key is saturated by this process's own calls.
 *
 * @example
 * ```ts
 * try {
 *   return await search.query(text); // @RetryNetwork({ key: 'search-api', bulkhead: { maxConcurrency: 8 } })
 * } catch (error) {
 *   if (isBulkheadRejectedError(error)) return res.status(429).send(error.message);
 *   throw error;
 * }
 * ```
 */
export class BulkheadRejectedError extends Error {
  /** Brand checked by `isBulkheadRejectedError` (a `Symbol.for` key: survives duplicate installs). */
  readonly [BRAND] = true;
  /** The upstream key whose bulkhead is full. */
  readonly key: string;
  /** The bulkhead's `maxConcurrency`: calls running at once. */
  readonly maxConcurrency: number;
  /** The bulkhead's `queueLimit`: calls already waiting. */
  readonly queueLimit: number;

  constructor(key: string, maxConcurrency: number, queueLimit: number) {
    super(`Too many concurrent calls to ${key} (limit ${maxConcurrency}, queue ${queueLimit})`);
    this.name = 'BulkheadRejectedError';
    this.key = key;
    this.maxConcurrency = maxConcurrency;
    this.queueLimit = queueLimit;
  }
}

/**
 * True for a `BulkheadRejectedError`, also one from another copy of the library.
 *
 * @example
 * ```ts
 * if (isBulkheadRejectedError(error)) console.warn(`${error.key} saturated`);
 * ```
 */
export function isBulkheadRejectedError(error: unknown): error is BulkheadRejectedError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}
