import { shouldRetryNetworkError } from '../policies/classification/classify-error';
import { createRetryDecorator } from './create-retry-decorator';
import type { RetryMethodDecorator, RetryOptions } from './retry-options';

/**
 * Retries transient network failures of any client: everything `@RetryAzure` retries,
 * plus bare Node, undici and `fetch` connection errors.
 */
export function RetryNetwork(options?: RetryOptions): RetryMethodDecorator {
  return createRetryDecorator('RetryNetwork', shouldRetryNetworkError, options);
}
