import {
  checkLogger,
  checkTracer,
  configuredTracer,
  environmentDefaults,
  namedConfig,
  namedConfigNames,
  processDefaults,
  settingsVersion,
} from '../config/resilience-settings';
import { ConfigSources, resolveRetryConfig } from '../config/resolve-config';
import { isRetryConfig, RetryConfig, RetryConfigFields } from '../config/retry-config';
import { RetryConfigError } from '../config/retry-config-error';
import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import { activeInstrumentation } from '../observability/instrumentation';
import type { AttemptOwner } from './retry-context';
import { Upstream, upstreamFor } from './upstream';

/** A config for the call: fixed, or chosen from the instance and the call's arguments. */
// `instance: any`: the user's callbacks name their own class (`(agent: ChatAgent) => ...`), which
// a parameter of type `unknown` would refuse.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConfigOption = RetryConfig | ((instance: any, args: unknown[]) => RetryConfig | undefined);
/** The logger and tracer of one instance (a per-agent tracer, say), above the fixed ones. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ConfigOption
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
  /** The upstream whose breaker, budget and cooldown the calls share (default: the label). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ConfigOption
  readonly key?: string | ((instance: any, args: unknown[]) => string);
  /** A named config (`configureResilience({ configs })`), in the place of `config`. */
  readonly configName?: string;
  /** Attributes for the call's span (e.g. `gen_ai.system`, `gen_ai.request.model`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ConfigOption
  readonly spanAttributes?: (instance: any, args: unknown[]) => Record<string, string | number | boolean>;
}

/** What the engine knows about one decorated method; built once, when the class is defined. */
export class RetryPolicy implements AttemptOwner {
  readonly label: RetryPolicySpec['label'];
  readonly options: RetryPolicySpec['options'];
  readonly config: RetryPolicySpec['config'];
  readonly shouldRetry: RetryPolicySpec['shouldRetry'];
  readonly successDetails: RetryPolicySpec['successDetails'];
  readonly spanAttributes: RetryPolicySpec['spanAttributes'];
  private readonly key: RetryPolicySpec['key'];
  private readonly configName: string | undefined;
  private leanUpstreamCache: { upstream: Upstream; owner: unknown } | undefined;
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
    this.key = spec.key;
    this.spanAttributes = spec.spanAttributes;
    this.configName = spec.configName;
  }

  /** The key of a call: the `key` option, or the method's label. */
  keyFor(thisArg: unknown, args: unknown[]): string {
    const key = this.key;
    if (key === undefined) return this.label(thisArg);
    return typeof key === 'function' ? key(thisArg, args) : key;
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
   * The upstream of a call on `thisArg` that can take the lean path (no trace events,
   * timers, breaker, bulkhead or custom budget, and a key that does not depend on the
   * arguments), or undefined when it cannot. Decided without allocating: the static layers
   * are checked once per settings change, and the upstream is cached per class.
   */
  leanUpstream(thisArg: unknown): Upstream | undefined {
    if (this.checkedVersion !== settingsVersion()) {
      // resetResilience() forgets every upstream: so does this cache.
      this.leanUpstreamCache = undefined;
      this.supervisedByDefault =
        // A config or key chosen from the arguments needs the arguments array: not lean.
        typeof this.config === 'function' ||
        typeof this.key === 'function' ||
        // Observers chosen per instance may bring a tracer: not lean either.
        this.observers !== undefined ||
        this.currentTracer(undefined) !== undefined ||
        // An OpenTelemetry SDK in use: every call gets a span.
        activeInstrumentation() !== undefined ||
        needsSupervision(this.options) ||
        needsSupervision(processDefaults()) ||
        needsSupervision(environmentDefaults());
      this.checkedVersion = settingsVersion();
    }
    if (this.supervisedByDefault) return undefined;
    const config = this.configName === undefined ? this.config : namedConfig(this.configName);
    // A missing named config takes the supervised path, which reports it.
    if (this.configName !== undefined && config === undefined) return undefined;
    if (config !== undefined && needsSupervision(config as RetryConfig)) return undefined;
    const instance = instanceConfigOf(thisArg);
    if (instance !== undefined && needsSupervision(instance)) return undefined;
    const owner = typeof this.key === 'string' ? this : ownerOf(thisArg);
    const cached = this.leanUpstreamCache;
    if (cached !== undefined && cached.owner === owner) return cached.upstream;
    const upstream = upstreamFor(this.keyFor(thisArg, []));
    this.leanUpstreamCache = { upstream, owner };
    return upstream;
  }

  private configFor(thisArg: unknown, args: unknown[]): RetryConfig | undefined {
    if (this.configName !== undefined) {
      const named = namedConfig(this.configName);
      if (named === undefined) {
        throw new RetryConfigError([
          {
            field: 'configName',
            message: `${this.label(thisArg)}: no retry config is named "${this.configName}" (configured: ${namedConfigNames().join(', ') || 'none'}); add it with configureResilience({ configs }) or ResilienceModule.forRoot({ configs })`,
          },
        ]);
      }
      return named;
    }
    const option = this.config;
    if (typeof option !== 'function') return option;
    const config = option(thisArg, args);
    if (config === undefined || isRetryConfig(config)) return config;
    throw new TypeError(`${this.label(thisArg)}: the config option's function must return a RetryConfig or undefined`);
  }
}

/**
 * Whether a layer asks for what only the supervised path does: timers, a circuit breaker,
 * a bulkhead, or a retry budget other than the default one. These default to unset, so a layer asks
 * exactly when its value is defined (a `false` breaker is as good as none).
 */
function needsSupervision(layer: Partial<RetryConfigFields>): boolean {
  return (
    layer.attemptTimeoutMs !== undefined ||
    layer.totalTimeoutMs !== undefined ||
    (layer.circuitBreaker !== undefined && layer.circuitBreaker !== false) ||
    (layer.retryBudget !== undefined && typeof layer.retryBudget === 'object') ||
    (layer.bulkhead !== undefined && layer.bulkhead !== false)
  );
}

/** What a lean call's label depends on: its class (the constructor, or the class itself). */
function ownerOf(thisArg: unknown): unknown {
  if (typeof thisArg === 'function') return thisArg;
  return thisArg === null || thisArg === undefined ? undefined : (thisArg as object).constructor;
}

export function instanceConfigOf(thisArg: unknown): RetryConfig | undefined {
  if (thisArg === null || (typeof thisArg !== 'object' && typeof thisArg !== 'function')) return undefined;
  const config = (thisArg as { retryConfig?: unknown }).retryConfig;
  return isRetryConfig(config) ? config : undefined;
}
