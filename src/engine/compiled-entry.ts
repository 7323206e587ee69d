import type { AnyFunction } from '../internal/any-function';
import { callerSignalIn } from '../internal/caller-signal';
import { isThenable } from '../internal/is-thenable';
import { runFirstAttempt } from './retry-context';
import { executeWithRetry, LEAN_MAX_ARGS, retryAfterLeanFailure } from './retry-engine';
import type { RetryPolicy } from './retry-policy';

/**
 * The wrapper of a decorated method (not an async generator), compiled once per method:
 * `executeLean` for up to three arguments (no arguments array), with `leanFirstAttempt`
 * inlined (the instance's `retryConfig` is read here, where the inline cache sees one class);
 * anything else goes to the shared engine functions it is given. An async method never throws
 * synchronously: whatever does here is the engine's refusal, returned as a rejection
 * (`rejects`); any other method's throw propagates as is.
 *
 * Why compiled: V8 keeps one set of inline caches per function literal, shared by every
 * closure made from it. One wrapper shared by every decorated method sees every decorated
 * class (`this.retryConfig`), every method (its call) and every argument shape, and goes
 * megamorphic once a process decorates a handful of classes: 2.1-2.4x a plain call with seven
 * decorated classes in bench/success-path.ts, against 1.9-2.0x for each alone. A function
 * compiled from a source of its own has caches of its own, whatever else the process runs.
 *
 * The source is the constant below plus a counter (V8 shares compilations of equal source
 * text): nothing a user gives reaches it. Where code generation from strings is disallowed
 * (`node --disallow-code-generation-from-strings`, a Content-Security-Policy), there is no
 * compiled wrapper and the decorator uses the shared one: same behaviour. The price: about
 * 2.7 KB of heap per decorated method (its own script, bytecode and inline caches; measured
 * with 1,000 decorated classes on Node 20), against a lean success path in any process.
 */
const SOURCE = `"use strict";
return function (a, b, c) {
  const argc = arguments.length;
  try {
    let budget;
    if (
      argc <= MAX_ARGS &&
      (argc < 1 || typeof a !== "object" || a === null || signalIn(a) === undefined) &&
      (argc < 2 || typeof b !== "object" || b === null || signalIn(b) === undefined) &&
      (argc < 3 || typeof c !== "object" || c === null || signalIn(c) === undefined)
    ) {
      budget = policy.bareBudget(this, this === undefined || this === null ? undefined : this.retryConfig);
    }
    if (budget === undefined) return executeWithRetry(policy, method, this, Array.prototype.slice.call(arguments));
    const result = runFirstAttempt(policy, method, this, argc, a, b, c);
    if (!isThenable(result)) return result;
    return result.then(budget.needsRefund() ? budget.refundFirstAttempt : undefined, (error) =>
      retryAfterLeanFailure(policy, method, this, argc, a, b, c, error),
    );
  } catch (error) {
    if (rejects) return Promise.reject(error);
    throw error;
  }
};`;

/** What the compiled source refers to, by name. */
const DEPENDENCIES = {
  MAX_ARGS: LEAN_MAX_ARGS,
  signalIn: callerSignalIn,
  executeWithRetry,
  runFirstAttempt,
  isThenable,
  retryAfterLeanFailure,
};
const NAMES = Object.keys(DEPENDENCIES);
/** The source with its indentation and line breaks folded: every method keeps a copy of it. */
const COMPACT_SOURCE = SOURCE.replace(/\s+/g, ' ');
const VALUES = Object.values(DEPENDENCIES);

let compiled = 0;
/** False once code generation from strings turned out to be disallowed. */
let allowed = true;

/**
 * @internal The compiled wrapper of `method` (not an async generator) run by `policy`, or
 * undefined when code generation from strings is disallowed in this process. `rejects`: an
 * `async` method, whose wrapper returns what the engine throws as a rejection.
 */
export function compiledWrapper(method: AnyFunction, policy: RetryPolicy, rejects: boolean): AnyFunction | undefined {
  if (!allowed) return undefined;
  let factory: AnyFunction;
  try {
    // A constant source (see above).
    factory = new Function(
      'policy',
      'method',
      'rejects',
      ...NAMES,
      `${COMPACT_SOURCE} // ${compiled++}`,
    ) as AnyFunction;
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    allowed = false;
    return undefined;
  }
  return factory(policy, method, rejects, ...VALUES) as AnyFunction;
}
