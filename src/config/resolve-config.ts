import { RETRY_DEFAULTS } from './defaults';
import { environmentDefaults, processDefaults } from './resilience-settings';
import { explicitFields, RETRY_CONFIG_FIELDS, RetryConfig, RetryConfigFields } from './retry-config';
import { RetryConfigError } from './retry-config-error';

/** Every field of a retry configuration, after layering. */
export type ResolvedRetryConfig = RetryConfigFields;

/** The per-call sources of a decorated call's configuration, strongest first. */
export interface ConfigSources {
  /** Fields given literally in the decorator options. */
  readonly options: Partial<RetryConfigFields>;
  /** `options.config`, or what its function returned for this instance. */
  readonly config: RetryConfig | undefined;
  /** The instance's own `retryConfig` (the per-agent config). */
  readonly instance: RetryConfig | undefined;
}

/**
 * Layers a call's configuration field by field: decorator options > `options.config` >
 * the instance's `retryConfig` > `configureResilience` defaults > environment > built-ins.
 */
export function resolveRetryConfig(sources: ConfigSources, label: string): ResolvedRetryConfig {
  const layers = [
    sources.options,
    sources.config && explicitFields(sources.config),
    sources.instance && explicitFields(sources.instance),
    processDefaults(),
    environmentDefaults(),
  ];
  const resolved = { ...RETRY_DEFAULTS } as Record<string, unknown>;
  for (const field of RETRY_CONFIG_FIELDS) {
    for (const layer of layers) {
      const value = layer?.[field];
      if (value !== undefined) {
        resolved[field] = value;
        break;
      }
    }
  }
  const config = resolved as unknown as ResolvedRetryConfig;
  if (config.maxDelayMs < config.baseDelayMs) {
    throw new RetryConfigError(
      [{ field: 'maxDelayMs', message: `maxDelayMs must not be less than baseDelayMs (${config.baseDelayMs})` }],
      `${label} (layered configuration)`,
    );
  }
  return config;
}

/**
 * The effective value of a timeout field, read without building the whole configuration
 * (the success path needs only these). Timeouts default to unset, so a `RetryConfig`
 * sets one exactly when its value is defined.
 */
export function resolveTimeout(
  sources: ConfigSources,
  field: 'attemptTimeoutMs' | 'totalTimeoutMs',
): number | undefined {
  return (
    sources.options[field] ??
    sources.config?.[field] ??
    sources.instance?.[field] ??
    processDefaults()[field] ??
    environmentDefaults()[field]
  );
}
