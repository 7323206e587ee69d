import type { ResilienceLogger } from '../observability/default-logger';

/** Instances already looked at (once each, after their first failure). */
const checkedInstances = new WeakSet<object>();
/** Classes already warned about (once each). */
const warnedClasses = new WeakSet<object>();

/**
 * A decorated instance that holds an openai `OpenAI` / `AzureOpenAI` client (found by shape:
 * a numeric `maxRetries` next to `chat` or `responses`) retrying by itself multiplies the
 * requests of one call: `maxAttempts` × (`maxRetries` + 1), each SDK retry obeying any
 * Retry-After with no cap. Said once per class at `warn`; looked for once per instance, after
 * its first failure, so successes cost nothing.
 */
export function warnIfSecondRetryLayer(
  thisArg: unknown,
  label: string,
  maxAttempts: number,
  logger: ResilienceLogger,
): void {
  if (typeof thisArg !== 'object' || thisArg === null || checkedInstances.has(thisArg)) return;
  checkedInstances.add(thisArg);
  const owner = (thisArg as { constructor?: unknown }).constructor;
  if (typeof owner !== 'function' || warnedClasses.has(owner)) return;
  for (const property of Object.keys(thisArg)) {
    const client = (thisArg as Record<string, unknown>)[property];
    const maxRetries = sdkRetries(client);
    if (maxRetries === undefined) continue;
    warnedClasses.add(owner);
    const clientName = (client as { constructor?: { name?: string } }).constructor?.name || 'SDK';
    const requests = maxAttempts * (maxRetries + 1);
    try {
      logger.warn(
        `${label}: this.${property} is an ${clientName} client with maxRetries: ${maxRetries}, so one call can send up to ` +
          `${requests} requests (${maxAttempts} attempts x ${maxRetries + 1}); create the client with maxRetries: 0`,
        { method: label, client: clientName, maxRetries, maxAttempts, requests },
      );
    } catch {
      // A broken logger must not break the call.
    }
    return;
  }
}

/** The `maxRetries` of an openai-shaped client that retries by itself, else undefined. */
function sdkRetries(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { maxRetries, chat, responses } = value as { maxRetries?: unknown; chat?: unknown; responses?: unknown };
  if (typeof maxRetries !== 'number' || !(maxRetries > 0)) return undefined;
  return typeof chat === 'object' || typeof responses === 'object' ? maxRetries : undefined;
}
