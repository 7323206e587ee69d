import { BRANDS, hasBrand } from '../../internal/brands';

const BRAND: typeof BRANDS.streamTimeout = BRANDS.streamTimeout;

/**
 * A stream went quiet: no content item within `firstItemTimeoutMs` of the attempt's start
 * (`phase: 'first_item'`, a retryable timeout: nothing reached the caller yet), or no item for
 * `idleTimeoutMs` once the stream was committed (`phase: 'idle'`: the `cause` of a
 * `StreamInterruptedError`). Either way the attempt's signal is aborted with it, so the
 * request ends too.
 *
 * @example
 * ```ts
 * @RetryOpenAI({ firstItemTimeoutMs: 10_000, idleTimeoutMs: 30_000 })
 * async *answer(question: string) { ... }
 * ```
 */
export class StreamTimeoutError extends Error {
  /** @internal Brand checked by `isStreamTimeoutError`. */
  readonly [BRAND] = true;
  constructor(
    /** The method's name in logs (`name` option, default `ClassName.method`). */
    readonly method: string,
    /** Which silence: before the first content item, or between items after it. */
    readonly phase: 'first_item' | 'idle',
    /** The timeout that expired (ms): `firstItemTimeoutMs` or `idleTimeoutMs`. */
    readonly timeoutMs: number,
  ) {
    super(
      phase === 'first_item'
        ? `${method}: no content within its first-item timeout of ${timeoutMs} ms`
        : `${method}: the stream was idle for its idle timeout of ${timeoutMs} ms`,
    );
    this.name = 'StreamTimeoutError';
  }
}

/**
 * True for a `StreamTimeoutError`, also one from another copy of the library.
 *
 * @example
 * ```ts
 * if (isStreamTimeoutError(error.cause) && error.cause.phase === 'idle') metrics.increment('llm.stream_stall');
 * ```
 */
export function isStreamTimeoutError(error: unknown): error is StreamTimeoutError {
  return hasBrand(error, BRAND);
}
