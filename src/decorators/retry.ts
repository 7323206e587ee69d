import { createRetryDecorator } from './create-retry-decorator';
import type { GenericRetryOptions, RetryMethodDecorator } from '../pipeline/retry-options';

/**
 * Retries the decorated method when `shouldRetry(error)` says so.
 *
 * @param options - `shouldRetry` plus any `RetryConfig` field and the options of `@RetryOpenAI`.
 * @example
 * ```ts
 * class Geo {
 *   @Retry({ shouldRetry: (e) => (e as { status?: number }).status === 503, maxAttempts: 4 })
 *   async lookup(ip: string) { ... }
 * }
 * ```
 */
export function Retry(options: GenericRetryOptions): RetryMethodDecorator {
  return createRetryDecorator('Retry', undefined, options);
}
