import {
  RETRY_CONFIG_FIELDS,
  RetryConfig,
  isRetryConfig,
  explicitFields,
  unknownFieldIssues,
} from '../config/retry-config';
import type { RetryConfigFields } from '../config/retry-config';
import { RetryConfigError, isRetryConfigError } from '../config/retry-config-error';
import { checkLogger, checkTracer, recordConfigNameUse } from '../config/resilience-settings';
import { describeReceived } from '../internal/option-checks';
import { RetryPolicy } from '../engine/retry-policy';
import type { RetryPolicySpec } from '../engine/retry-policy-spec';
import type { StreamItemRules } from '../strategies/stream-commit/stream-items';

// The one path from user options to a checked RetryPolicy, shared by the decorators and
// createResiliencePipeline: they only add how calls reach the engine (method wrapping, or
// execute/stream) and how the policy is named.

/** Options every decorator and pipeline takes besides the `RetryConfig` fields. */
export const POLICY_OPTION_KEYS: readonly string[] = [
  'config',
  'configName',
  'logger',
  'tracer',
  'observers',
  'name',
  'successDetails',
  'onRetry',
  'labelDetail',
  'key',
  'spanAttributes',
];

/** What `buildRetryPolicy` needs to know besides the options. */
export interface PolicyDefinition {
  /** How every error names what is being defined: `@RetryOpenAI on ChatAgent.complete`, `pipeline "chat"`. */
  readonly definedAs: string;
  /** The options as given (a copy: later changes to the caller's object change nothing). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Option keys accepted besides the `RetryConfig` fields and `POLICY_OPTION_KEYS`. */
  readonly extraKeys: readonly string[];
  /** True when `options.shouldRetry` must be given (the generic `@Retry`). */
  readonly requireShouldRetry?: boolean;
  /** The retry predicate (the provider's, or `options.shouldRetry`). */
  readonly shouldRetry: (error: unknown) => boolean;
  /** The name of a call in logs and events (and its default key). */
  readonly label: (thisArg: unknown) => string;
  /** Who asks for `options.configName`, for `missingConfigNames()` (e.g. `ChatAgent.complete`). */
  readonly usedBy: string;
  /** How layering errors name the options' layer (`the decorator options`, `the pipeline options`). */
  readonly optionsSource: string;
  /** What the items of its streams are (default: any async iterable's: the first item commits). */
  readonly streamItems?: StreamItemRules;
}

/**
 * Validates the options and builds the policy, then resolves and checks its static layers
 * (options, a fixed or already configured named config, `configureResilience` defaults,
 * environment) together: a conflict fails here, where the method or pipeline is defined.
 *
 * @throws RetryConfigError for an unknown option (with a did-you-mean hint), a field that
 * breaks a rule or layers that conflict; TypeError for an option of the wrong type. Every
 * message starts with `definedAs`.
 */
export function buildRetryPolicy(definition: PolicyDefinition): RetryPolicy {
  const { options: given, definedAs } = definition;
  const fields = validateRetryOptions(definition);
  const policy = new RetryPolicy({
    label: definition.label,
    options: fields,
    config: given.config as RetryPolicySpec['config'],
    shouldRetry: definition.shouldRetry,
    logger: given.logger as RetryPolicySpec['logger'],
    tracer: given.tracer as RetryPolicySpec['tracer'],
    observers: given.observers as RetryPolicySpec['observers'],
    successDetails: given.successDetails as RetryPolicySpec['successDetails'],
    onRetry: given.onRetry as RetryPolicySpec['onRetry'],
    labelDetail: given.labelDetail as RetryPolicySpec['labelDetail'],
    key: given.key as RetryPolicySpec['key'],
    spanAttributes: given.spanAttributes as RetryPolicySpec['spanAttributes'],
    configName: given.configName as string | undefined,
    definedAs,
    optionsSource: definition.optionsSource,
    streamItems: definition.streamItems,
  });
  policy.checkStaticLayers();
  return policy;
}

/** Checks every option; returns the retry fields given literally, as a validated layer. */
function validateRetryOptions(definition: PolicyDefinition): Readonly<Partial<RetryConfigFields>> {
  const { options: given, definedAs } = definition;
  const allowed = new Set<string>([...RETRY_CONFIG_FIELDS, ...POLICY_OPTION_KEYS, ...definition.extraKeys]);
  const unknown = unknownFieldIssues(given, allowed);
  if (unknown.length > 0) throw new RetryConfigError(unknown, definedAs);

  const prefix = `${definedAs}:`;
  if ((definition.requireShouldRetry || given.shouldRetry !== undefined) && typeof given.shouldRetry !== 'function') {
    throw new TypeError(
      `${prefix} shouldRetry must be a function (error) => boolean (received ${describeReceived(given.shouldRetry)})`,
    );
  }
  const config = given.config;
  if (config !== undefined && typeof config !== 'function' && !isRetryConfig(config)) {
    throw new TypeError(
      `${prefix} config must be a RetryConfig or a function (instance, args) => RetryConfig | undefined ` +
        `(received ${describeReceived(config)})`,
    );
  }
  for (const key of ['observers', 'successDetails', 'spanAttributes', 'onRetry', 'labelDetail']) {
    if (given[key] !== undefined && typeof given[key] !== 'function') {
      throw new TypeError(`${prefix} ${key} must be a function (received ${describeReceived(given[key])})`);
    }
  }
  checkLogger(given.logger, `${prefix} logger`);
  checkTracer(given.tracer, `${prefix} tracer`);
  if (given.configName !== undefined) {
    if (typeof given.configName !== 'string' || given.configName.trim() === '') {
      throw new TypeError(
        `${prefix} configName must be a non-empty string (received ${describeReceived(given.configName)})`,
      );
    }
    if (given.config !== undefined) throw new TypeError(`${prefix} give config or configName, not both`);
    recordConfigNameUse(given.configName, definition.usedBy);
  }
  if (
    given.key !== undefined &&
    typeof given.key !== 'function' &&
    (typeof given.key !== 'string' || given.key.trim() === '')
  ) {
    throw new TypeError(
      `${prefix} key must be a non-empty string, or a function (instance, args) => string ` +
        `(received ${describeReceived(given.key)})`,
    );
  }
  if (given.name !== undefined && (typeof given.name !== 'string' || given.name.trim() === '')) {
    throw new TypeError(`${prefix} name must be a non-empty string (received ${describeReceived(given.name)})`);
  }

  const literal: Record<string, unknown> = {};
  for (const field of RETRY_CONFIG_FIELDS) {
    // `key` is the policy's own option (a string or a function), checked above, not a layer field.
    if (field !== 'key' && given[field] !== undefined) literal[field] = given[field];
  }
  try {
    return explicitFields(new RetryConfig(literal));
  } catch (error) {
    if (isRetryConfigError(error)) throw new RetryConfigError(error.issues, definedAs);
    throw error;
  }
}
