import { shouldRetryAzureError } from '../policies/classification/classify-error';
import { createRetryDecorator } from './create-retry-decorator';
import type { RetryMethodDecorator, RetryOptions } from './retry-options';

/**
 * Retries what `@RetryOpenAI` retries (the `AzureOpenAI` client throws the same errors),
 * plus `@azure/core-rest-pipeline` RestErrors and Node connection errors. Credential
 * errors from `@azure/identity` are never retried.
 */
export function RetryAzure(options?: RetryOptions): RetryMethodDecorator {
  return createRetryDecorator('RetryAzure', shouldRetryAzureError, options);
}
