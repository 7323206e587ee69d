import { BulkheadSettings, envVarOf, JitterMode, RETRY_DEFAULTS } from './defaults';
import { RETRY_CONFIG_FIELDS, RetryConfigField, RetryConfigFields } from './retry-config';
import { RetryConfigIssue } from './retry-config-error';
import type { CircuitBreakerOptions } from '../strategies/circuit-breaker/circuit-breaker-options';
import type { RetryBudgetOptions } from '../strategies/retry-budget/retry-budget-options';

/**
 * Every field of a call's configuration, after layering: what the engine reads. Built once
 * per method (and per instance or per-call config object) and frozen; a "none" timeout is
 * `undefined`.
 */
export interface ResolvedRetryConfig {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly exponentialBase: number;
  readonly jitter: JitterMode;
  readonly respectRetryAfter: boolean;
  readonly maxRetryAfterMs: number;
  readonly attemptTimeoutMs?: number;
  readonly totalTimeoutMs?: number;
  readonly circuitBreaker?: Readonly<CircuitBreakerOptions> | boolean;
  readonly retryBudget?: Readonly<RetryBudgetOptions> | boolean;
  readonly bulkhead?: Readonly<BulkheadSettings> | false;
  /** The upstream key a config layer set (absent: the decorator's `key` option or the default). */
  readonly key?: string;
  /** Streams: the longest wait for the first content item (ms). */
  readonly firstItemTimeoutMs?: number;
  /** Streams: the longest wait for an item once committed (ms). */
  readonly idleTimeoutMs?: number;
  /** Streams: which item commits the stream (absent: the decorator's or pipeline's rule). */
  readonly streamCommit?: (item: unknown) => boolean;
}

/** One layer of a call's configuration, as a validated set of fields plus where it comes from. */
export interface ConfigLayer {
  /**
   * Where the layer comes from, for error messages: `the decorator options`, `this.retryConfig`,
   * `configureResilience defaults`, ... (`ENVIRONMENT` names each field's variable instead).
   */
  readonly source: string;
  /** The fields the layer sets; `null` for a timeout set to "none". */
  readonly fields: Readonly<Partial<RetryConfigFields>>;
}

/** `ConfigLayer.source` of the environment layer: each field is named by its variable. */
export const ENVIRONMENT = 'the environment';

/**
 * Layers a call's configuration field by field: the first layer (strongest first) that sets a
 * field decides it (`null`: none, which the resolved config reads as `undefined`); the built-in
 * defaults fill the rest. Each layer is valid on its own; the rules across fields are checked on
 * the result, and a violation names both fields, their values and the layers they came from.
 * Returns a frozen config, or the issues.
 */
export function resolveRetryConfig(
  layers: readonly (ConfigLayer | undefined)[],
): { config: ResolvedRetryConfig; issues?: undefined } | { config?: undefined; issues: RetryConfigIssue[] } {
  const resolved: Record<string, unknown> = {};
  const origin: Partial<Record<RetryConfigField, ConfigLayer>> = {};
  for (const field of RETRY_CONFIG_FIELDS) {
    resolved[field] = RETRY_DEFAULTS[field];
    for (const layer of layers) {
      const value = layer?.fields[field];
      if (value === undefined) continue;
      resolved[field] = value === null ? undefined : value;
      origin[field] = layer;
      break;
    }
  }
  const config = resolved as unknown as ResolvedRetryConfig;
  if (config.maxDelayMs < config.baseDelayMs) {
    const max = `maxDelayMs (${config.maxDelayMs}, from ${sourceOf(origin.maxDelayMs, 'maxDelayMs')})`;
    const base = `baseDelayMs (${config.baseDelayMs}, from ${sourceOf(origin.baseDelayMs, 'baseDelayMs')})`;
    return { issues: [{ field: 'maxDelayMs', message: `${max} must not be less than ${base}` }] };
  }
  return { config: Object.freeze(config) };
}

function sourceOf(layer: ConfigLayer | undefined, field: RetryConfigField): string {
  if (layer === undefined) return 'the built-in default';
  return layer.source === ENVIRONMENT ? (envVarOf(field) ?? field) : layer.source;
}

/**
 * Whether a resolved config asks for what only the engine's supervised path does: timers, a
 * circuit breaker, a bulkhead, or a retry budget other than the default one.
 */
export function needsSupervision(config: ResolvedRetryConfig): boolean {
  return (
    config.attemptTimeoutMs !== undefined ||
    config.totalTimeoutMs !== undefined ||
    (config.circuitBreaker !== undefined && config.circuitBreaker !== false) ||
    typeof config.retryBudget === 'object' ||
    (config.bulkhead !== undefined && config.bulkhead !== false)
  );
}
