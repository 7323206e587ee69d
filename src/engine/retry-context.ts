import { AsyncLocalStorage } from 'node:async_hooks';
import type { AnyFunction } from '../internal/any-function';

/** What a decorated method can learn about the attempt it is running in. */
export interface RetryContext {
  /** 1-based number of the running attempt. */
  readonly attempt: number;
  /** All attempts this call may make, the first included: the call's resolved `maxAttempts`. */
  readonly maxAttempts: number;
  /**
   * Aborts when this attempt's `attemptTimeoutMs` or the call's `totalTimeoutMs` expires,
   * or when the caller's own signal aborts: hand it to the SDK (`{ signal }`).
   */
  readonly signal: AbortSignal;
}

/** @internal Resolves what an attempt's context reports lazily (the decorated method's policy). */
export interface AttemptOwner {
  /** The resolved `maxAttempts` of a call on `thisArg` with `args` (read from the policy's cache). */
  maxAttemptsFor(thisArg: unknown, args?: unknown[]): number;
  /**
   * The context of every lean first attempt with no `this` (a pipeline's): nothing in it
   * depends on the call and nothing can abort it, so one serves them all (built when first asked).
   */
  sharedFirstContext?: FirstAttemptContext;
}

/**
 * @internal One attempt's context. Its signal is created only when someone asks for it,
 * so a call whose method never looks at it pays for no AbortController.
 */
export class AttemptContext implements RetryContext {
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private aborted = false;

  constructor(
    readonly attempt: number,
    private readonly owner: AttemptOwner,
    private readonly thisArg: unknown,
    private readonly args?: unknown[],
  ) {}

  get maxAttempts(): number {
    return this.owner.maxAttemptsFor(this.thisArg, this.args);
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Aborts the attempt's signal (now, or when it is first read). */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

/**
 * @internal The context of a first attempt on the lean path (no timers, no caller signal):
 * nothing can abort it, so it carries no abort state, and it is built only when asked for.
 * Its `attempt` is an own property, as an `AttemptContext`'s is.
 */
export class FirstAttemptContext implements RetryContext {
  readonly attempt = 1;
  private controller: AbortController | undefined = undefined;

  constructor(
    private readonly owner: AttemptOwner,
    private readonly thisArg: unknown,
  ) {}

  get maxAttempts(): number {
    return this.owner.maxAttemptsFor(this.thisArg);
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }
}

/** A running attempt's context: a supervised attempt's, or a lean first attempt's. */
type AnyAttemptContext = AttemptContext | FirstAttemptContext;

/*
 * Why the context is switched on lazily: on Node 20, the first AsyncLocalStorage.run()
 * installs a promise hook that stays for the life of the process and makes EVERY promise
 * in it about 3x slower (bench/RESULTS.md). A library must not impose that on an
 * application that never asks for the context. So until something asks, the context is
 * only visible during the synchronous part of a decorated call; asking once (or
 * decorating a method whose source mentions getRetryContext) switches the async context
 * on for every call that starts afterwards.
 */
const storage = new AsyncLocalStorage<AnyAttemptContext>();
let asyncContext = false;
// The synchronous slot, two variables (saved and restored around every attempt): the running
// attempt's context, or, for a first attempt on the lean path, what is needed to build it on
// demand (its owner and `this`; the context replaces the owner once built).
let slotOwner: AttemptOwner | AnyAttemptContext | undefined;
let slotThis: unknown;

function isAttemptContext(value: unknown): value is AnyAttemptContext {
  return value instanceof AttemptContext || value instanceof FirstAttemptContext;
}

/** @internal Calls `fn` with `ctx` as the retry context. */
export function runInRetryContext(ctx: AttemptContext, fn: AnyFunction, thisArg: unknown, args: unknown[]): unknown {
  if (asyncContext) return storage.run(ctx, Reflect.apply, fn, thisArg, args);
  const outerOwner = slotOwner;
  const outerThis = slotThis;
  slotOwner = ctx;
  slotThis = undefined;
  try {
    return Reflect.apply(fn, thisArg, args);
  } finally {
    slotOwner = outerOwner;
    slotThis = outerThis;
  }
}

/**
 * @internal Calls `fn` with its `argc` (at most 3) arguments as the first attempt of a call
 * that needs no timers: its context is built only if the method asks for it.
 */
export function runFirstAttempt(
  owner: AttemptOwner,
  fn: AnyFunction,
  thisArg: unknown,
  argc: number,
  a: unknown,
  b: unknown,
  c: unknown,
): unknown {
  if (asyncContext) return storage.run(firstContext(owner, thisArg), callWithFew, fn, thisArg, argc, a, b, c);
  const outerOwner = slotOwner;
  const outerThis = slotThis;
  slotOwner = owner;
  slotThis = thisArg;
  try {
    // One argument, the common case, is called here: measurably cheaper than through the switch.
    return argc === 1 ? fn.call(thisArg, a) : callWithFew(fn, thisArg, argc, a, b, c);
  } finally {
    slotOwner = outerOwner;
    slotThis = outerThis;
  }
}

/**
 * @internal Calls `fn(context)` as a lean first attempt whose context is built already (a
 * pipeline's, shared by all its lean first attempts): one slot to set instead of two.
 */
export function runInFirstContext(context: FirstAttemptContext, fn: (context: RetryContext) => unknown): unknown {
  if (asyncContext) return storage.run(context, fn, context);
  const outerOwner = slotOwner;
  // The running context itself: `slotThis` (the outer call's) is not read while it is set.
  slotOwner = context;
  try {
    return fn(context);
  } finally {
    slotOwner = outerOwner;
  }
}

/** Calls `fn` with exactly `argc` of the given arguments (its `arguments.length` stays true). */
function callWithFew(fn: AnyFunction, thisArg: unknown, argc: number, a: unknown, b: unknown, c: unknown): unknown {
  switch (argc) {
    case 0:
      return fn.call(thisArg);
    case 1:
      return fn.call(thisArg, a);
    case 2:
      return fn.call(thisArg, a, b);
    default:
      return fn.call(thisArg, a, b, c);
  }
}

/**
 * @internal The running attempt's signal when the engine supervises the call (timeouts or
 * a caller signal), read WITHOUT switching the async context on. For the library's own
 * services; call it in the synchronous part of the attempt. Undefined on the lean path,
 * where nothing could abort the attempt.
 */
export function supervisedAttemptSignal(): AbortSignal | undefined {
  if (asyncContext) return storage.getStore()?.signal;
  return isAttemptContext(slotOwner) ? slotOwner.signal : undefined;
}

/**
 * @internal The running attempt's context, read WITHOUT switching the async context on: for
 * code the engine itself calls synchronously at the start of an attempt (a pipeline's
 * function is handed its context this way). Undefined outside an attempt.
 */
export function currentRetryContext(): RetryContext | undefined {
  return asyncContext ? storage.getStore() : syncSlot();
}

/** @internal Makes the context follow every decorated call from now on, across awaits. */
export function enableAsyncRetryContext(): void {
  asyncContext = true;
}

/** @internal Whether the method's own code asks for the retry context. */
export function mentionsRetryContext(fn: AnyFunction): boolean {
  try {
    return Function.prototype.toString.call(fn).includes('getRetryContext');
  } catch {
    return false;
  }
}

/**
 * The retry context of the decorated call this code runs in, or `undefined` outside one.
 * @example
 * const { signal } = getRetryContext()!;
 * return this.client.chat.completions.create(body, { signal });
 */
export function getRetryContext(): RetryContext | undefined {
  if (asyncContext) return storage.getStore() ?? syncSlot();
  asyncContext = true;
  return syncSlot();
}

function syncSlot(): AnyAttemptContext | undefined {
  const owner = slotOwner;
  if (owner === undefined || isAttemptContext(owner)) return owner;
  return (slotOwner = firstContext(owner, slotThis));
}

/** @internal A lean first attempt's context: the owner's shared one when there is no `this` (see AttemptOwner). */
export function firstContext(owner: AttemptOwner, thisArg: unknown): FirstAttemptContext {
  if (thisArg !== undefined) return new FirstAttemptContext(owner, thisArg);
  return (owner.sharedFirstContext ??= new FirstAttemptContext(owner, undefined));
}
