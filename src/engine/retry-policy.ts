import { configuredTracer, environmentDefaults, processDefaults, settingsVersion } from '../config/resilience-settings';
import { ConfigSources, resolveRetryConfig } from '../config/resolve-config';
import { isRetryConfig, RetryConfig, RetryConfigFields } from '../config/retry-config';
import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import type { AttemptOwner } from './retry-context';

export type ConfigOption = RetryConfig | ((instance: any) => RetryConfig | undefined);

/** What the engine knows about one decorated method; built once, when the class is defined. */
export class RetryPolicy implements AttemptOwner {
  private checkedVersion = -1;
  private supervisedByDefault = false;

  constructor(
    /** `ClassName.method` (or the `name` option) for logs; `thisArg` serves standard decorators. */
    readonly label: (thisArg: unknown) => string,
    /** Fields given literally in the decorator options (validated). */
    readonly options: Partial<RetryConfigFields>,
    readonly config: ConfigOption | undefined,
    readonly shouldRetry: (error: unknown) => boolean,
    readonly logger: ResilienceLogger | undefined,
    readonly tracer: Tracer | undefined,
  ) {}

  /** The configuration sources of a call on `thisArg`, strongest first. */
  sourcesFor(thisArg: unknown): ConfigSources {
    return { options: this.options, config: this.configFor(thisArg), instance: instanceConfigOf(thisArg) };
  }

  maxAttemptsFor(thisArg: unknown): number {
    return resolveRetryConfig(this.sourcesFor(thisArg), this.label(thisArg)).maxAttempts;
  }

  currentTracer(): Tracer | undefined {
    return this.tracer ?? configuredTracer();
  }

  /**
   * True when a call on `thisArg` needs neither trace events nor timers, so the engine can
   * run its first attempt bare and build its state only if that attempt fails. Decided
   * without allocating: the static layers are checked once per settings change.
   */
  isLean(thisArg: unknown): boolean {
    if (this.checkedVersion !== settingsVersion()) {
      this.supervisedByDefault =
        this.currentTracer() !== undefined ||
        hasTimeout(this.options) ||
        hasTimeout(processDefaults()) ||
        hasTimeout(environmentDefaults());
      this.checkedVersion = settingsVersion();
    }
    if (this.supervisedByDefault) return false;
    if (this.config !== undefined) {
      const config = typeof this.config === 'function' ? this.config(thisArg) : this.config;
      // Anything but a RetryConfig takes the supervised path, which reports it.
      if (config !== undefined && (!isRetryConfig(config) || hasTimeout(config))) return false;
    }
    const instance = instanceConfigOf(thisArg);
    return instance === undefined || !hasTimeout(instance);
  }

  private configFor(thisArg: unknown): RetryConfig | undefined {
    const option = this.config;
    if (typeof option !== 'function') return option;
    const config = option(thisArg);
    if (config === undefined || isRetryConfig(config)) return config;
    throw new TypeError(`${this.label(thisArg)}: the config option's function must return a RetryConfig or undefined`);
  }
}

/** Timeouts default to unset, so a layer sets one exactly when its value is defined. */
function hasTimeout(layer: Partial<RetryConfigFields>): boolean {
  return layer.attemptTimeoutMs !== undefined || layer.totalTimeoutMs !== undefined;
}

export function instanceConfigOf(thisArg: unknown): RetryConfig | undefined {
  if (thisArg === null || (typeof thisArg !== 'object' && typeof thisArg !== 'function')) return undefined;
  const config = (thisArg as { retryConfig?: unknown }).retryConfig;
  return isRetryConfig(config) ? config : undefined;
}
