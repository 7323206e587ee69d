import { executeLean, executeStreamWithRetry, executeWithRetry, LEAN_MAX_ARGS } from '../engine/retry-engine';
import type { RetryPolicy } from '../engine/retry-policy';
import { enableAsyncRetryContext, mentionsRetryContext } from '../engine/retry-context';
import { compiledWrapper } from '../engine/compiled-entry';
import { copyFunctionIdentity } from '../internal/copy-function-identity';
import { describeReceived } from '../internal/option-checks';
import { rememberPolicy } from './upstream-key-of';
import { isAsyncFunction, isAsyncGeneratorFunction } from '../internal/is-thenable';
import { buildRetryPolicy } from '../pipeline/build-retry-policy';
import { failedStream } from '../pipeline/call-shapes';
import type { GenericRetryOptions, RetryMethodDecorator, RetryOptions } from '../pipeline/retry-options';
import type { AnyFunction } from '../internal/any-function';
import type { StreamItemRules } from '../strategies/stream-commit/stream-items';

/**
 * Builds a retry method decorator around a retry predicate. Every option is validated, and
 * the configuration layers known then are resolved and checked together, when the decorator
 * is applied, that is when the class is defined; errors name the method and the field. The
 * decorator only wraps the method and names it `ClassName.method`: options and policy go
 * through the same path as `createResiliencePipeline` (src/pipeline).
 */
export function createRetryDecorator(
  decoratorName: string,
  shouldRetry: ((error: unknown) => boolean) | undefined,
  options: RetryOptions | GenericRetryOptions | undefined,
  streamItems?: StreamItemRules,
): RetryMethodDecorator {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TypeError(`@${decoratorName}: options must be an object (received ${describeReceived(options)})`);
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
    return buildRetryPolicy({
      definedAs: `@${decoratorName} on ${where}`,
      options: given,
      extraKeys: shouldRetry === undefined ? ['shouldRetry'] : [],
      requireShouldRetry: shouldRetry === undefined,
      shouldRetry: shouldRetry ?? (given.shouldRetry as (error: unknown) => boolean),
      label,
      usedBy: where,
      optionsSource: 'the decorator options',
      streamItems,
    });
  }

  return decorate as RetryMethodDecorator;
}

type Method = (...args: unknown[]) => unknown;

/**
 * The decorated method. A problem the engine finds before the first attempt (an instance's
 * `retryConfig` in conflict with the other layers, a named config missing) reaches the caller
 * as the method's own failures would: a rejected promise from an `async` method, a failing
 * stream from an async generator, a synchronous throw from any other method.
 */
function wrap(original: AnyFunction, policy: RetryPolicy): AnyFunction {
  if (mentionsRetryContext(original)) enableAsyncRetryContext();
  let wrapper: AnyFunction;
  if (isAsyncGeneratorFunction(original)) {
    wrapper = function (this: unknown, ...args: unknown[]) {
      try {
        return executeStreamWithRetry(policy, original as Method, this, args);
      } catch (error) {
        return failedStream(error);
      }
    };
  } else {
    const async = isAsyncFunction(original);
    wrapper = compiledWrapper(original, policy, async) ?? sharedWrapper(original as Method, policy, async);
  }
  copyFunctionIdentity(original, wrapper);
  rememberPolicy(wrapper, policy);
  return wrapper;
}

/**
 * The wrapper of a method that returns anything but a stream, where code cannot be compiled
 * (see engine/compiled-entry.ts; the same behaviour, shared by every method): up to three
 * arguments are passed as such (a rest parameter would allocate an array on every call). An
 * async method never throws synchronously: whatever does here is the engine's refusal,
 * returned as a rejection. Any other method's throw propagates as is.
 */
function sharedWrapper(method: Method, policy: RetryPolicy, async: boolean): AnyFunction {
  return function (this: unknown, a?: unknown, b?: unknown, c?: unknown) {
    const argc = arguments.length;
    try {
      return argc <= LEAN_MAX_ARGS
        ? executeLean(policy, method, this, argc, a, b, c)
        : // eslint-disable-next-line prefer-rest-params -- `arguments` costs nothing until sliced
          executeWithRetry(policy, method, this, Array.prototype.slice.call(arguments));
    } catch (error) {
      if (async) return Promise.reject(error);
      throw error;
    }
  };
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
