import { isRetryConfig, type RetryConfig } from '../config/retry-config';
import type { ResilienceLogger } from '../observability/default-logger';

const warnedInstanceConfigs = new WeakSet<object>();

/** A `retryConfig` that is not a RetryConfig would be ignored: say so once per object. */
export function warnIfIgnoredInstanceConfig(thisArg: unknown, label: string, logger: ResilienceLogger): void {
  if (thisArg === null || (typeof thisArg !== 'object' && typeof thisArg !== 'function')) return;
  const config = (thisArg as { retryConfig?: unknown }).retryConfig;
  if (config === undefined || config === null || isRetryConfig(config) || typeof config !== 'object') return;
  if (warnedInstanceConfigs.has(config)) return;
  warnedInstanceConfigs.add(config);
  logger.warn(
    `${label}: this.retryConfig is not a RetryConfig and is ignored; build it with new RetryConfig({...}) or RetryConfig.from(...)`,
    { method: label },
  );
}

/** The instance's own `retryConfig`, when it is a RetryConfig. */
export function instanceConfigOf(thisArg: unknown): RetryConfig | undefined {
  if (thisArg === null || (typeof thisArg !== 'object' && typeof thisArg !== 'function')) return undefined;
  const config = (thisArg as { retryConfig?: unknown }).retryConfig;
  return isRetryConfig(config) ? config : undefined;
}
