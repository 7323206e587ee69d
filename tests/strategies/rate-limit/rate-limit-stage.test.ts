import type { ErrorClassification } from '../../../src/classification/failure-kind';
import type { SharedStateStore } from '../../../src/ports/shared-state-store';
import { WaitRefusal } from '../../../src/strategies/bounded-wait';
import { ColdStartGate } from '../../../src/strategies/rate-limit/cold-start';
import { KeyCooldown, MAX_COOLDOWN_MS } from '../../../src/strategies/rate-limit/cooldown';
import { RateLimitStage, type RateLimitedKey } from '../../../src/strategies/rate-limit/rate-limit-stage';
import { KeyPacing } from '../../../src/strategies/rate-limit/request-pacing';
import type { AttemptFailure } from '../../../src/strategies/stage';
import { FakeCall, NOW, recordingStore, track } from '../support';

const KEY = 'openai';

/** A key with real per-key state, wired as the engine's Upstream wires it. */
function makeKey(store?: SharedStateStore): RateLimitedKey {
  const key: RateLimitedKey = {
    key: KEY,
    store: () => store,
    cooldown: new KeyCooldown((untilMs) => key.pacing.limiter?.pause(untilMs, Date.now())),
    coldStart: new ColdStartGate(
      () => store !== undefined,
      () => key.pacing.limiter !== undefined,
    ),
    pacing: new KeyPacing({ key: KEY, store: () => store }, () => key.coldStart.warmUp()),
  };
  return key;
}

/** A key whose cold start is over (an attempt on it has ended). */
function warmKey(store?: SharedStateStore): RateLimitedKey {
  const key = makeKey(store);
  key.coldStart.warmUp();
  return key;
}

function failure(classification: Partial<ErrorClassification>, headers?: unknown): AttemptFailure {
  return {
    error: new Error('upstream failed'),
    classification: { kind: 'rate_limit', retryable: true, reason: 'status 429', ...classification },
    headers,
    decision: { retry: false, reason: 'not_retryable' },
  };
}

const noSpread = () => 0;
const fullSpread = () => 0.999_999;

beforeEach(() => {
  jest.useFakeTimers();
  jest.setSystemTime(NOW);
});

afterEach(() => {
  jest.useRealTimers();
});

describe('RateLimitStage before an attempt', () => {
  it('lets the attempt go at once (no promise) on a warm key with no cooldown and no limiter', () => {
    const stage = new RateLimitStage(warmKey(), true, noSpread);
    expect(stage.beforeAttempt(new FakeCall())).toBeUndefined();
  });

  it('lets the attempt go at once on a fresh key without a store once holdsAttempts has looked at it', () => {
    const key = makeKey();
    const stage = new RateLimitStage(key, true, noSpread);
    expect(stage.holdsAttempts(Date.now())).toBe(false);
    expect(stage.beforeAttempt(new FakeCall())).toBeUndefined();
  });

  it('waits for the key cooldown, then lets the attempt go', async () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 1000);
    const stage = new RateLimitStage(key, true, noSpread);

    const waiting = stage.beforeAttempt(new FakeCall());
    expect(waiting).toBeInstanceOf(Promise);
    const state = track(waiting!);
    await jest.advanceTimersByTimeAsync(999);
    expect(state.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(state).toEqual({ settled: true, error: undefined });
  });

  it('adds a spread to the cooldown wait, but never beyond the cap (maxUpstreamWaitMs)', async () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 1000);
    // A full spread would be min(50, 10% of 1000) = 50 ms: the cap of 1020 ms cuts it to 20.
    const call = new FakeCall({ signal: undefined, deadlineMs: undefined, maxUpstreamWaitMs: 1020 });
    const state = track(new RateLimitStage(key, true, fullSpread).beforeAttempt(call)!);

    await jest.advanceTimersByTimeAsync(1019);
    expect(state.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(state).toEqual({ settled: true, error: undefined });
  });

  it('adds the spread when the cap leaves room for it', async () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 1000);
    const state = track(new RateLimitStage(key, true, fullSpread).beforeAttempt(new FakeCall())!);

    await jest.advanceTimersByTimeAsync(1049);
    expect(state.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(state).toEqual({ settled: true, error: undefined });
  });

  it('keeps the spread before the deadline', async () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 1000);
    const call = new FakeCall({ signal: undefined, deadlineMs: NOW + 1010, maxUpstreamWaitMs: 60_000 });
    const state = track(new RateLimitStage(key, true, fullSpread).beforeAttempt(call)!);

    await jest.advanceTimersByTimeAsync(1009);
    expect(state.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(state).toEqual({ settled: true, error: undefined });
  });

  it('refuses at once a cooldown longer than maxUpstreamWaitMs (WaitRefusal cooldown/cap)', async () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 5000);
    const call = new FakeCall({ signal: undefined, deadlineMs: undefined, maxUpstreamWaitMs: 4999 });

    const state = track(new RateLimitStage(key, true, noSpread).beforeAttempt(call)!);
    // Refused without sleeping: settled before any time passes, with no timer started.
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(0);

    expect(state.settled).toBe(true);
    expect(state.error).toBeInstanceOf(WaitRefusal);
    expect(state.error).toMatchObject({ kind: 'cooldown', bound: 'cap', waitMs: 5000 });
  });

  it('refuses at once a cooldown that ends after the deadline (WaitRefusal cooldown/deadline)', async () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 5000);
    const call = new FakeCall({ signal: undefined, deadlineMs: NOW + 4000, maxUpstreamWaitMs: 60_000 });

    const state = track(new RateLimitStage(key, true, noSpread).beforeAttempt(call)!);
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(0);

    expect(state.settled).toBe(true);
    expect(state.error).toBeInstanceOf(WaitRefusal);
    expect(state.error).toMatchObject({ kind: 'cooldown', bound: 'deadline', waitMs: 5000 });
  });

  it("rejects with the caller's abort reason when the caller aborts during the cooldown", async () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 10_000);
    const controller = new AbortController();
    const call = new FakeCall({ signal: controller.signal, deadlineMs: undefined, maxUpstreamWaitMs: 60_000 });
    const state = track(new RateLimitStage(key, true, noSpread).beforeAttempt(call)!);

    await jest.advanceTimersByTimeAsync(3000);
    expect(state.settled).toBe(false);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await jest.advanceTimersByTimeAsync(0);

    expect(state).toEqual({ settled: true, error: reason });
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('RateLimitStage and the caller abort', () => {
  it('rejects with the abort reason, not a refusal, when the caller has aborted and the cooldown is beyond the cap', async () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 3_600_000);
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    const call = new FakeCall({ signal: controller.signal, deadlineMs: undefined, maxUpstreamWaitMs: 60_000 });
    await expect(new RateLimitStage(key, true, noSpread).beforeAttempt(call)).rejects.toBe(reason);
  });
});

describe('RateLimitStage after a failed attempt', () => {
  it("sets the key's cooldown from a 429's Retry-After and shares it with the store", () => {
    const store = recordingStore();
    const key = warmKey(store);
    const stage = new RateLimitStage(key, true, noSpread);

    stage.afterFailure(new FakeCall(), failure({ kind: 'rate_limit', retryAfterMs: 2000 }));

    expect(key.cooldown.untilMs).toBe(NOW + 2000);
    expect(store.shareCooldown).toHaveBeenCalledTimes(1);
    expect(store.shareCooldown).toHaveBeenCalledWith(KEY, NOW + 2000);
  });

  it('makes the next attempt of another call on the key wait for that cooldown', () => {
    const key = warmKey();
    new RateLimitStage(key, true, noSpread).afterFailure(new FakeCall(), failure({ retryAfterMs: 2000 }));
    expect(new RateLimitStage(key, true, noSpread).beforeAttempt(new FakeCall())).toBeInstanceOf(Promise);
  });

  it('keeps a Retry-After longer than the call cap on the key (each call decides with its own cap)', () => {
    const key = warmKey();
    new RateLimitStage(key, true, noSpread).afterFailure(new FakeCall(), failure({ retryAfterMs: 120_000 }));
    expect(key.cooldown.untilMs).toBe(NOW + 120_000);
  });

  it('keeps a later cooldown already set rather than shortening it', () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 10_000);
    new RateLimitStage(key, true, noSpread).afterFailure(new FakeCall(), failure({ retryAfterMs: 2000 }));
    expect(key.cooldown.untilMs).toBe(NOW + 10_000);
  });

  it('sets no cooldown when the call does not respect Retry-After', () => {
    const store = recordingStore();
    const key = warmKey(store);
    new RateLimitStage(key, false, noSpread).afterFailure(new FakeCall(), failure({ retryAfterMs: 2000 }));

    expect(key.cooldown.untilMs).toBe(0);
    expect(store.shareCooldown).not.toHaveBeenCalled();
  });

  it.each([
    ['beyond a day', MAX_COOLDOWN_MS + 1],
    ['negative', -1],
    ['NaN', Number.NaN],
  ])('does not believe a Retry-After %s', (_label, retryAfterMs) => {
    const store = recordingStore();
    const key = warmKey(store);
    new RateLimitStage(key, true, noSpread).afterFailure(new FakeCall(), failure({ retryAfterMs }));

    expect(key.cooldown.untilMs).toBe(0);
    expect(store.shareCooldown).not.toHaveBeenCalled();
  });

  it('takes a Retry-After of exactly a day', () => {
    const key = warmKey();
    new RateLimitStage(key, true, noSpread).afterFailure(new FakeCall(), failure({ retryAfterMs: MAX_COOLDOWN_MS }));
    expect(key.cooldown.untilMs).toBe(NOW + MAX_COOLDOWN_MS);
  });

  it('sets no cooldown for a 429 without Retry-After, nor for another failure with one', () => {
    const store = recordingStore();
    const key = warmKey(store);
    const stage = new RateLimitStage(key, true, noSpread);
    stage.afterFailure(new FakeCall(), failure({ kind: 'rate_limit', retryAfterMs: undefined }));
    stage.afterFailure(new FakeCall(), failure({ kind: 'server', reason: 'status 503', retryAfterMs: 2000 }));

    expect(key.cooldown.untilMs).toBe(0);
    expect(store.shareCooldown).not.toHaveBeenCalled();
  });

  it('still sets the cooldown when the store throws', () => {
    const store = recordingStore();
    store.shareCooldown.mockImplementation(() => {
      throw new Error('redis down');
    });
    const key = warmKey(store);

    expect(() =>
      new RateLimitStage(key, true, noSpread).afterFailure(new FakeCall(), failure({ retryAfterMs: 2000 })),
    ).not.toThrow();
    expect(key.cooldown.untilMs).toBe(NOW + 2000);
  });

  it("creates the key's limiter from rate-limit headers and shares the limit", () => {
    const store = recordingStore();
    const key = makeKey(store);
    const stage = new RateLimitStage(key, true, noSpread);
    expect(key.pacing.limiter).toBeUndefined();

    stage.afterFailure(
      new FakeCall(),
      failure({ kind: 'server', reason: 'status 500' }, { 'x-ratelimit-limit-requests': '600' }),
    );

    expect(key.pacing.limiter).toBeDefined();
    // 600 per minute, paced at 97% of it.
    expect(key.pacing.limiter!.snapshot().targetRatePerSecond).toBeCloseTo(9.7);
    expect(store.shareRateLimit).toHaveBeenCalledWith(KEY, 600);
    // Knowing the limit ends the cold start.
    expect(key.coldStart.warm).toBe(true);
  });

  it('creates no limiter from headers that do not tell the request limit', () => {
    const key = warmKey();
    new RateLimitStage(key, true, noSpread).afterFailure(
      new FakeCall(),
      failure({ kind: 'server' }, { 'x-ratelimit-remaining-requests': '3' }),
    );
    expect(key.pacing.limiter).toBeUndefined();
  });

  it("pauses the key's limiter until the Retry-After of a 429", () => {
    const key = warmKey();
    const stage = new RateLimitStage(key, true, noSpread);
    stage.afterFailure(new FakeCall(), failure({ retryAfterMs: 3000 }, { 'x-ratelimit-limit-requests': '600' }));
    expect(key.pacing.limiter!.snapshot().pausedUntilMs).toBe(NOW + 3000);
  });

  it.each([
    ['a Retry-After of three days (not believed)', true, 3 * 86_400_000],
    ['a Retry-After the call does not respect', false, 120_000],
  ])("does not pause the key's limiter for %s", async (_name, respectRetryAfter, retryAfterMs) => {
    const key = warmKey();
    const stage = new RateLimitStage(key, respectRetryAfter, noSpread);
    stage.afterFailure(new FakeCall(), failure({ retryAfterMs }, { 'x-ratelimit-limit-requests': '600' }));
    // At most the limiter's own short pause after a 429 (no Retry-After believed).
    expect(key.pacing.limiter!.snapshot().pausedUntilMs).toBeLessThan(NOW + 1000);
    expect(key.cooldown.untilMs).toBe(0);
    // The next call is paced, not refused for days.
    const next = track(new RateLimitStage(key, true, noSpread).beforeAttempt(new FakeCall())!);
    await jest.advanceTimersByTimeAsync(1000);
    expect(next).toEqual({ settled: true, error: undefined });
  });

  it('ends the cold start of the key, whatever the failure', () => {
    const key = makeKey(recordingStore());
    expect(key.coldStart.isCold()).toBe(true);
    new RateLimitStage(key, true, noSpread).afterFailure(
      new FakeCall(),
      failure({ kind: 'bad_request', retryable: false }),
    );
    expect(key.coldStart.warm).toBe(true);
  });
});

describe('RateLimitStage decisions', () => {
  it('a cold key shared through a store sends its first attempt alone: the next waits until it ends', async () => {
    const key = makeKey(recordingStore());
    const first = new RateLimitStage(key, true, noSpread);
    const firstTurn = track(first.beforeAttempt(new FakeCall())!);
    const secondTurn = track(new RateLimitStage(key, true, noSpread).beforeAttempt(new FakeCall())!);
    await jest.advanceTimersByTimeAsync(0);
    expect(firstTurn).toEqual({ settled: true, error: undefined });
    expect(secondTurn.settled).toBe(false);
    first.afterSuccess();
    await jest.advanceTimersByTimeAsync(0);
    expect(secondTurn).toEqual({ settled: true, error: undefined });
  });

  it('a pacing wait longer than maxUpstreamWaitMs is refused (WaitRefusal pacing/cap), not waited for', async () => {
    const key = warmKey();
    key.pacing.observeResponse({ 'x-ratelimit-limit-requests': '600' });
    key.pacing.limiter!.onRateLimited(120_000, NOW);
    const call = new FakeCall({ signal: undefined, deadlineMs: undefined, maxUpstreamWaitMs: 60_000 });
    const turn = track(new RateLimitStage(key, true, noSpread).beforeAttempt(call)!);
    await jest.advanceTimersByTimeAsync(0);
    expect(turn.settled).toBe(true);
    expect(turn.error).toBeInstanceOf(WaitRefusal);
    expect(turn.error).toMatchObject({ kind: 'pacing', bound: 'cap' });
  });

  it('a failure other than a rate limit leaves the pacing as it was', () => {
    const key = warmKey();
    key.pacing.observeResponse({ 'x-ratelimit-limit-requests': '600' });
    const before = key.pacing.limiter!.snapshot();
    new RateLimitStage(key, true, noSpread).afterFailure(
      new FakeCall(),
      failure({ kind: 'server', reason: 'status 503', retryAfterMs: 2000 }),
    );
    expect(key.pacing.limiter!.snapshot()).toEqual(before);
    expect(key.cooldown.untilMs).toBe(0);
  });

  it('a 429 with Retry-After 0 is believed: a cooldown ending now, shared with the store', () => {
    const store = recordingStore();
    const key = warmKey(store);
    new RateLimitStage(key, true, noSpread).afterFailure(new FakeCall(), failure({ retryAfterMs: 0 }));
    expect(store.shareCooldown.mock.calls).toEqual([[KEY, NOW]]);
  });

  it('a cooldown that is over neither waits nor refuses, even for a call past its deadline', async () => {
    const key = makeKey(recordingStore());
    key.cooldown.extend(NOW);
    const call = new FakeCall({ signal: undefined, deadlineMs: NOW - 1, maxUpstreamWaitMs: 60_000 });
    const turn = track(new RateLimitStage(key, true, noSpread).beforeAttempt(call)!);
    await jest.advanceTimersByTimeAsync(0);
    expect(turn).toEqual({ settled: true, error: undefined });
  });
});

describe('RateLimitStage: what changed while the call waited', () => {
  /** A warm key that just learned 60/min: its next slot is about 1 s away. */
  function pacedKey(): RateLimitedKey {
    const key = warmKey();
    key.pacing.observeResponse({ 'x-ratelimit-limit-requests': '60' });
    return key;
  }

  it('lastLook: pacing learned after the stage let the attempt go (it then sat in the bulkhead queue) gives it a slot first', async () => {
    const key = warmKey();
    const stage = new RateLimitStage(key, true, noSpread);
    const call = new FakeCall();
    expect(stage.beforeAttempt(call)).toBeUndefined();
    // Meanwhile another attempt's response teaches the limit.
    key.pacing.observeResponse({ 'x-ratelimit-limit-requests': '60' });

    const look = stage.lastLook(call);
    expect(look).toBeInstanceOf(Promise);
    const turn = track(look!);
    await jest.advanceTimersByTimeAsync(500);
    expect(turn.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1000);
    expect(turn).toEqual({ settled: true, error: undefined });
    // Its slot taken, the next look lets it go.
    expect(stage.lastLook(call)).toBeUndefined();
  });

  it("lastLook on a cold key (with a store): the attempt that claimed the key's first attempt does not wait at the gate for itself", async () => {
    const key = makeKey(recordingStore());
    const stage = new RateLimitStage(key, true, noSpread);
    const call = new FakeCall();
    const first = track(stage.beforeAttempt(call)!);
    await jest.advanceTimersByTimeAsync(0);
    expect(first).toEqual({ settled: true, error: undefined }); // it goes first: the key stays cold
    key.cooldown.extend(Date.now() + 200); // heard while it sat in the bulkhead queue

    const look = track(stage.lastLook(call)!);
    await jest.advanceTimersByTimeAsync(250);
    expect(look).toEqual({ settled: true, error: undefined }); // not the gate's 1 s
  });

  it('lastLook: a pacing slot that aged past one interval while the attempt sat in a queue is spent: a new one is taken', async () => {
    const key = pacedKey();
    const stage = new RateLimitStage(key, true, noSpread);
    const call = new FakeCall();
    const turn = track(stage.beforeAttempt(call)!);
    await jest.advanceTimersByTimeAsync(1100);
    expect(turn).toEqual({ settled: true, error: undefined });
    // Right after its own wait, the slot is fresh: nothing more to wait for.
    expect(stage.lastLook(call)).toBeUndefined();
    // Then the bulkhead queue holds it for seconds; another caller has just taken a slot.
    await jest.advanceTimersByTimeAsync(3000);
    key.pacing.limiter!.acquire(Date.now());
    const look = stage.lastLook(call);
    expect(look).toBeInstanceOf(Promise);
    const again = track(look!);
    await jest.advanceTimersByTimeAsync(500);
    expect(again.settled).toBe(false); // it goes one interval after the other, not with it
    await jest.advanceTimersByTimeAsync(1000);
    expect(again).toEqual({ settled: true, error: undefined });
  });

  it('lastLook: nothing changed, nothing to wait for', () => {
    const stage = new RateLimitStage(warmKey(), true, noSpread);
    const call = new FakeCall();
    expect(stage.beforeAttempt(call)).toBeUndefined();
    expect(stage.lastLook(call)).toBeUndefined();
  });

  it('a cooldown heard while calls wait for pacing slots (from a replica): it pauses the pacing; they go after it in their order, one per interval, not all at once', async () => {
    const key = pacedKey();
    const first = track(new RateLimitStage(key, true, noSpread).beforeAttempt(new FakeCall())!);
    const second = track(new RateLimitStage(key, true, noSpread).beforeAttempt(new FakeCall())!);
    await jest.advanceTimersByTimeAsync(500);
    key.cooldown.extend(Date.now() + 3000); // until NOW + 3500: both slots (~1 s, ~2 s) fall due within it
    await jest.advanceTimersByTimeAsync(2999);
    expect([first.settled, second.settled]).toEqual([false, false]);
    await jest.advanceTimersByTimeAsync(1);
    expect(first).toEqual({ settled: true, error: undefined });
    expect(second.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1100);
    expect(second).toEqual({ settled: true, error: undefined });
  });

  it('a cooldown heard while waiting for a pacing slot, beyond the cap: refused (WaitRefusal cooldown/cap), not sent', async () => {
    const key = pacedKey();
    const turn = track(new RateLimitStage(key, true, noSpread).beforeAttempt(new FakeCall())!);
    await jest.advanceTimersByTimeAsync(500);
    key.cooldown.extend(Date.now() + 3_600_000);
    await jest.advanceTimersByTimeAsync(1000); // the slot falls due: the cooldown is read then
    expect(turn.settled).toBe(true);
    expect(turn.error).toMatchObject({ kind: 'cooldown', bound: 'cap' });
  });
});

describe('RateLimitStage.holdsAttempts', () => {
  it('is false for a key with no cooldown, no limiter and no store', () => {
    expect(new RateLimitStage(makeKey(), true, noSpread).holdsAttempts(NOW)).toBe(false);
  });

  it('is true while the key cools down, false once the cooldown is over', () => {
    const key = warmKey();
    key.cooldown.extend(NOW + 1000);
    const stage = new RateLimitStage(key, true, noSpread);
    expect(stage.holdsAttempts(NOW)).toBe(true);
    expect(stage.holdsAttempts(NOW + 999)).toBe(true);
    expect(stage.holdsAttempts(NOW + 1000)).toBe(false);
  });

  it('is true once the key has a limiter', () => {
    const key = warmKey();
    const stage = new RateLimitStage(key, true, noSpread);
    stage.afterFailure(new FakeCall(), failure({ kind: 'server' }, { 'x-ratelimit-limit-requests': '600' }));
    expect(stage.holdsAttempts(NOW)).toBe(true);
  });

  it('is true for a cold key shared through a store, until an attempt ends', () => {
    const key = makeKey(recordingStore());
    const stage = new RateLimitStage(key, true, noSpread);
    expect(stage.holdsAttempts(NOW)).toBe(true);
    stage.afterSuccess();
    expect(stage.holdsAttempts(NOW)).toBe(false);
  });
});
