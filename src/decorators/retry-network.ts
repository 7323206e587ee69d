import { shouldRetryNetworkError } from '../classification/classify-error';
import { createRetryDecorator } from './create-retry-decorator';
import type { RetryMethodDecorator, RetryOptions } from '../pipeline/retry-options';

/**
 * Retries transient network failures of any client: everything `@RetryAzure` retries,
 * plus bare Node, undici and `fetch` connection errors (`ECONNRESET`, `UND_ERR_SOCKET`,
 * `fetch failed`, ...). Only for calls that are safe to repeat: see docs/anti-patterns.md.
 *
 * @param options - Any `RetryConfig` field plus `config`, `configName`, `key`, `name`, `logger`,
 * `tracer`; invalid options throw when the class is defined.
 * @example
 * ```ts
 * class Inventory {
 *   @RetryNetwork({ key: 'inventory-api', attemptTimeoutMs: 2_000, circuitBreaker: { failureThreshold: 5 } })
 *   async stock(sku: string): Promise<number> {
 *     const response = await fetch(`https://inventory.example.com/stock/${sku}`, { signal: getRetryContext()!.signal });
 *     return (await response.json()).available;
 *   }
 * }
 * ```
 */
export function RetryNetwork(options?: RetryOptions): RetryMethodDecorator {
  return createRetryDecorator('RetryNetwork', shouldRetryNetworkError, options);
}
