import { shouldRetryOpenAIError } from '../policies/classification/classify-error';
import { createRetryDecorator } from './create-retry-decorator';
import type { RetryMethodDecorator, RetryOptions } from './retry-options';

/**
 * Retries errors of the `openai` SDK that are worth retrying: 408, 409, 429 (not a
 * quota error), 5xx (not 501/505), connection failures and timeouts.
 * Give the client `maxRetries: 0` so that only one layer retries.
 */
export function RetryOpenAI(options?: RetryOptions): RetryMethodDecorator {
  return createRetryDecorator('RetryOpenAI', shouldRetryOpenAIError, options);
}
