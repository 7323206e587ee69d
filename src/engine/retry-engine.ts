import { findCallerSignal } from '../internal/caller-signal';
import { isThenable } from '../internal/is-thenable';
import { runFirstAttempt } from './retry-context';
import { NO_ERROR, RetryCall } from './retry-call';
import { StreamCall, type StreamResume } from './stream-call';
import { RetryPolicy } from './retry-policy';
import type { AnyFunction } from '../internal/any-function';

type Method = AnyFunction;

/** The most arguments a call can have and still take the lean path (no arguments array). */
export const LEAN_MAX_ARGS = 3;

/**
 * Runs one call of a decorated method with `argc` <= 3 arguments. A call with no tracer,
 * timeout or signal takes the lean path: its first attempt runs bare, and the engine's
 * state (arguments array included) is built only if that attempt fails.
 */
export function executeLean(
  policy: RetryPolicy,
  fn: Method,
  thisArg: unknown,
  argc: number,
  a: unknown,
  b: unknown,
  c: unknown,
): unknown {
  const budget = policy.leanFirstAttempt(thisArg, argc, a, b, c);
  if (budget !== undefined) {
    // A synchronous throw propagates as is: a synchronous caller cannot wait for a retry.
    const result = runFirstAttempt(policy, fn, thisArg, argc, a, b, c);
    if (!isThenable(result)) return result;
    // A success refunds the key's retry budget, if it has one that is not full.
    return result.then(budget.needsRefund() ? budget.refundFirstAttempt : undefined, (error: unknown) =>
      retryAfterLeanFailure(policy, fn, thisArg, argc, a, b, c, error),
    );
  }
  return executeWithRetry(policy, fn, thisArg, argumentList(argc, a, b, c));
}

/**
 * The attempts after a lean first attempt (`executeLean`, or a caller's own copy of its success
 * path) that failed with `error`: the engine's state is built now, the arguments array included.
 */
export function retryAfterLeanFailure(
  policy: RetryPolicy,
  fn: Method,
  thisArg: unknown,
  argc: number,
  a: unknown,
  b: unknown,
  c: unknown,
  error: unknown,
): Promise<unknown> {
  return new RetryCall(policy, fn, thisArg, argumentList(argc, a, b, c), undefined).retryFrom(1, error);
}

/** Runs one call of a decorated method under supervision (any number of arguments). */
export function executeWithRetry(policy: RetryPolicy, fn: Method, thisArg: unknown, args: unknown[]): unknown {
  const signal = findCallerSignal(args);
  if (signal?.aborted) return Promise.reject(signal.reason);
  const call = new RetryCall(policy, fn, thisArg, args, signal);
  // A stage (a breaker, a cooldown, pacing, a bulkhead) may hold the first attempt back: then it starts asynchronously.
  if (call.hasGates()) return call.retryFrom(1, NO_ERROR);
  const ctx = call.startAttempt(1);
  let result: unknown;
  try {
    result = call.invoke(ctx);
  } catch (error) {
    // A synchronous throw propagates as is: a synchronous caller cannot wait for a retry.
    call.failedSynchronously(error);
    throw error;
  }
  if (isThenable(result)) return call.retryFrom(1, NO_ERROR, { ctx, result });
  call.succeeded(1, result);
  return result;
}

function argumentList(argc: number, a: unknown, b: unknown, c: unknown): unknown[] {
  return argc === 0 ? [] : argc === 1 ? [a] : argc === 2 ? [a, b] : [a, b, c];
}

/**
 * Runs an async-generator method: retried only until its commit point (its first content
 * item reaches the caller); after it, re-attached with `resume` when given and possible.
 */
export function executeStreamWithRetry(
  policy: RetryPolicy,
  fn: Method,
  thisArg: unknown,
  args: unknown[],
  resume?: StreamResume,
): AsyncGenerator {
  return new StreamCall(policy, fn, thisArg, args, findCallerSignal(args), resume).stream();
}
