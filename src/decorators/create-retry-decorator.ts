import {
  RetryConfig,
  RETRY_CONFIG_FIELDS,
  isRetryConfig,
  explicitFields,
  unknownFieldIssues,
} from '../config/retry-config';
import { RetryConfigError, isRetryConfigError } from '../config/retry-config-error';
import { checkLogger, checkTracer, recordConfigNameUse } from '../config/resilience-settings';
import { executeLean, executeStreamWithRetry, executeWithRetry, LEAN_MAX_ARGS } from '../engine/retry-engine';
import { RetryPolicy, RetryPolicySpec } from '../engine/retry-policy';
import { enableAsyncRetryContext, mentionsRetryContext } from '../engine/retry-context';
import { copyFunctionIdentity } from '../internal/copy-function-identity';
import { isAsyncGeneratorFunction } from '../internal/is-thenable';
import type { GenericRetryOptions, RetryMethodDecorator, RetryOptions } from './retry-options';
import type { AnyFunction } from '../internal/any-function';

const OPTION_KEYS = [
  'config',
  'configName',
  'logger',
  'tracer',
  'observers',
  'name',
  'successDetails',
  'key',
  'spanAttributes',
];

/**
 * Builds a retry method decorator around a retry predicate. Every option is validated
 * when the decorator is applied, that is when the class is defined, and errors name
 * the method and the field.
 */
export function createRetryDecorator(
  decoratorName: string,
  shouldRetry: ((error: unknown) => boolean) | undefined,
  options: RetryOptions | GenericRetryOptions | undefined,
): RetryMethodDecorator {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TypeError(`@${decoratorName}: options must be an object`);
  }
  // Later changes to the caller's object do not change a decorated method.
  const given: Record<string, unknown> = { ...options };

  function decorate(target: unknown, keyOrContext: unknown, descriptor?: PropertyDescriptor): unknown {
    if (isStandardContext(keyOrContext)) {
      const context = keyOrContext;
      const method = String(context.name);
      if (context.kind !== 'method') {
        throw new TypeError(`@${decoratorName} can only decorate methods, not the ${context.kind} ${method}`);
      }
      const fixedName = given.name as string | undefined;
      const label = fixedName
        ? () => fixedName
        : (thisArg: unknown) => `${classNameOf(thisArg, context.static) ?? 'anonymous class'}.${method}`;
      return wrap(target as AnyFunction, buildPolicy(method, label));
    }

    // Legacy mode: (prototype or constructor, key, descriptor).
    const method = String(keyOrContext);
    const className = typeof target === 'function' ? target.name : (target as object | undefined)?.constructor?.name;
    const where = `${className ?? 'anonymous class'}.${method}`;
    if (keyOrContext === undefined) {
      throw new TypeError(`@${decoratorName} can only decorate methods, not a class`);
    }
    if (descriptor === undefined) {
      throw new TypeError(`@${decoratorName} can only decorate methods, not the field ${where}`);
    }
    if (descriptor.get || descriptor.set) {
      throw new TypeError(`@${decoratorName} can only decorate methods, not the accessor ${where}`);
    }
    if (typeof descriptor.value !== 'function') {
      throw new TypeError(`@${decoratorName} can only decorate methods; ${where} is not a function`);
    }
    const label = (given.name as string | undefined) ?? where;
    descriptor.value = wrap(
      descriptor.value,
      buildPolicy(where, () => label),
    );
    return descriptor;
  }

  function buildPolicy(where: string, label: (thisArg: unknown) => string): RetryPolicy {
    const predicate = shouldRetry ?? (given.shouldRetry as (error: unknown) => boolean);
    const fields = validateOptions(decoratorName, where, given, shouldRetry === undefined);
    return new RetryPolicy({
      label,
      options: fields,
      config: given.config as RetryPolicySpec['config'],
      shouldRetry: predicate,
      logger: given.logger as RetryPolicySpec['logger'],
      tracer: given.tracer as RetryPolicySpec['tracer'],
      observers: given.observers as RetryPolicySpec['observers'],
      successDetails: given.successDetails as RetryPolicySpec['successDetails'],
      key: given.key as RetryPolicySpec['key'],
      spanAttributes: given.spanAttributes as RetryPolicySpec['spanAttributes'],
      configName: given.configName as string | undefined,
    });
  }

  return decorate as RetryMethodDecorator;
}

type Method = (...args: unknown[]) => unknown;

function wrap(original: AnyFunction, policy: RetryPolicy): AnyFunction {
  if (mentionsRetryContext(original)) enableAsyncRetryContext();
  const wrapper = isAsyncGeneratorFunction(original)
    ? function (this: unknown, ...args: unknown[]) {
        return executeStreamWithRetry(policy, original as Method, this, args);
      }
    : function (this: unknown, a?: unknown, b?: unknown, c?: unknown) {
        // Up to three arguments are passed as such: no array on the success path (a rest
        // parameter would allocate one on every call).
        const argc = arguments.length;
        return argc <= LEAN_MAX_ARGS
          ? executeLean(policy, original as Method, this, argc, a, b, c)
          : // eslint-disable-next-line prefer-rest-params -- see above: `arguments` costs nothing until sliced
            executeWithRetry(policy, original as Method, this, Array.prototype.slice.call(arguments));
      };
  copyFunctionIdentity(original, wrapper);
  return wrapper;
}

/** Checks every option; returns the retry fields given literally. Throws naming the method. */
function validateOptions(
  decoratorName: string,
  where: string,
  given: Record<string, unknown>,
  needsPredicate: boolean,
): Partial<RetryConfig> {
  const allowed = new Set<string>([...RETRY_CONFIG_FIELDS, ...OPTION_KEYS, ...(needsPredicate ? ['shouldRetry'] : [])]);
  const unknown = unknownFieldIssues(given, allowed);
  if (unknown.length > 0) throw new RetryConfigError(unknown, `@${decoratorName} on ${where}`);

  const prefix = `@${decoratorName} on ${where}:`;
  if (needsPredicate && typeof given.shouldRetry !== 'function') {
    throw new TypeError(`${prefix} shouldRetry must be a function (error) => boolean`);
  }
  const config = given.config;
  if (config !== undefined && typeof config !== 'function' && !isRetryConfig(config)) {
    throw new TypeError(
      `${prefix} config must be a RetryConfig or a function (instance, args) => RetryConfig | undefined`,
    );
  }
  for (const key of ['observers', 'successDetails', 'spanAttributes']) {
    if (given[key] !== undefined && typeof given[key] !== 'function') {
      throw new TypeError(`${prefix} ${key} must be a function`);
    }
  }
  checkLogger(given.logger, `${prefix} logger`);
  checkTracer(given.tracer, `${prefix} tracer`);
  if (given.configName !== undefined) {
    if (typeof given.configName !== 'string' || given.configName.trim() === '') {
      throw new TypeError(`${prefix} configName must be a non-empty string`);
    }
    if (given.config !== undefined) throw new TypeError(`${prefix} give config or configName, not both`);
    recordConfigNameUse(given.configName, where);
  }
  if (
    given.key !== undefined &&
    typeof given.key !== 'function' &&
    (typeof given.key !== 'string' || given.key.trim() === '')
  ) {
    throw new TypeError(`${prefix} key must be a non-empty string, or a function (instance, args) => string`);
  }
  if (given.name !== undefined && (typeof given.name !== 'string' || given.name.trim() === '')) {
    throw new TypeError(`${prefix} name must be a non-empty string`);
  }

  const literal: Record<string, unknown> = {};
  for (const field of RETRY_CONFIG_FIELDS) {
    if (given[field] !== undefined) literal[field] = given[field];
  }
  try {
    const validated = new RetryConfig(literal);
    // A bad environment is reported now too, not at the first call (it is read again then).
    RetryConfig.fromEnv();
    return explicitFields(validated);
  } catch (error) {
    if (isRetryConfigError(error)) throw new RetryConfigError(error.issues, `@${decoratorName} on ${where}`);
    throw error;
  }
}

interface StandardContext {
  kind: string;
  name: string | symbol;
  static?: boolean;
}

function isStandardContext(value: unknown): value is StandardContext {
  return typeof value === 'object' && value !== null && typeof (value as StandardContext).kind === 'string';
}

function classNameOf(thisArg: unknown, isStatic: boolean | undefined): string | undefined {
  if (thisArg === null || thisArg === undefined) return undefined;
  if (isStatic) return typeof thisArg === 'function' ? thisArg.name : undefined;
  return (thisArg as object).constructor?.name;
}
