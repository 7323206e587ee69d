import { abortReason } from '../internal/abort-reason';

/*
 * The one rule every wait of a call obeys, before or between its attempts (backoff,
 * Retry-After, the key's cooldown, a pacing slot, the cold-start gate, the bulkhead queue,
 * a half-open probe claim):
 *   1. the caller's abort ends it at once, rejecting with the abort reason;
 *   2. a wait whose end is known and falls after the call's deadline is not started; a wait
 *      of unknown length is cut at the deadline;
 *   3. a wait the upstream dictates (cooldown, pacing) longer than the call's
 *      `maxRetryAfterMs` is not started.
 * A wait that may not start, or is cut, rejects with a `WaitRefusal`: the retry loop turns
 * it into the call's outcome (the last attempt's error, or a new error when none was made).
 */

/** The waits of a call, by what they wait for. */
export type WaitKind = 'cooldown' | 'pacing' | 'cold_start' | 'bulkhead' | 'probe';

/** The bounds of every wait of one call. */
export interface WaitBounds {
  /** The call's own signal (aborts when the caller's does). */
  readonly signal: AbortSignal | undefined;
  /** The call's deadline (epoch ms, `Date.now()` clock), if it has one. */
  readonly deadlineMs: number | undefined;
  /** The longest wait the upstream may dictate (`maxRetryAfterMs`). */
  readonly maxUpstreamWaitMs: number;
}

/**
 * A wait that the call's bounds did not allow, or cut. Control flow: the retry loop turns it
 * into the call's outcome, callers never see it.
 */
export class WaitRefusal extends Error {
  constructor(
    readonly kind: WaitKind,
    /** `cap`: longer than `maxRetryAfterMs`; `deadline`: past (or cut at) the deadline. */
    readonly bound: 'cap' | 'deadline',
    /** How long the wait would have been; undefined for a wait of unknown length cut at the deadline. */
    readonly waitMs: number | undefined,
  ) {
    super(`${kind} wait refused: ${bound}`);
    this.name = 'WaitRefusal';
  }
}

/** True for what a bounded wait rejects with when the bounds end it (not the caller's abort). */
export function isWaitRefusal(value: unknown): value is WaitRefusal {
  return value instanceof WaitRefusal;
}

/**
 * The refusal for a wait of `waitMs` starting now, or undefined when it may start.
 * `upstreamDictated`: the upstream's cap applies (cooldown, pacing), not only the deadline.
 */
export function refuseWait(
  kind: WaitKind,
  waitMs: number,
  bounds: WaitBounds,
  upstreamDictated: boolean,
  nowMs: number = Date.now(),
): WaitRefusal | undefined {
  if (upstreamDictated && waitMs > bounds.maxUpstreamWaitMs) return new WaitRefusal(kind, 'cap', waitMs);
  if (bounds.deadlineMs !== undefined && nowMs + waitMs > bounds.deadlineMs) {
    return new WaitRefusal(kind, 'deadline', waitMs);
  }
  return undefined;
}

/**
 * A wait of unknown length (a queue, a gate, a claim): `start` begins it with a signal that
 * aborts when the caller's does (reason: the caller's) or at the deadline (reason: a
 * `WaitRefusal`); whatever `start` waits on must give up when that signal aborts,
 * rejecting with its reason.
 */
export function waitWithin<T>(
  kind: WaitKind,
  bounds: WaitBounds,
  start: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  const { signal, deadlineMs } = bounds;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (deadlineMs === undefined) return start(signal);
  const left = deadlineMs - Date.now();
  if (left <= 0) return Promise.reject(new WaitRefusal(kind, 'deadline', undefined));
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(abortReason(signal!));
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new WaitRefusal(kind, 'deadline', undefined)), left);
  const done = (): void => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  let waiting: Promise<T>;
  try {
    waiting = start(controller.signal);
  } catch (error) {
    done();
    return Promise.reject(error as Error);
  }
  return waiting.then(
    (value) => {
      done();
      return value;
    },
    (error: unknown) => {
      done();
      throw error;
    },
  );
}

/** `promise`, or the signal's reason as soon as it aborts (the promise is left to settle alone). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

// --- the timed wait --------------------------------------------------------------------

/**
 * How the pacing helpers wait. Injected so tests can use jest's fake timers or a fake clock
 * that resolves sleeps by itself, without real time passing.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** setTimeout turns a longer delay into 1 ms (with a warning); a 24.8-day wait is "forever" here. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Waits `ms` milliseconds with `setTimeout`, or rejects with the signal's reason as soon as
 * it aborts (at once if it already has), clearing the timer so an abandoned wait holds
 * nothing alive. `ms <= 0` or NaN resolves on the next microtask.
 */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    if (!(ms > 0)) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, MAX_TIMEOUT_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
