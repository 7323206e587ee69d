import { shouldRetryAzureError } from '../classification/classify-error';
import { OPENAI_STREAM_ITEMS } from '../strategies/stream-commit/openai-stream-items';
import { createRetryDecorator } from './create-retry-decorator';
import type { RetryMethodDecorator, RetryOptions } from '../pipeline/retry-options';

/**
 * Retries what `@RetryOpenAI` retries (the `AzureOpenAI` client throws the same errors),
 * plus `@azure/core-rest-pipeline` RestErrors and Node connection errors. Credential
 * errors from `@azure/identity` are never retried.
 *
 * @param options - Any `RetryConfig` field plus `config`, `configName`, `key`, `name`, `logger`,
 * `tracer`; invalid options throw when the class is defined.
 * @example
 * ```ts
 * class AzureChat {
 *   private readonly client = new AzureOpenAI({
 *     endpoint: 'https://my-resource.openai.azure.com',
 *     apiVersion: '2024-10-21',
 *     deployment: 'gpt-4o',
 *     azureADTokenProvider: getBearerTokenProvider(new DefaultAzureCredential(), 'https://cognitiveservices.azure.com/.default'),
 *     maxRetries: 0,
 *   });
 *
 *   @RetryAzure({ key: 'azure-eastus-gpt-4o', circuitBreaker: true })
 *   async complete(question: string) {
 *     return this.client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: question }] });
 *   }
 * }
 * ```
 */
export function RetryAzure(options?: RetryOptions): RetryMethodDecorator {
  return createRetryDecorator('RetryAzure', shouldRetryAzureError, options, OPENAI_STREAM_ITEMS);
}
