// Decisions of the timeout stage and of the one bounded-wait primitive, each pinned down by a
// test that fails when the decision changes (mutation testing: npm run test:mutation -- timeout):
// - guardAttempt: what stops an attempt (its timeout, the call's deadline, the caller's abort),
//   exactly when, with what, and that the attempt's own signal is aborted with it;
// - refuseWait / waitWithin / untilAborted: which waits may start, where they are cut, and that
//   nothing (timer, listener) outlives a wait;
// - the timeout errors: messages, names and brands.
import {
  isWaitRefusal,
  refuseWait,
  untilAborted,
  waitWithin,
  WaitRefusal,
  type WaitBounds,
} from '../../../src/strategies/bounded-wait';
import { FinalOutcome, guardAttempt, type GuardedCall } from '../../../src/strategies/timeout/attempt-guard';
import {
  AttemptTimeoutError,
  isAttemptTimeoutError,
  isRetryTimeoutError,
  RetryTimeoutError,
} from '../../../src/strategies/timeout/timeout-errors';
import { NOW, track } from '../support';

beforeEach(() => {
  jest.useFakeTimers();
  jest.setSystemTime(NOW);
});

afterEach(() => {
  jest.useRealTimers();
});

/** A running attempt that records why it was aborted. */
function attempt(number = 1) {
  const aborts: unknown[] = [];
  return { aborts, ctx: { attempt: number, abort: (reason: unknown) => aborts.push(reason) } };
}

/** The call of an attempt: its label, and what it ends with at the deadline. */
function call(deadlineError: unknown = new Error('deadline')) {
  const deadlines: number[] = [];
  const guarded: GuardedCall = {
    label: () => 'Agent.ask',
    endAtDeadline: (n) => {
      deadlines.push(n);
      return new FinalOutcome(deadlineError);
    },
  };
  return { deadlines, guarded };
}

/** Whether `signal` has an `abort` listener (counted through add/remove). */
function listenerCount(signal: AbortSignal) {
  let count = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, ...rest: [EventListener, AddEventListenerOptions?]) => {
    if (type === 'abort') count++;
    add(type, ...rest);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, ...rest: [EventListener, EventListenerOptions?]) => {
    if (type === 'abort') count--;
    remove(type, ...rest);
  }) as typeof signal.removeEventListener;
  return () => count;
}

describe('guardAttempt', () => {
  it('watches nothing when there is no timeout, deadline or signal', () => {
    expect(guardAttempt(attempt().ctx, call().guarded, undefined, undefined, undefined)).toBeUndefined();
  });

  it('stops the attempt at exactly attemptTimeoutMs with an AttemptTimeoutError, and aborts its signal with it', async () => {
    const { ctx, aborts } = attempt();
    const guard = guardAttempt(ctx, call().guarded, undefined, 200, undefined)!;
    const stopped = track(guard.stopped);
    await jest.advanceTimersByTimeAsync(199);
    expect([stopped.settled, guard.fired]).toEqual([false, false]);
    await jest.advanceTimersByTimeAsync(1);
    expect(stopped.settled).toBe(true);
    expect(guard.fired).toBe(true);
    expect(stopped.error).toBeInstanceOf(AttemptTimeoutError);
    expect(stopped.error).toMatchObject({ method: 'Agent.ask', attemptTimeoutMs: 200 });
    expect(aborts).toEqual([stopped.error]);
  });

  it("stops the attempt at the call's deadline with the call's outcome, and aborts its signal with its error", async () => {
    const { ctx, aborts } = attempt(3);
    const deadlineError = new Error('the deadline came');
    const { guarded, deadlines } = call(deadlineError);
    const guard = guardAttempt(ctx, guarded, undefined, undefined, NOW + 500)!;
    const stopped = track(guard.stopped);
    await jest.advanceTimersByTimeAsync(499);
    expect(stopped.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(stopped.error).toBeInstanceOf(FinalOutcome);
    expect((stopped.error as FinalOutcome).error).toBe(deadlineError);
    expect(deadlines).toEqual([3]);
    expect(aborts).toEqual([deadlineError]);
    expect(guard.fired).toBe(true);
  });

  it('a deadline already past stops the attempt on the next timer turn', async () => {
    const guard = guardAttempt(attempt().ctx, call().guarded, undefined, undefined, NOW - 1000)!;
    const stopped = track(guard.stopped);
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped.error).toBeInstanceOf(FinalOutcome);
  });

  it("the caller's abort stops the attempt at once with its reason (final), and aborts the attempt's signal", async () => {
    const { ctx, aborts } = attempt();
    const controller = new AbortController();
    const guard = guardAttempt(ctx, call().guarded, controller.signal, 10_000, NOW + 10_000)!;
    const stopped = track(guard.stopped);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await Promise.resolve();
    expect(stopped.error).toBeInstanceOf(FinalOutcome);
    expect((stopped.error as FinalOutcome).error).toBe(reason);
    expect(aborts).toEqual([reason]);
    expect(guard.fired).toBe(true);
  });

  it('a signal already aborted stops the attempt at once, and arms no timer', async () => {
    const { ctx, aborts } = attempt();
    const reason = new Error('already');
    const guard = guardAttempt(ctx, call().guarded, AbortSignal.abort(reason), 100, NOW + 100)!;
    const stopped = track(guard.stopped);
    await Promise.resolve();
    expect((stopped.error as FinalOutcome).error).toBe(reason);
    expect(aborts).toEqual([reason]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('the earliest of the attempt timeout and the deadline wins', async () => {
    const timeoutFirst = track(guardAttempt(attempt().ctx, call().guarded, undefined, 100, NOW + 200)!.stopped);
    const deadlineFirst = track(guardAttempt(attempt().ctx, call().guarded, undefined, 300, NOW + 200)!.stopped);
    await jest.advanceTimersByTimeAsync(300);
    expect(timeoutFirst.error).toBeInstanceOf(AttemptTimeoutError);
    expect(deadlineFirst.error).toBeInstanceOf(FinalOutcome);
  });

  it('dispose leaves nothing behind: no timer, no listener on the caller signal; a later abort stops nothing', async () => {
    const controller = new AbortController();
    const listeners = listenerCount(controller.signal);
    const { ctx, aborts } = attempt();
    const guard = guardAttempt(ctx, call().guarded, controller.signal, 100, NOW + 200)!;
    expect(listeners()).toBe(1);
    expect(jest.getTimerCount()).toBe(2);
    guard.dispose();
    expect(listeners()).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    controller.abort(new Error('late'));
    await jest.advanceTimersByTimeAsync(500);
    expect(guard.fired).toBe(false);
    expect(aborts).toEqual([]);
  });

  it('a stop nobody awaits is not an unhandled rejection', async () => {
    jest.useRealTimers();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const guard = guardAttempt(attempt().ctx, call().guarded, undefined, 1, undefined)!;
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      while (!guard.fired) await turn();
      await turn();
      await turn();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});

describe('refuseWait', () => {
  const bounds = (deadlineMs: number | undefined, maxUpstreamWaitMs = 1000): WaitBounds => ({
    signal: undefined,
    deadlineMs,
    maxUpstreamWaitMs,
  });

  it('an upstream wait up to maxRetryAfterMs may start; longer is refused (cap)', () => {
    expect(refuseWait('cooldown', 1000, bounds(undefined), true, NOW)).toBeUndefined();
    const refusal = refuseWait('cooldown', 1001, bounds(undefined), true, NOW);
    expect(refusal).toBeInstanceOf(WaitRefusal);
    expect(refusal).toMatchObject({ kind: 'cooldown', bound: 'cap', waitMs: 1001 });
  });

  it('the cap applies only to waits the upstream dictates', () => {
    expect(refuseWait('bulkhead', 5000, bounds(undefined), false, NOW)).toBeUndefined();
  });

  it('a wait ending at the deadline may start; one ending after it is refused (deadline)', () => {
    expect(refuseWait('pacing', 500, bounds(NOW + 500), true, NOW)).toBeUndefined();
    expect(refuseWait('pacing', 501, bounds(NOW + 500), true, NOW)).toMatchObject({
      kind: 'pacing',
      bound: 'deadline',
      waitMs: 501,
    });
  });

  it('the cap is checked first', () => {
    expect(refuseWait('pacing', 2000, bounds(NOW + 100), true, NOW)).toMatchObject({ bound: 'cap' });
  });

  it('measures from now by default', () => {
    expect(refuseWait('probe', 100, bounds(NOW + 100), false)).toBeUndefined();
    expect(refuseWait('probe', 101, bounds(NOW + 100), false)).toMatchObject({ bound: 'deadline' });
  });

  it('WaitRefusal says which wait and which bound; isWaitRefusal knows it', () => {
    const refusal = new WaitRefusal('cold_start', 'deadline', undefined);
    expect(refusal.message).toBe('cold_start wait refused: deadline');
    expect(refusal.name).toBe('WaitRefusal');
    expect(isWaitRefusal(refusal)).toBe(true);
    expect(isWaitRefusal(new Error('cold_start wait refused: deadline'))).toBe(false);
    expect(isWaitRefusal(undefined)).toBe(false);
  });
});

describe('waitWithin: a wait of unknown length', () => {
  /** A wait that ends when told to, or rejects with the reason of the signal it was given. */
  function startable<T>(value: T) {
    const given: Array<AbortSignal | undefined> = [];
    let finish: () => void = () => undefined;
    const start = jest.fn((signal: AbortSignal | undefined) => {
      given.push(signal);
      return new Promise<T>((resolve, reject) => {
        finish = () => resolve(value);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    });
    return { start, given, finish: () => finish() };
  }

  it("rejects with the caller's reason without starting when the signal is already aborted", async () => {
    const { start } = startable('x');
    const reason = new Error('gone');
    const bounds: WaitBounds = { signal: AbortSignal.abort(reason), deadlineMs: NOW + 1000, maxUpstreamWaitMs: 0 };
    await expect(waitWithin('bulkhead', bounds, start)).rejects.toBe(reason);
    expect(start).not.toHaveBeenCalled();
  });

  it("without a deadline, the wait gets the caller's own signal", async () => {
    const { start, given, finish } = startable('slot');
    const signal = new AbortController().signal;
    const waiting = waitWithin('bulkhead', { signal, deadlineMs: undefined, maxUpstreamWaitMs: 0 }, start);
    expect(given).toEqual([signal]);
    finish();
    await expect(waiting).resolves.toBe('slot');
  });

  it('at or past the deadline, the wait is refused without starting', async () => {
    for (const deadlineMs of [NOW, NOW - 1]) {
      const { start } = startable('x');
      const refusal = waitWithin('probe', { signal: undefined, deadlineMs, maxUpstreamWaitMs: 0 }, start);
      await expect(refusal).rejects.toMatchObject({ kind: 'probe', bound: 'deadline', waitMs: undefined });
      expect(start).not.toHaveBeenCalled();
    }
  });

  it('is cut at exactly the deadline with a WaitRefusal', async () => {
    const { start } = startable('x');
    const waiting = track(
      waitWithin('cold_start', { signal: undefined, deadlineMs: NOW + 300, maxUpstreamWaitMs: 0 }, start).then(
        () => undefined,
      ),
    );
    await jest.advanceTimersByTimeAsync(299);
    expect(waiting.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(waiting.error).toBeInstanceOf(WaitRefusal);
    expect(waiting.error).toMatchObject({ kind: 'cold_start', bound: 'deadline' });
  });

  it("the caller's abort ends it with the caller's reason", async () => {
    const { start } = startable('x');
    const controller = new AbortController();
    const waiting = track(
      waitWithin('bulkhead', { signal: controller.signal, deadlineMs: NOW + 5000, maxUpstreamWaitMs: 0 }, start).then(
        () => undefined,
      ),
    );
    const reason = new Error('caller');
    controller.abort(reason);
    await jest.advanceTimersByTimeAsync(0);
    expect(waiting.error).toBe(reason);
  });

  it('once the wait ends, its timer and its listener on the caller signal are gone', async () => {
    const { start, finish } = startable('slot');
    const controller = new AbortController();
    const listeners = listenerCount(controller.signal);
    const waiting = waitWithin(
      'bulkhead',
      { signal: controller.signal, deadlineMs: NOW + 5000, maxUpstreamWaitMs: 0 },
      start,
    );
    expect(listeners()).toBe(1);
    finish();
    await expect(waiting).resolves.toBe('slot');
    expect(listeners()).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it.each<[string, (error: Error) => () => Promise<unknown>]>([
    ['a wait that fails', (error) => () => Promise.reject(error)],
    [
      'a start that throws',
      (error) => () => {
        throw error;
      },
    ],
  ])('%s rejects with its error, leaving no timer or listener', async (_label, makeStart) => {
    const controller = new AbortController();
    const listeners = listenerCount(controller.signal);
    const error = new Error('cannot queue');
    const waiting = waitWithin(
      'bulkhead',
      { signal: controller.signal, deadlineMs: NOW + 5000, maxUpstreamWaitMs: 0 },
      makeStart(error),
    );
    await expect(waiting).rejects.toBe(error);
    expect(listeners()).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('untilAborted', () => {
  it('without a signal it is the promise itself', () => {
    const promise = Promise.resolve(1);
    expect(untilAborted(promise, undefined)).toBe(promise);
  });

  it('an aborted signal rejects at once with its reason', async () => {
    const reason = new Error('gone');
    await expect(untilAborted(new Promise(() => undefined), AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it('rejects with the reason as soon as the signal aborts, before the promise settles', async () => {
    const controller = new AbortController();
    const waiting = track(untilAborted(new Promise<void>(() => undefined), controller.signal));
    const reason = new Error('caller');
    controller.abort(reason);
    await Promise.resolve();
    expect(waiting).toEqual({ settled: true, error: reason });
  });

  it('settles as the promise does, and stops listening to the signal either way', async () => {
    const resolved = new AbortController();
    const resolvedListeners = listenerCount(resolved.signal);
    await expect(untilAborted(Promise.resolve('value'), resolved.signal)).resolves.toBe('value');
    expect(resolvedListeners()).toBe(0);

    const rejected = new AbortController();
    const rejectedListeners = listenerCount(rejected.signal);
    const error = new Error('failed');
    await expect(untilAborted(Promise.reject(error), rejected.signal)).rejects.toBe(error);
    expect(rejectedListeners()).toBe(0);
  });
});

describe('the timeout errors', () => {
  it('AttemptTimeoutError names the method and the timeout', () => {
    const error = new AttemptTimeoutError('Agent.ask', 250);
    expect(error.message).toBe('Agent.ask: attempt exceeded its timeout of 250 ms');
    expect(error).toMatchObject({ name: 'AttemptTimeoutError', method: 'Agent.ask', attemptTimeoutMs: 250 });
    expect(isAttemptTimeoutError(error)).toBe(true);
    expect(isAttemptTimeoutError({ ...error })).toBe(true);
    expect(isRetryTimeoutError(error)).toBe(false);
  });

  it('RetryTimeoutError names the method and the total timeout', () => {
    const error = new RetryTimeoutError('Agent.ask', 30_000);
    expect(error.message).toBe('Agent.ask did not complete within its total timeout of 30000 ms');
    expect(error).toMatchObject({ name: 'RetryTimeoutError', method: 'Agent.ask', totalTimeoutMs: 30_000 });
    expect(isRetryTimeoutError(error)).toBe(true);
    expect(isRetryTimeoutError({ ...error })).toBe(true);
    expect(isAttemptTimeoutError(error)).toBe(false);
  });

  it('neither guard takes a plain error or nothing', () => {
    for (const value of [new Error('timeout'), null, undefined, 'AttemptTimeoutError']) {
      expect(isAttemptTimeoutError(value)).toBe(false);
      expect(isRetryTimeoutError(value)).toBe(false);
    }
  });
});
