import {
  checkLogger,
  checkTracer,
  configuredLogger,
  configuredTracer,
  environmentIsValid,
  namedConfig,
  namedConfigNames,
  resolveOverSettings,
  settingsVersion,
} from '../config/resilience-settings';
import { ConfigLayer, needsSupervision, ResolvedRetryConfig } from '../config/resolve-config';
import { explicitFields, isRetryConfig, RetryConfig } from '../config/retry-config';
import { RetryConfigError } from '../config/retry-config-error';
import type { ResilienceLogger } from '../observability/default-logger';
import type { Tracer } from '../observability/tracer';
import { activeInstrumentation } from '../observability/call-instrumentation';
import { callerSignalIn } from '../internal/caller-signal';
import { holdEpoch } from '../internal/hold-epoch';
import type { AttemptOwner, FirstAttemptContext } from './retry-context';
import { Upstream, upstreamFor } from '../upstreams/per-key-state';
import { wireEngine } from './wiring';
import { instanceKeySuffix } from './instance-key';
import { warnAboutEnvironment } from '../config/environment-check';
import { instanceConfigOf } from './instance-config';
import type { ConfigOption, RetryPolicySpec } from './retry-policy-spec';
import type { KeyBudget } from '../strategies/retry-budget/key-budget';
import { FIRST_ITEM_COMMITS, type StreamItemRules } from '../strategies/stream-commit/stream-items';

/** A resolved config and whether calls with it may take the engine's lean path. */
interface Resolution {
  readonly config: ResolvedRetryConfig;
  readonly lean: boolean;
}

/** WeakMap key standing for "this layer is absent". */
const ABSENT = Object.freeze({});
const NO_ARGS: unknown[] = [];
/** `leanOwner` before any decision (no class is this object). */
const NOT_DECIDED = Object.freeze({});

/**
 * What the engine knows about one decorated method (or pipeline); built once, when the class
 * is defined. Its configuration is resolved from the layers and checked when it is built
 * (`checkStaticLayers`), then once per settings change and once per instance or per-call
 * config object (cached): never again on the success path, never first at a failure.
 */
export class RetryPolicy implements AttemptOwner {
  readonly label: RetryPolicySpec['label'];
  readonly options: RetryPolicySpec['options'];
  readonly config: RetryPolicySpec['config'];
  readonly shouldRetry: RetryPolicySpec['shouldRetry'];
  readonly successDetails: RetryPolicySpec['successDetails'];
  readonly onRetry: RetryPolicySpec['onRetry'];
  readonly labelDetail: RetryPolicySpec['labelDetail'];
  /** See AttemptOwner: the context of the lean first attempts with no `this` (a pipeline's). */
  sharedFirstContext: FirstAttemptContext | undefined = undefined;
  readonly spanAttributes: RetryPolicySpec['spanAttributes'];
  readonly streamItems: StreamItemRules;
  private readonly key: RetryPolicySpec['key'];
  private readonly configName: string | undefined;
  private readonly logger: RetryPolicySpec['logger'];
  private readonly tracer: RetryPolicySpec['tracer'];
  private readonly observers: RetryPolicySpec['observers'];
  private readonly definedAs: string | undefined;
  private readonly optionsLayer: ConfigLayer;

  /** The settings version the caches below were built for (-1: none yet). */
  private version = -1;
  /** The fixed or named config's layer, for this settings version. */
  private staticLayer: ConfigLayer | undefined;
  /** Calls with no per-call config and no instance config. */
  private staticResolution: Resolution | undefined;
  /** By per-call config (or ABSENT), then by instance config (or ABSENT). */
  private resolutions = new WeakMap<object, WeakMap<object, Resolution>>();
  private lastCallConfig: object | undefined;
  private lastInstance: object | undefined;
  private lastResolution: Resolution | undefined;
  /**
   * Whether every call takes the supervised path, whatever its config (undefined: not decided
   * since the last settings change). Decided at the first call, not when the class is defined:
   * an OpenTelemetry SDK registered after the class was defined must still be seen.
   */
  private supervisedByDefault: boolean | undefined;
  /**
   * The last lean decision (`bareBudget`), the instance, config and `holdEpoch` it was made for:
   * the upstream if the configuration is lean, and its budget once a first attempt may run bare.
   */
  private leanOwner: unknown = NOT_DECIDED;
  private leanConfig: unknown = undefined;
  private leanEpoch = -1;
  private leanBudget: KeyBudget | undefined = undefined;
  private leanHit: Upstream | undefined = undefined;

  constructor(spec: RetryPolicySpec) {
    // The engine's connections (settings, shared store, OpenTelemetry) are made once, here.
    wireEngine();
    this.label = spec.label;
    this.options = spec.options;
    this.config = spec.config;
    this.shouldRetry = spec.shouldRetry;
    this.successDetails = spec.successDetails;
    this.onRetry = spec.onRetry;
    this.labelDetail = spec.labelDetail;
    this.logger = spec.logger;
    this.tracer = spec.tracer;
    this.observers = spec.observers;
    this.key = spec.key;
    this.spanAttributes = spec.spanAttributes;
    this.streamItems = spec.streamItems ?? FIRST_ITEM_COMMITS;
    this.configName = spec.configName;
    this.definedAs = spec.definedAs;
    this.optionsLayer = { source: spec.optionsSource ?? 'the decorator options', fields: spec.options };
  }

  /**
   * Resolves the static layers together (options, a fixed config, a named config if it is
   * configured already, `configureResilience` defaults, environment) and checks them, now.
   * @throws RetryConfigError naming `definedAs`, every field in conflict, its value and layer.
   */
  checkStaticLayers(): void {
    // A config chosen per call is layered with the environment at the call: a bad LLM_RETRY_*
    // value surfaces there, at the first call. (The library's own services are defined so, when
    // the library is imported, and importing must never throw.)
    if (typeof this.config === 'function' && !environmentIsValid()) return;
    // The user's own class (the library's services choose their config per call): say once what
    // the environment holds that the library would ignore, through the logger in force now.
    if (typeof this.config !== 'function') warnAboutEnvironment(process.env, configuredLogger());
    const version = settingsVersion();
    const named = this.configName === undefined ? undefined : namedConfig(this.configName);
    const staticLayer = this.fixedLayer(named);
    const resolution = this.resolve([this.optionsLayer, staticLayer], this.definedAs ?? this.label(undefined));
    // A named config not configured yet is checked with it at the first call.
    if (this.configName === undefined || named !== undefined) this.adopt(version, staticLayer, resolution);
  }

  /** The key of a call: the `key` option, or the method's label. */
  keyFor(thisArg: unknown, args: unknown[]): string {
    const key = this.key;
    if (key !== undefined) return typeof key === 'function' ? key(thisArg, args) : key;
    // A config layer's key (a per-agent RetryConfig), else the method's label plus what tells the
    // instance's upstream apart (engine/instance-key.ts).
    return this.resolvedConfigFor(thisArg, args).key ?? this.label(thisArg) + instanceKeySuffix(thisArg);
  }

  /**
   * The resolved configuration of a call on `thisArg` with `args` (cached; frozen).
   * @throws RetryConfigError when the instance's or the call's config conflicts with the
   * other layers, or the named config is missing.
   */
  resolvedConfigFor(thisArg: unknown, args: unknown[]): ResolvedRetryConfig {
    return this.resolutionFor(thisArg, args).config;
  }

  maxAttemptsFor(thisArg: unknown, args: unknown[] = NO_ARGS): number {
    return this.resolutionFor(thisArg, args).config.maxAttempts;
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
   * The retry budget of the key of a call on `thisArg` with `argc` (at most 3) arguments whose first attempt
   * may run bare: no caller signal among the arguments, and `bareBudget`.
   * Undefined when the call takes the supervised path.
   * @throws RetryConfigError as `bareBudget` does.
   */
  leanFirstAttempt(thisArg: unknown, argc: number, a: unknown, b: unknown, c: unknown): KeyBudget | undefined {
    if (
      argc !== 0 &&
      ((argc > 2 && callerSignalIn(c) !== undefined) ||
        (argc > 1 && callerSignalIn(b) !== undefined) ||
        callerSignalIn(a) !== undefined)
    ) {
      return undefined;
    }
    return this.bareBudget(
      thisArg,
      thisArg === null || thisArg === undefined ? undefined : (thisArg as { retryConfig?: unknown }).retryConfig,
    );
  }

  /**
   * The retry budget of the key of a call on `thisArg` (whose `retryConfig` is `config`) when
   * its first attempt may run bare: a lean configuration (no trace events, timers, breaker,
   * bulkhead or custom budget, and a key that does not depend on the arguments) and nothing on
   * the key that could hold the attempt back (`Upstream.mayRunBare`); undefined when the call
   * takes the supervised path. What the success path still needs of the key: its budget's
   * success refund.
   *
   * Decided without allocating, and remembered for the last (instance, config) seen and the
   * current `holdEpoch`: repeated calls on one instance (a service, an agent) decide with one
   * property read and four comparisons. The instance is compared by identity: with many
   * decorated classes in a process, reading its class would be one more megamorphic load per
   * call. (One instance per decorated method stays referenced until the next call: bounded.)
   * @throws RetryConfigError as `resolvedConfigFor` does: before the first attempt.
   */
  bareBudget(thisArg: unknown, config: unknown): KeyBudget | undefined {
    // Small enough to be inlined where it is called: the remembered "yes".
    return thisArg === this.leanOwner &&
      config === this.leanConfig &&
      this.leanEpoch === holdEpoch.value &&
      this.leanBudget !== undefined
      ? this.leanBudget
      : this.decideBare(thisArg, config);
  }

  private decideBare(thisArg: unknown, config: unknown): KeyBudget | undefined {
    if (thisArg !== this.leanOwner || config !== this.leanConfig || this.leanEpoch !== holdEpoch.value) {
      const epoch = holdEpoch.value;
      const upstream = this.decideLean(thisArg);
      this.leanOwner = thisArg;
      this.leanConfig = config;
      this.leanEpoch = epoch;
      this.leanHit = upstream;
      this.leanBudget = undefined;
    }
    // A cooldown (a 429 seen by another call), pacing or a circuit breaker (created by another
    // caller of the key) may make even a first attempt wait or fail fast: not lean. Only a "yes"
    // is remembered: a cooldown that expires or a cold start that ends does not change the epoch.
    const upstream = this.leanHit;
    return upstream !== undefined && upstream.mayRunBare() ? (this.leanBudget = upstream.budget) : undefined;
  }

  private decideLean(thisArg: unknown): Upstream | undefined {
    if (this.version !== settingsVersion()) this.refresh(thisArg);
    if ((this.supervisedByDefault ??= this.alwaysSupervised())) return undefined;
    // Not supervised by default: `config` is not a function, so there is no per-call config.
    const instance = instanceConfigOf(thisArg);
    const resolution =
      instance === undefined ? this.staticResolution! : this.cachedResolution(undefined, instance, thisArg);
    return resolution.lean ? upstreamFor(this.keyFor(thisArg, NO_ARGS)) : undefined;
  }

  private resolutionFor(thisArg: unknown, args: unknown[]): Resolution {
    if (this.version !== settingsVersion()) this.refresh(thisArg);
    const callConfig = typeof this.config === 'function' ? this.callConfig(thisArg, args) : undefined;
    const instance = instanceConfigOf(thisArg);
    if (callConfig === undefined && instance === undefined) return this.staticResolution!;
    return this.cachedResolution(callConfig, instance, thisArg);
  }

  /** The resolution for a per-call config and an instance config (one of them at least), cached. */
  private cachedResolution(
    callConfig: RetryConfig | undefined,
    instance: RetryConfig | undefined,
    thisArg: unknown,
  ): Resolution {
    if (callConfig === this.lastCallConfig && instance === this.lastInstance) return this.lastResolution!;
    const outer = callConfig ?? ABSENT;
    let byInstance = this.resolutions.get(outer);
    let resolution = byInstance?.get(instance ?? ABSENT);
    if (resolution === undefined) {
      resolution = this.resolve(
        [
          this.optionsLayer,
          callConfig === undefined
            ? this.staticLayer
            : { source: 'options.config()', fields: explicitFields(callConfig) },
          instance === undefined ? undefined : { source: 'this.retryConfig', fields: explicitFields(instance) },
        ],
        this.label(thisArg),
      );
      if (byInstance === undefined) this.resolutions.set(outer, (byInstance = new WeakMap()));
      byInstance.set(instance ?? ABSENT, resolution);
    }
    this.lastCallConfig = callConfig;
    this.lastInstance = instance;
    this.lastResolution = resolution;
    return resolution;
  }

  /** After a settings change: the static layers again, and every cache emptied. */
  private refresh(thisArg: unknown): void {
    const version = settingsVersion();
    let named: RetryConfig | undefined;
    if (this.configName !== undefined) {
      named = namedConfig(this.configName);
      if (named === undefined) {
        throw new RetryConfigError([
          {
            field: 'configName',
            message: `${this.label(thisArg)}: no retry config is named "${this.configName}" (configured: ${namedConfigNames().join(', ') || 'none'}); add it with configureResilience({ configs }) or ResilienceModule.forRoot({ configs })`,
          },
        ]);
      }
    }
    const staticLayer = this.fixedLayer(named);
    this.adopt(version, staticLayer, this.resolve([this.optionsLayer, staticLayer], this.label(thisArg)));
  }

  private adopt(version: number, staticLayer: ConfigLayer | undefined, resolution: Resolution): void {
    this.staticLayer = staticLayer;
    this.staticResolution = resolution;
    this.resolutions = new WeakMap();
    this.lastCallConfig = this.lastInstance = this.lastResolution = undefined;
    // resetResilience() forgets every upstream: so does this cache.
    this.leanOwner = NOT_DECIDED;
    this.leanHit = this.leanBudget = undefined;
    this.supervisedByDefault = undefined;
    this.version = version;
  }

  private alwaysSupervised(): boolean {
    return (
      // A config or key chosen from the arguments needs the arguments array: not lean.
      typeof this.config === 'function' ||
      typeof this.key === 'function' ||
      // Observers chosen per instance may bring a tracer: not lean either.
      this.observers !== undefined ||
      this.currentTracer(undefined) !== undefined ||
      // An OpenTelemetry SDK in use: every call gets a span.
      activeInstrumentation() !== undefined
    );
  }

  /** The layer of the fixed `config` option, or of the named config. */
  private fixedLayer(named: RetryConfig | undefined): ConfigLayer | undefined {
    if (named !== undefined) return { source: `the named config "${this.configName}"`, fields: explicitFields(named) };
    const fixed = this.config;
    return fixed === undefined || typeof fixed === 'function'
      ? undefined
      : { source: 'options.config', fields: explicitFields(fixed) };
  }

  /** Layers `layers` over the process defaults and the environment; throws naming `what`. */
  private resolve(layers: Array<ConfigLayer | undefined>, what: string): Resolution {
    const config = resolveOverSettings(layers, what);
    return { config, lean: !needsSupervision(config) };
  }

  private callConfig(thisArg: unknown, args: unknown[]): RetryConfig | undefined {
    const config = (this.config as Exclude<ConfigOption, RetryConfig>)(thisArg, args);
    if (config === undefined || isRetryConfig(config)) return config;
    throw new TypeError(`${this.label(thisArg)}: the config option's function must return a RetryConfig or undefined`);
  }
}
