import { configuredLogger } from '../config/resilience-settings';
import type { ResilienceLogger } from '../observability/default-logger';

const warned = new WeakSet<object>();

/**
 * Logs one warning (once per client) when an SDK client handed to the library retries by
 * itself: under a decorator's 3 attempts, openai's default `maxRetries: 2` sends up to 9
 * requests per call, and its retries obey any Retry-After with no cap. Returns whether it warned.
 *
 * @param client - Any object with a numeric `maxRetries` (openai's `OpenAI` and `AzureOpenAI`).
 * @param logger - Where the warning goes; default: the configured logger.
 * @example
 * ```ts
 * @Injectable()
 * class ChatService {
 *   constructor(private readonly client: OpenAI) {
 *     warnIfSdkRetries(client); // "The OpenAI client has maxRetries: 2; ... Create it with maxRetries: 0."
 *   }
 * }
 * ```
 */
export function warnIfSdkRetries(client: unknown, logger: ResilienceLogger = configuredLogger()): boolean {
  if (typeof client !== 'object' || client === null) return false;
  const maxRetries = (client as { maxRetries?: unknown }).maxRetries;
  if (typeof maxRetries !== 'number' || maxRetries <= 0 || warned.has(client)) return false;
  warned.add(client);
  const name = (client as { constructor?: { name?: string } }).constructor?.name ?? 'SDK client';
  logger.warn(
    `The ${name} client has maxRetries: ${maxRetries}; with llm-resilience retrying too, one call can send ` +
      `up to ${maxRetries + 1}x the requests. Create it with maxRetries: 0.`,
    { client: name, maxRetries },
  );
  return true;
}
