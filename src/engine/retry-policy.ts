import {
  checkLogger,
  checkTracer,
  configuredTracer,
  environmentDefaults,
  processDefaults,
  settingsVersion,
} from '../config/resilience-settings';
import { ConfigSources, resolveRetryConfig } from '../config/resolve-config';
import { isRetryConfig, RetryConfig, RetryConfigFields } from '../config/retry-config';
import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import type { AttemptOwner } from './retry-context';

/** A config for the call: fixed, or chosen from the instance and the call's arguments. */
export type ConfigOption = RetryConfig | ((instance: any, args: unknown[]) => RetryConfig | undefined);
/** The logger and tracer of one instance (a per-agent tracer, say), above the fixed ones. */
export type ObserversOption = (instance: any) => { logger?: ResilienceLogger; tracer?: Tracer } | undefined;

export interface RetryPolicySpec {
  /** `ClassName.method` (or the `name` option) for logs; `thisArg` serves standard decorators. */
  readonly label: (thisArg: unknown) => string;
  /** Fields given literally in the decorator options (validated). */
  readonly options: Partial<RetryConfigFields>;
  readonly config?: ConfigOption;
  readonly shouldRetry: (error: unknown) => boolean;
  readonly logger?: ResilienceLogger;
  readonly tracer?: Tracer;
  readonly observers?: ObserversOption;
  /** Extra details for the `llm_call_success` event, from the call's result. */
  readonly successDetails?: (result: unknown) => Record<string, unknown>;
}

/** What the engine knows about one decorated method; built once, when the class is defined. */
export class RetryPolicy implements AttemptOwner {
  readonly label: RetryPolicySpec['label'];
  readonly options: RetryPolicySpec['options'];
  readonly config: RetryPolicySpec['config'];
  readonly shouldRetry: RetryPolicySpec['shouldRetry'];
  readonly successDetails: RetryPolicySpec['successDetails'];
  private readonly logger: RetryPolicySpec['logger'];
  private readonly tracer: RetryPolicySpec['tracer'];
  private readonly observers: RetryPolicySpec['observers'];
  private checkedVersion = -1;
  private supervisedByDefault = false;

  constructor(spec: RetryPolicySpec) {
    this.label = spec.label;
    this.options = spec.options;
    this.config = spec.config;
    this.shouldRetry = spec.shouldRetry;
    this.successDetails = spec.successDetails;
    this.logger = spec.logger;
    this.tracer = spec.tracer;
    this.observers = spec.observers;
  }

  /** The configuration sources of a call on `thisArg` with `args`, strongest first. */
  sourcesFor(thisArg: unknown, args: unknown[]): ConfigSources {
    return { options: this.options, config: this.configFor(thisArg, args), instance: instanceConfigOf(thisArg) };
  }

  maxAttemptsFor(thisArg: unknown, args: unknown[] = []): number {
    return resolveRetryConfig(this.sourcesFor(thisArg, args), this.label(thisArg)).maxAttempts;
  }

  currentTracer(thisArg: unknown): Tracer | undefined {
    return this.observersOf(thisArg)?.tracer ?? this.tracer ?? configuredTracer();
  }

  /** The logger for a call on `thisArg`, if the options name one (else the configured one applies). */
  currentLogger(thisArg: unknown): ResilienceLogger | undefined {
    return this.observersOf(thisArg)?.logger ?? this.logger;
  }

  private observersOf(thisArg: unknown): { logger?: ResilienceLogger; tracer?: Tracer } | undefined {
    if (this.observers === undefined) return undefined;
    const observers = this.observers(thisArg);
    if (observers === undefined) return undefined;
    const label = this.label(thisArg);
    if (typeof observers !== 'object' || observers === null) {
      throw new TypeError(`${label}: the observers option must return { logger?, tracer? } or undefined`);
    }
    checkLogger(observers.logger, `${label}: observers().logger`);
    checkTracer(observers.tracer, `${label}: observers().tracer`);
    return observers;
  }

  /**
   * True when a call on `thisArg` needs neither trace events nor timers, so the engine can
   * run its first attempt bare and build its state only if that attempt fails. Decided
   * without allocating: the static layers are checked once per settings change.
   */
  isLean(thisArg: unknown): boolean {
    if (this.checkedVersion !== settingsVersion()) {
      this.supervisedByDefault =
        // A config chosen from the arguments needs the arguments array: not lean.
        typeof this.config === 'function' ||
        // Observers chosen per instance may bring a tracer: not lean either.
        this.observers !== undefined ||
        this.currentTracer(undefined) !== undefined ||
        hasTimeout(this.options) ||
        hasTimeout(processDefaults()) ||
        hasTimeout(environmentDefaults());
      this.checkedVersion = settingsVersion();
    }
    if (this.supervisedByDefault) return false;
    if (this.config !== undefined && hasTimeout(this.config as RetryConfig)) return false;
    const instance = instanceConfigOf(thisArg);
    return instance === undefined || !hasTimeout(instance);
  }

  private configFor(thisArg: unknown, args: unknown[]): RetryConfig | undefined {
    const option = this.config;
    if (typeof option !== 'function') return option;
    const config = option(thisArg, args);
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
