import type { ResilienceLogger } from '../observability/default-logger';
import { bumpHoldEpoch } from '../internal/hold-epoch';
import { describeReceived } from '../internal/option-checks';
import { createDefaultLogger } from '../observability/default-logger';
import { isTracer, Tracer } from '../observability/tracer';
import { isSharedStateStore, SharedStateStore } from '../ports/shared-state-store';
import { isRetryConfigError, RetryConfigError, RetryConfigIssue } from './retry-config-error';
import { explicitFields, RetryConfig, RetryConfigFields } from './retry-config';
import { ConfigLayer, ENVIRONMENT, ResolvedRetryConfig, resolveRetryConfig } from './resolve-config';

/**
 * Process-wide settings, given to `configureResilience`.
 *
 * @example
 * ```ts
 * const settings: ResilienceSettings = { defaults: { maxAttempts: 4 }, logger: winstonLogger, configs: { embeddings: { baseDelayMs: 200 } } };
 * configureResilience(settings);
 * ```
 */
export interface ResilienceSettings {
  /** Defaults for every decorated method, below per-agent and per-method settings. */
  defaults?: Partial<RetryConfigFields> | RetryConfig;
  /**
   * The winston logger (or any `{error,warn,info,debug}` logger) retries are logged to.
   * @default the library's own winston logger (stderr, level `warn` or `LLM_RESILIENCE_LOG_LEVEL`)
   */
  logger?: ResilienceLogger;
  /** Receives the trace events of every decorated call. */
  tracer?: Tracer;
  /**
   * Source of randomness for jitter, in [0, 1); inject a fixed one in tests.
   * @default Math.random
   */
  random?: () => number;
  /**
   * Named configs, chosen with the decorators' `configName` option (like resilience4j's
   * `@Retry(name = ...)`); each is layered over `defaults` field by field.
   */
  configs?: Record<string, Partial<RetryConfigFields> | RetryConfig>;
  /**
   * Shares what one replica learns about an upstream with the others (`createRedisStateStore`
   * from `llm-resilience/redis`): today, the rate-limit cooldowns.
   */
  stateStore?: SharedStateStore;
}

const SETTINGS_KEYS: ReadonlySet<string> = new Set(['defaults', 'logger', 'tracer', 'random', 'configs', 'stateStore']);

interface State {
  defaults: Partial<RetryConfigFields>;
  stateStore?: SharedStateStore;
  configs?: ReadonlyMap<string, RetryConfig>;
  logger?: ResilienceLogger;
  tracer?: Tracer;
  random?: () => number;
  /** The `LLM_RETRY_*` layer, read once when first needed. */
  env?: Partial<RetryConfigFields>;
  defaultLogger?: ResilienceLogger;
}

let state: State = { defaults: {} };
/** Bumped on every change, so that per-method caches know when to look again. */
let version = 0;

/**
 * Sets process-wide defaults, logger, tracer or randomness. Each call replaces only the
 * settings it names (`undefined` clears one). Invalid input throws at once.
 *
 * @example
 * ```ts
 * configureResilience({
 *   defaults: { maxAttempts: 4, totalTimeoutMs: 60_000 },
 *   configs: { embeddings: { maxAttempts: 5, baseDelayMs: 200 } }, // @RetryOpenAI({ configName: 'embeddings' })
 *   logger: winston.createLogger({ format: winston.format.combine(redactSecrets(), winston.format.json()) }),
 *   tracer: { logEvent: (event, details) => metrics.increment(event, details) },
 * });
 * ```
 * @throws RetryConfigError when a default or named config breaks a rule (every problem listed);
 * TypeError for an unknown setting, a logger or tracer of the wrong shape.
 */
export function configureResilience(settings: ResilienceSettings): void {
  if (typeof settings !== 'object' || settings === null) {
    throw new TypeError(`configureResilience: settings must be an object (received ${describeReceived(settings)})`);
  }
  for (const key of Object.keys(settings)) {
    if (!SETTINGS_KEYS.has(key)) {
      throw new TypeError(
        `configureResilience: ${key} is not a setting (expected one of ${[...SETTINGS_KEYS].join(', ')})`,
      );
    }
  }
  const next: State = { ...state };
  if ('defaults' in settings) {
    try {
      next.defaults = settings.defaults === undefined ? {} : explicitFields(RetryConfig.from(settings.defaults));
    } catch (error) {
      if (error instanceof RetryConfigError) throw new RetryConfigError(error.issues, 'configureResilience defaults');
      throw error;
    }
  }
  if ('configs' in settings) next.configs = namedConfigs(settings.configs);
  if ('stateStore' in settings) {
    if (settings.stateStore !== undefined && !isSharedStateStore(settings.stateStore)) {
      throw new TypeError(
        'configureResilience: stateStore must be a state store, e.g. createRedisStateStore({ client }) ' +
          `(received ${describeStateStore(settings.stateStore)})`,
      );
    }
    next.stateStore = settings.stateStore;
  }
  if ('logger' in settings) next.logger = checkLogger(settings.logger, 'configureResilience: logger');
  if ('tracer' in settings) next.tracer = checkTracer(settings.tracer, 'configureResilience: tracer');
  if ('random' in settings) {
    if (settings.random !== undefined && typeof settings.random !== 'function') {
      throw new TypeError(
        `configureResilience: random must be a function returning a number in [0, 1) (received ${describeReceived(settings.random)})`,
      );
    }
    next.random = settings.random;
  }
  state = next;
  version++;
  bumpHoldEpoch();
  for (const listener of configureListeners) listener();
}

const configureListeners: Array<() => void> = [];

/** @internal Runs `listener` after every `configureResilience()` and `resetResilience()`. */
export function onResilienceConfigure(listener: () => void): void {
  configureListeners.push(listener);
}

const resetListeners: Array<() => void> = [];

/**
 * Restores the built-in settings, forgets the cached environment and every per-key state
 * (circuit breakers, retry budgets, cooldowns), for tests.
 *
 * @example
 * ```ts
 * afterEach(() => resetResilience());
 * ```
 */
export function resetResilience(): void {
  state = { defaults: {} };
  version++;
  bumpHoldEpoch();
  for (const listener of resetListeners) listener();
  for (const listener of configureListeners) listener();
}

/** @internal Lets the engine forget its per-key state on `resetResilience()`. */
export function onResilienceReset(listener: () => void): void {
  resetListeners.push(listener);
}

/** @internal Changes whenever the settings (or the cached environment) may have. */
export function settingsVersion(): number {
  return version;
}

/**
 * A rejected `stateStore`, never quoting a string: one is likely a Redis URL, which may carry
 * a password (`redis://user:secret@host`).
 */
function describeStateStore(value: unknown): string {
  return typeof value === 'string' ? `a string (${value.length} characters)` : describeReceived(value);
}

/** Validates every named config at once; issues are named `configs.<name>.<field>`. */
function namedConfigs(configs: ResilienceSettings['configs']): ReadonlyMap<string, RetryConfig> | undefined {
  if (configs === undefined) return undefined;
  if (typeof configs !== 'object' || configs === null || Array.isArray(configs)) {
    throw new TypeError(
      `configureResilience: configs must be an object of named retry configs (received ${describeReceived(configs)})`,
    );
  }
  const map = new Map<string, RetryConfig>();
  const issues: RetryConfigIssue[] = [];
  for (const [name, config] of Object.entries(configs)) {
    try {
      map.set(name, RetryConfig.from(config));
    } catch (error) {
      if (!(error instanceof RetryConfigError)) throw error;
      issues.push(
        ...error.issues.map((issue) => ({
          field: `configs.${name}.${issue.field}`,
          message: `configs.${name}.${issue.message}`,
        })),
      );
    }
  }
  if (issues.length > 0) throw new RetryConfigError(issues, 'configureResilience');
  return map;
}

/** @internal The named config `name`, if configured. */
export function namedConfig(name: string): RetryConfig | undefined {
  return state.configs?.get(name);
}

const configNameUses: Array<{ name: string; method: string }> = [];

/**
 * @internal Records, when a class is defined (or a pipeline created), that `method` asks for the
 * named config `name`; once per pair, so pipelines created per request do not pile up.
 */
export function recordConfigNameUse(name: string, method: string): void {
  if (configNameUses.some((use) => use.name === name && use.method === method)) return;
  configNameUses.push({ name, method });
}

/**
 * The named configs that decorated methods ask for (`configName`) but that are not
 * configured (now, or among `configured` when given, e.g. the configs a module is about to
 * apply): a framework integration checks this at boot, so that a typo fails there.
 *
 * @example
 * ```ts
 * const missing = missingConfigNames();
 * if (missing.length > 0) throw new Error(missing.map((m) => `${m.method} asks for config ${m.name}`).join('; '));
 * ```
 */
export function missingConfigNames(configured?: Iterable<string>): Array<{
  /** The config name asked for. */
  name: string;
  /** The method asking for it, as `ClassName.method`. */
  method: string;
}> {
  const names = configured === undefined ? undefined : new Set(configured);
  return configNameUses.filter((use) => (names ? !names.has(use.name) : namedConfig(use.name) === undefined));
}

/** @internal The names configured with `configureResilience({ configs })`. */
export function namedConfigNames(): string[] {
  return [...(state.configs?.keys() ?? [])];
}

/** @internal The layer set with `configureResilience({ defaults })`. */
export function processDefaults(): Partial<RetryConfigFields> {
  return state.defaults;
}

/** @internal The environment layer, read on first need and cached until `resetResilience()`. */
export function environmentDefaults(): Partial<RetryConfigFields> {
  return (state.env ??= explicitFields(RetryConfig.fromEnv()));
}

/** @internal True when the `LLM_RETRY_*` variables can be read (each valid on its own). */
export function environmentIsValid(): boolean {
  try {
    environmentDefaults();
    return true;
  } catch {
    return false;
  }
}

/** @internal The store replicas share upstream state through, if any. */
export function configuredStateStore(): SharedStateStore | undefined {
  return state.stateStore;
}

/** @internal */
export function configuredTracer(): Tracer | undefined {
  return state.tracer;
}

/** @internal The configured logger, or the library's own (created on first use). */
export function configuredLogger(): ResilienceLogger {
  return state.logger ?? (state.defaultLogger ??= createDefaultLogger());
}

/** @internal */
export function configuredRandom(): () => number {
  return state.random ?? Math.random;
}

/** @internal Throws a TypeError naming `what` unless `logger` is undefined or logger-shaped. */
export function checkLogger(logger: unknown, what: string): ResilienceLogger | undefined {
  if (logger === undefined) return undefined;
  const candidate = logger as Record<string, unknown>;
  const missing = ['error', 'warn', 'info', 'debug'].filter((level) => typeof candidate?.[level] !== 'function');
  if (typeof logger !== 'object' || logger === null || missing.length > 0) {
    throw new TypeError(
      `${what} must be a winston logger (missing ${missing.join(', ') || 'methods'}; received ${describeReceived(logger)})`,
    );
  }
  return logger as ResilienceLogger;
}

/** @internal Throws a TypeError naming `what` unless `tracer` is undefined or has `logEvent`. */
export function checkTracer(tracer: unknown, what: string): Tracer | undefined {
  if (tracer !== undefined && !isTracer(tracer)) {
    throw new TypeError(`${what} must have a logEvent(event, details) method (received ${describeReceived(tracer)})`);
  }
  return tracer;
}

/**
 * @internal Layers `layers` (strongest first) over the `configureResilience` defaults and the
 * environment, and checks them together.
 * @throws RetryConfigError naming `what`, every field in conflict, its value and its layer.
 */
export function resolveOverSettings(layers: Array<ConfigLayer | undefined>, what: string): ResolvedRetryConfig {
  let environment: ConfigLayer;
  try {
    environment = { source: ENVIRONMENT, fields: environmentDefaults() };
  } catch (error) {
    if (!isRetryConfigError(error)) throw error;
    const issues = error.issues.map(({ field, message }) => ({ field, message: `${message} (from the environment)` }));
    throw new RetryConfigError(issues, what);
  }
  const result = resolveRetryConfig([
    ...layers,
    { source: 'configureResilience defaults', fields: processDefaults() },
    environment,
  ]);
  if (result.issues !== undefined) throw new RetryConfigError(result.issues, what);
  return result.config;
}
