// Decisions of the rate-limit strategy's smaller parts, each pinned down by a test that fails
// when the decision changes (mutation testing: npm run test:mutation -- rate-limit):
// - UpstreamThrottledError: what its message says (which wait, how long, what bounded it);
// - the cold-start gate: who waits, for how long, and what an abort does;
// - a key's request pacing: when a limit starts pacing, what is shared with other replicas
//   and what is not, and which values heard from them are refused.
import type { SharedStateStore } from '../../../src/ports/shared-state-store';
import { COLD_START_MAX_WAIT_MS, ColdStartGate } from '../../../src/strategies/rate-limit/cold-start';
import { KeyPacing } from '../../../src/strategies/rate-limit/request-pacing';
import {
  isUpstreamThrottledError,
  UpstreamThrottledError,
} from '../../../src/strategies/rate-limit/upstream-throttled-error';
import { NOW, recordingStore, track } from '../support';

beforeEach(() => {
  jest.useFakeTimers();
  jest.setSystemTime(NOW);
});

afterEach(() => {
  jest.useRealTimers();
});

describe('UpstreamThrottledError', () => {
  it.each<[string, () => UpstreamThrottledError, string]>([
    [
      'a cooldown beyond maxRetryAfterMs',
      () => new UpstreamThrottledError('Agent.ask', 'cooldown', 60_000, { maxRetryAfterMs: 5000 }),
      'Agent.ask was not attempted: the upstream asked to wait 60 s, beyond maxRetryAfterMs (5 s)',
    ],
    [
      'pacing beyond the deadline',
      () => new UpstreamThrottledError('Agent.ask', 'pacing', 850, { deadlineLeftMs: 400 }),
      "Agent.ask was not attempted: pacing to the upstream's rate limit would wait 850 ms, beyond its deadline (400 ms left of totalTimeoutMs)",
    ],
    [
      'the cold start beyond the deadline',
      () => new UpstreamThrottledError('pipeline openai', 'cold_start', 1000, { deadlineLeftMs: 999 }),
      "pipeline openai was not attempted: the key's cold start would wait 1 s, beyond its deadline (999 ms left of totalTimeoutMs)",
    ],
    [
      'whole seconds from one second on, rounded',
      () => new UpstreamThrottledError('A.b', 'cooldown', 1499, { maxRetryAfterMs: 1500 }),
      'A.b was not attempted: the upstream asked to wait 1 s, beyond maxRetryAfterMs (2 s)',
    ],
    [
      'a deadline already passed reads 0 ms',
      () => new UpstreamThrottledError('A.b', 'pacing', 20, { deadlineLeftMs: -35 }),
      "A.b was not attempted: pacing to the upstream's rate limit would wait 20 ms, beyond its deadline (0 ms left of totalTimeoutMs)",
    ],
  ])('%s', (_label, make, message) => {
    expect(make().message).toBe(message);
  });

  it('carries the method, the wait and its reason, and is a rate limit', () => {
    const error = new UpstreamThrottledError('Agent.ask', 'pacing', 2500, { deadlineLeftMs: 100 });
    expect(error).toMatchObject({
      name: 'UpstreamThrottledError',
      method: 'Agent.ask',
      reason: 'pacing',
      retryAfterMs: 2500,
      kind: 'rate_limit',
    });
    expect(error).toBeInstanceOf(Error);
  });

  it('is recognised by its brand, also from another copy of the library', () => {
    const error = new UpstreamThrottledError('A.b', 'cooldown', 10, { maxRetryAfterMs: 5 });
    expect(isUpstreamThrottledError(error)).toBe(true);
    expect(isUpstreamThrottledError({ ...error })).toBe(true);
    expect(isUpstreamThrottledError(new Error('x'))).toBe(false);
    expect(isUpstreamThrottledError(null)).toBe(false);
    expect(isUpstreamThrottledError(undefined)).toBe(false);
    expect(isUpstreamThrottledError(Object.assign({}, { kind: 'rate_limit', retryAfterMs: 10 }))).toBe(false);
  });
});

describe('ColdStartGate', () => {
  /** A gate whose key is shared (or not) and paced (or not), switchable during a test. */
  function gate(options: { shared?: boolean; paced?: boolean } = {}) {
    const state = { shared: options.shared ?? true, paced: options.paced ?? false };
    return {
      state,
      gate: new ColdStartGate(
        () => state.shared,
        () => state.paced,
      ),
    };
  }

  it('the first attempt of a cold shared key goes; the next ones wait', () => {
    const { gate: g } = gate();
    expect(g.mustWait()).toBe(false);
    expect(g.mustWait()).toBe(true);
    expect(g.mustWait()).toBe(true);
  });

  it('nobody waits without a store, nor on a paced key, nor once warm', () => {
    const unshared = gate({ shared: false }).gate;
    expect([unshared.mustWait(), unshared.mustWait()]).toEqual([false, false]);
    const paced = gate({ paced: true }).gate;
    expect([paced.mustWait(), paced.mustWait()]).toEqual([false, false]);
    const warm = gate().gate;
    warm.warmUp();
    expect([warm.mustWait(), warm.mustWait()]).toEqual([false, false]);
    // Nothing was armed for any of them.
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a key that became paced while its first attempt runs lets the others go', () => {
    const { gate: g, state } = gate();
    expect(g.mustWait()).toBe(false);
    state.paced = true;
    expect(g.mustWait()).toBe(false);
  });

  it('the waiting attempts go when the first one ends (warmUp), and the timer is cleared', async () => {
    const { gate: g } = gate();
    g.mustWait();
    expect(g.mustWait()).toBe(true);
    const first = track(g.whenWarm(undefined));
    const second = track(g.whenWarm(undefined));
    await Promise.resolve();
    expect([first.settled, second.settled]).toEqual([false, false]);
    g.warmUp();
    await Promise.resolve();
    expect([first, second]).toEqual([
      { settled: true, error: undefined },
      { settled: true, error: undefined },
    ]);
    expect(g.warm).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it(`the waiting attempts go after ${COLD_START_MAX_WAIT_MS} ms at the most`, async () => {
    const { gate: g } = gate();
    g.mustWait();
    const waiting = track(g.whenWarm(undefined));
    await jest.advanceTimersByTimeAsync(COLD_START_MAX_WAIT_MS - 1);
    expect(waiting.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(waiting).toEqual({ settled: true, error: undefined });
    expect(g.warm).toBe(true);
  });

  it('whenWarm resolves at once when no first attempt is in flight', async () => {
    const { gate: g } = gate();
    const state = track(g.whenWarm(undefined));
    await Promise.resolve();
    expect(state).toEqual({ settled: true, error: undefined });
  });

  it("a waiting attempt whose caller aborts rejects with the caller's reason; the others still wait", async () => {
    const { gate: g } = gate();
    g.mustWait();
    const controller = new AbortController();
    const aborted = track(g.whenWarm(controller.signal));
    const other = track(g.whenWarm(undefined));
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await Promise.resolve();
    expect(aborted).toEqual({ settled: true, error: reason });
    expect(other.settled).toBe(false);
    g.warmUp();
    await Promise.resolve();
    expect(other).toEqual({ settled: true, error: undefined });
  });

  it('an already aborted signal rejects at once', async () => {
    const { gate: g } = gate();
    g.mustWait();
    const reason = new Error('already');
    const state = track(g.whenWarm(AbortSignal.abort(reason)));
    await Promise.resolve();
    expect(state).toEqual({ settled: true, error: reason });
  });

  it('isCold: true for a shared key with no known limit, until it warms up', () => {
    const { gate: g } = gate();
    expect(g.isCold()).toBe(true);
    expect(g.warm).toBe(false);
    g.warmUp();
    expect(g.isCold()).toBe(false);
  });

  it('isCold: a key without a store, or a paced one, is warm for good', () => {
    const unshared = gate({ shared: false });
    expect(unshared.gate.isCold()).toBe(false);
    expect(unshared.gate.warm).toBe(true);
    const paced = gate({ paced: true });
    expect(paced.gate.isCold()).toBe(false);
    expect(paced.gate.warm).toBe(true);
  });
});

describe('KeyPacing', () => {
  const KEY = 'openai:gpt-4o';

  function pacing(store?: SharedStateStore) {
    const limitKnown = jest.fn();
    return { limitKnown, pacing: new KeyPacing({ key: KEY, store: () => store }, limitKnown) };
  }

  const limitHeaders = (limit: string) => new Headers({ 'x-ratelimit-limit-requests': limit });

  it('the first request limit a response tells starts pacing, and is shared with the other replicas', () => {
    const store = recordingStore();
    const { pacing: p, limitKnown } = pacing(store);
    expect(p.limiter).toBeUndefined();
    p.observeResponse(limitHeaders('600'));
    expect(p.limiter?.snapshot().targetRatePerSecond).toBeCloseTo((600 / 60) * 0.97);
    expect(p.limitPerMinute).toBe(600);
    expect(limitKnown).toHaveBeenCalledTimes(1);
    expect(store.shareRateLimit.mock.calls).toEqual([[KEY, 600]]);
  });

  it('the same limit again is not shared again; a new one is, and pacing follows it', () => {
    const store = recordingStore();
    const { pacing: p, limitKnown } = pacing(store);
    p.observeResponse(limitHeaders('600'));
    const limiter = p.limiter;
    p.observeResponse(limitHeaders('600'));
    expect(store.shareRateLimit).toHaveBeenCalledTimes(1);
    p.observeResponse(limitHeaders('300'));
    expect(store.shareRateLimit.mock.calls).toEqual([
      [KEY, 600],
      [KEY, 300],
    ]);
    expect(p.limiter).toBe(limiter);
    expect(p.limiter?.snapshot().targetRatePerSecond).toBeCloseTo((300 / 60) * 0.97);
    expect(limitKnown).toHaveBeenCalledTimes(1);
  });

  it('headers without a request limit start nothing', () => {
    const store = recordingStore();
    const { pacing: p, limitKnown } = pacing(store);
    p.observeResponse(new Headers({ 'x-ratelimit-remaining-requests': '5' }));
    p.observeResponse(new Headers({ 'content-type': 'application/json' }));
    p.observeResponse(undefined);
    expect(p.limiter).toBeUndefined();
    expect(limitKnown).not.toHaveBeenCalled();
    expect(store.shareRateLimit).not.toHaveBeenCalled();
  });

  it('a limit heard from another replica paces from the first call, and is not echoed back', () => {
    const store = recordingStore();
    const { pacing: p, limitKnown } = pacing(store);
    p.adoptRateLimit(120);
    expect(p.limiter?.snapshot().targetRatePerSecond).toBeCloseTo((120 / 60) * 0.97);
    expect(p.limitPerMinute).toBe(120);
    expect(limitKnown).toHaveBeenCalledTimes(1);
    expect(store.shareRateLimit).not.toHaveBeenCalled();
  });

  it('a limit of exactly one request per minute is taken', () => {
    const { pacing: p } = pacing();
    p.adoptRateLimit(1);
    expect(p.limitPerMinute).toBe(1);
    expect(p.limiter).toBeDefined();
  });

  it.each([0, 0.5, -10, Number.NaN, Number.POSITIVE_INFINITY])(
    'a limit of %p heard from another replica is refused',
    (limit) => {
      const { pacing: p, limitKnown } = pacing();
      p.adoptRateLimit(limit);
      expect(p.limiter).toBeUndefined();
      expect(p.limitPerMinute).toBeUndefined();
      expect(limitKnown).not.toHaveBeenCalled();
    },
  );

  it('a replica count told before the limit applies once pacing starts; one told after applies at once', () => {
    const before = pacing().pacing;
    before.adoptReplicas(3);
    before.observeResponse(limitHeaders('600'));
    expect(before.limiter?.snapshot().replicas).toBe(3);

    const after = pacing().pacing;
    after.observeResponse(limitHeaders('600'));
    after.adoptReplicas(4);
    expect(after.limiter?.snapshot().replicas).toBe(4);
    after.adoptReplicas(1);
    expect(after.limiter?.snapshot().replicas).toBe(1);
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 53])('a replica count of %p is refused', (count) => {
    const { pacing: p } = pacing();
    p.observeResponse(limitHeaders('600'));
    p.adoptReplicas(2);
    p.adoptReplicas(count);
    expect(p.limiter?.snapshot().replicas).toBe(2);
  });

  it('announceActive tells the store that this process sends to the key', () => {
    const store = recordingStore();
    pacing(store).pacing.announceActive();
    expect(store.announceActive.mock.calls).toEqual([[KEY]]);
  });

  it('a store that throws never breaks a call: pacing still starts, announcing is silent', () => {
    const store = recordingStore();
    store.shareRateLimit.mockImplementation(() => {
      throw new Error('store down');
    });
    store.announceActive.mockImplementation(() => {
      throw new Error('store down');
    });
    const { pacing: p, limitKnown } = pacing(store);
    expect(() => p.observeResponse(limitHeaders('600'))).not.toThrow();
    expect(p.limiter).toBeDefined();
    expect(limitKnown).toHaveBeenCalledTimes(1);
    expect(() => p.announceActive()).not.toThrow();
  });

  it('without a store, nothing is shared and nothing throws', () => {
    const { pacing: p } = pacing();
    expect(() => p.announceActive()).not.toThrow();
    p.observeResponse(limitHeaders('60'));
    expect(p.limitPerMinute).toBe(60);
  });
});
