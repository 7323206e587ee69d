// The decisions of the adaptive limiter, pinned at their boundaries: option validation (which
// values are accepted, and the exact RangeError naming the option and its rule), the edges of
// the learned limit, remaining requests and tokens, when a 429 cuts the rate, how `schedule`
// consults `refuse` and gives a slot back, clock jumps (with callers waiting and a pause in
// force), and replicas. Most of these cases came out of mutation testing
// (npm run test:mutation -- rate-limit): each one fails when the decision it pins is changed.
import {
  AdaptiveRateLimiter,
  type AdaptiveRateLimiterOptions,
} from '../../../src/strategies/rate-limit/adaptive-rate-limiter';
import type { Sleep } from '../../../src/strategies/bounded-wait';
import { FakeClock } from './simulation';
import { acquireMany, exact, learned200 } from './limiters';

const HOUR_MS = 3_600_000;

/** Lets every pending promise continuation run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A clock the test sets by hand, and a sleep that records each wait and ends only when the test
 * calls `wake` (or rejects with the signal's reason when it aborts).
 */
function manualClock() {
  let time = 0;
  const sleeps: number[] = [];
  const pending: Array<() => void> = [];
  const sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      sleeps.push(ms);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      pending.push(resolve);
    });
  return {
    now: () => time,
    set: (ms: number) => {
      time = ms;
    },
    sleep,
    sleeps,
    /** Ends the oldest sleep and lets its caller run on. */
    wake: async () => {
      pending.shift()?.();
      await settle();
    },
  };
}

/** The error `new AdaptiveRateLimiter(options)` throws (fails when it does not throw). */
function constructionError(options: AdaptiveRateLimiterOptions): unknown {
  try {
    new AdaptiveRateLimiter(options);
  } catch (error) {
    return error;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

/** A rejected value as the message quotes it: a string in quotes, anything else as is. */
const shown = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

function expectRangeError(options: AdaptiveRateLimiterOptions, message: string): void {
  const error = constructionError(options);
  expect(error).toBeInstanceOf(RangeError);
  expect((error as RangeError).message).toBe(message);
}

describe('AdaptiveRateLimiter options: maxBurst (a positive integer)', () => {
  it.each([0, -1, 0.5, 1.5, Number.NaN, Infinity, -Infinity, 2 ** 53])(
    'rejects %p, naming the option and the value',
    (value) => {
      expectRangeError({ maxBurst: value }, `maxBurst must be a positive integer (received ${shown(value)})`);
    },
  );

  it('accepts 1: no burst, every caller one interval after the last', () => {
    const limiter = learned200({ maxBurst: 1 });
    expect(limiter.snapshot().burst).toBe(1);
    expect(acquireMany(limiter, 1000, 3)).toEqual([0, 5, 10]);
  });

  it('leaves the default (10) when the option is undefined', () => {
    expect(learned200({ maxBurst: undefined }).snapshot().burst).toBe(10);
  });
});

describe('AdaptiveRateLimiter options: the fractions', () => {
  // [option, whether 1 is allowed]
  const fractions: Array<[keyof AdaptiveRateLimiterOptions, boolean]> = [
    ['targetUtilization', true],
    ['decreaseFactor', false],
    ['minRateFraction', true],
    ['recoveryPerSuccess', true],
    ['lowTokensFraction', true],
  ];
  const rule = (oneAllowed: boolean) => `must be greater than 0 and ${oneAllowed ? 'at most' : 'less than'} 1`;

  describe.each(fractions)('%s', (name, oneAllowed) => {
    it.each([0, -0.5, -1, 1.5, 2, Number.NaN, Infinity, -Infinity, '0.5', null])(
      'rejects %p, naming the option, the rule and the value',
      (value) => {
        expectRangeError({ [name]: value }, `${name} ${rule(oneAllowed)} (received ${shown(value)})`);
      },
    );

    it('accepts 0.5, a value just above 0, and undefined (the default)', () => {
      for (const value of [0.5, Number.MIN_VALUE, undefined]) {
        expect(() => new AdaptiveRateLimiter({ [name]: value })).not.toThrow();
      }
    });

    it(`${oneAllowed ? 'accepts' : 'rejects'} exactly 1`, () => {
      if (oneAllowed) expect(() => new AdaptiveRateLimiter({ [name]: 1 })).not.toThrow();
      else expectRangeError({ [name]: 1 }, `${name} must be greater than 0 and less than 1 (received 1)`);
    });
  });

  it('minRateFraction 1: a 429 pauses but never cuts the rate below the learned one', () => {
    const limiter = learned200({ minRateFraction: 1 });
    limiter.onRateLimited(0, 1000);
    expect(limiter.snapshot().ratePerSecond).toBe(200);
    expect(limiter.acquire(1000)).toBe(5);
  });

  it('recoveryPerSuccess 1: one success restores the learned rate', () => {
    const limiter = learned200({ recoveryPerSuccess: 1 });
    limiter.onRateLimited(0, 1000);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
    limiter.onSuccess(1001);
    expect(limiter.snapshot().ratePerSecond).toBe(200);
  });

  it('lowTokensFraction 1: any token spent pauses until the bucket is full again (or the reset)', () => {
    const limiter = new AdaptiveRateLimiter({ lowTokensFraction: 1 });
    limiter.observe({ limitTokens: 60_000, remainingTokens: 59_000, resetTokensMs: 300 }, 1000);
    expect(limiter.snapshot().pausedUntilMs).toBe(1300);
  });
});

describe('AdaptiveRateLimiter options: decreaseIntervalMs (a finite number of at least 0)', () => {
  it.each([-1, -0.5, Number.NaN, Infinity, -Infinity])('rejects %p, naming the option and the value', (value) => {
    expectRangeError(
      { decreaseIntervalMs: value },
      `decreaseIntervalMs must be a finite number of at least 0 (received ${shown(value)})`,
    );
  });

  it('accepts 0: a 429 cuts the rate even right after the limit was learned', () => {
    const limiter = learned200({ decreaseIntervalMs: 0 });
    limiter.onRateLimited(0, 0);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
  });

  it('accepts a fractional value and undefined (the default, 250)', () => {
    expect(() => new AdaptiveRateLimiter({ decreaseIntervalMs: 0.5 })).not.toThrow();
    const limiter = learned200({ decreaseIntervalMs: undefined });
    limiter.onRateLimited(0, 249);
    expect(limiter.snapshot().ratePerSecond).toBe(200);
  });
});

describe('AdaptiveRateLimiter: the request limit', () => {
  it('learns a limit of exactly one request per minute', () => {
    const limiter = exact();
    limiter.observe({ limitRequests: 1 }, 0);
    expect(limiter.snapshot()).toMatchObject({ targetRatePerSecond: 1 / 60, burst: 1 });
    expect(limiter.acquire(0)).toBe(60_000);
  });

  it.each([Infinity, -Infinity, Number.NaN, 0, -60, 0.999])('ignores a limit of %p', (limitRequests) => {
    const limiter = new AdaptiveRateLimiter();
    limiter.observe({ limitRequests }, 0);
    expect(limiter.snapshot()).toMatchObject({ ratePerSecond: undefined, targetRatePerSecond: undefined });
    expect(acquireMany(limiter, 0, 20).every((wait) => wait === 0)).toBe(true);
  });

  it('ignores a response without information, undefined included', () => {
    const limiter = learned200();
    expect(() => limiter.observe(undefined, 1000)).not.toThrow();
    expect(() => limiter.observe(null as unknown as undefined, 1000)).not.toThrow();
    expect(acquireMany(limiter, 1000, 10).every((wait) => wait === 0)).toBe(true);
  });

  it('reads an unreadable (NaN) clock before any good reading as 0, and keeps the schedule made at it', () => {
    const limiter = exact();
    limiter.observe({ limitRequests: 12_000 }, Number.NaN);
    expect(acquireMany(limiter, 0, 3)).toEqual([5, 10, 15]);
  });

  it('does not empty the bucket, nor count as a cut, when the limit goes up', () => {
    const limiter = learned200();
    limiter.observe({ limitRequests: 24_000 }, 1000);
    expect(limiter.snapshot()).toMatchObject({ ratePerSecond: 400, burst: 10 });
    expect(acquireMany(limiter, 1000, 10).every((wait) => wait === 0)).toBe(true);
    limiter.onRateLimited(0, 1100); // 1100 ms after the last cut (learning at 0): it cuts
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(280, 9);
  });
});

describe('AdaptiveRateLimiter: remaining requests and tokens', () => {
  it('forgets a "0 requests left" seen before any limit once the limit is learned', () => {
    const limiter = exact();
    limiter.observe({ remainingRequests: 0 }, 0);
    limiter.observe({ limitRequests: 12_000 }, 1000);
    expect(acquireMany(limiter, 1000, 3)).toEqual([5, 10, 15]);
  });

  it('ignores a negative remaining-requests count: recovery goes on', () => {
    const limiter = learned200();
    limiter.onRateLimited(0, 1000);
    limiter.observe({ remainingRequests: -1 }, 1001);
    limiter.onSuccess(1001);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(141, 9);
  });

  it('does not pause when the remaining tokens are exactly at the low mark', () => {
    const limiter = learned200({ lowTokensFraction: 0.25 });
    limiter.observe({ limitTokens: 1000, remainingTokens: 250 }, 1000);
    expect(limiter.snapshot().pausedUntilMs).toBe(0);
    expect(acquireMany(limiter, 1000, 10).every((wait) => wait === 0)).toBe(true);
  });

  it('pauses just below the low mark', () => {
    const limiter = learned200({ lowTokensFraction: 0.25 });
    limiter.observe({ limitTokens: 1000, remainingTokens: 249, resetTokensMs: 40 }, 1000);
    expect(limiter.snapshot().pausedUntilMs).toBe(1040);
  });
});

describe('AdaptiveRateLimiter: when a 429 cuts the rate', () => {
  it('cuts again exactly decreaseIntervalMs after the last cut, not a millisecond before', () => {
    const early = learned200();
    early.onRateLimited(0, 249);
    expect(early.snapshot().ratePerSecond).toBe(200);
    const onTime = learned200();
    onTime.onRateLimited(0, 250);
    expect(onTime.snapshot().ratePerSecond).toBeCloseTo(140, 9);
  });

  it('cuts for a request whose slot was set at the very time of the last cut (it was paced at the new rate)', () => {
    const limiter = learned200();
    limiter.onRateLimited(0, 1000);
    limiter.onRateLimited(0, 1300, 1000);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(98, 9);
  });

  it('callers re-spaced by a cut resolve with its time, and their 429 cuts again', async () => {
    const clock = new FakeClock();
    const limiter = exact({ now: clock.now, sleep: clock.sleep, decreaseIntervalMs: 0 });
    limiter.observe({ limitRequests: 12_000 }, 0); // slots at 5, 10, 15, all set at 0
    const stamps: number[] = [];
    const callers = [0, 1, 2].map(async () => {
      stamps.push(await limiter.schedule());
    });
    await clock.run(() => stamps.length === 1);
    limiter.onRateLimited(0, clock.now(), stamps[0]); // at 5, for a slot set at 0 (when the limit was learned)
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
    await clock.run(() => stamps.length === 3);
    await Promise.all(callers);
    expect(stamps).toEqual([0, 5, 5]);
    limiter.onRateLimited(0, clock.now(), stamps[1]);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(98, 9);
  });

  it.each([
    ['unknown', undefined],
    ['not finite', Infinity],
    ['negative', -500],
  ])('without a limit, a Retry-After that is %s pauses nobody beyond now', (_label, retryAfterMs) => {
    const limiter = new AdaptiveRateLimiter();
    limiter.onRateLimited(retryAfterMs, 1000);
    expect(limiter.snapshot().pausedUntilMs).toBe(1000);
    expect(limiter.acquire(900)).toBe(100); // a caller whose reading was 100 ms behind still waits until 1000
  });

  it('with a limit, a Retry-After that is not finite pauses one interval at the cut rate', () => {
    const limiter = learned200();
    limiter.onRateLimited(Infinity, 1000);
    expect(limiter.snapshot().pausedUntilMs).toBeCloseTo(1000 + 1000 / 140, 9);
    expect(limiter.acquire(1000)).toBeCloseTo(1000 / 140, 9);
  });
});

describe('AdaptiveRateLimiter.schedule: waiting, refuse and giving the slot back', () => {
  it('waits for its slot through the injected sleep', async () => {
    const clock = manualClock();
    const limiter = exact({ now: clock.now, sleep: clock.sleep });
    limiter.observe({ limitRequests: 12_000 }, 0);
    const sending = limiter.schedule();
    await settle();
    expect(clock.sleeps).toEqual([5]);
    expect(limiter.snapshot().waiting).toBe(1);
    clock.set(5);
    await clock.wake();
    await expect(sending).resolves.toBe(0);
    expect(limiter.snapshot().waiting).toBe(0);
  });

  it('asks refuse once per slot, with the wait and the time, not again after an early wake-up', async () => {
    let time = 0;
    // A sleep that wakes up after at most 2 ms, as a capped timer would.
    const limiter = exact({
      now: () => time,
      sleep: async (ms) => {
        time += Math.min(ms, 2);
      },
    });
    limiter.observe({ limitRequests: 12_000 }, 0);
    const asked: Array<[number, number]> = [];
    const slotSetAt = await limiter.schedule(undefined, (waitMs, nowMs) => {
      asked.push([waitMs, nowMs]);
      return undefined;
    });
    expect(slotSetAt).toBe(0);
    expect(time).toBe(5);
    expect(asked).toEqual([[5, 0]]);
  });

  it('asks refuse again when a 429 moves the slot while the caller waits', async () => {
    let time = 0;
    const limiter: AdaptiveRateLimiter = exact({
      now: () => time,
      sleep: async (ms) => {
        time += Math.min(ms, 2);
        if (time === 2) limiter.onRateLimited(20, 2); // pause until 22 (no cut: just after learning)
      },
    });
    limiter.observe({ limitRequests: 12_000 }, 0);
    const asked: Array<[number, number]> = [];
    const slotSetAt = await limiter.schedule(undefined, (waitMs, nowMs) => {
      asked.push([waitMs, nowMs]);
      return undefined;
    });
    expect(asked).toEqual([
      [5, 0],
      [20, 2],
    ]);
    expect(time).toBe(22);
    expect(slotSetAt).toBe(2);
  });

  describe('a slot moved while the caller sleeps is judged at once, not when the earlier slot comes', () => {
    /** A sleep that ends only by its signal: whatever settles the wait is the limiter's doing. */
    const sleepForever: Sleep = (_ms, signal) =>
      new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));

    it.each([
      ['a 429 pause', (limiter: AdaptiveRateLimiter) => limiter.onRateLimited(60_000, 0)],
      [
        'remaining tokens below 5% (a pause)',
        (limiter: AdaptiveRateLimiter) =>
          limiter.observe({ limitTokens: 1000, remainingTokens: 0, resetTokensMs: 30_000 }, 0),
      ],
    ])('%s beyond what refuse accepts rejects the waiting caller with the refusal', async (_what, overload) => {
      const limiter = learned200({ now: () => 0, sleep: sleepForever });
      limiter.acquire(0); // the burst's one token: the next caller waits
      const refusal = new Error('too long');
      const asked: number[] = [];
      const waiting = limiter.schedule(undefined, (waitMs) => {
        asked.push(waitMs);
        return waitMs > 1000 ? refusal : undefined;
      });
      await Promise.resolve();
      expect(limiter.snapshot().waiting).toBe(1);
      overload(limiter);
      await expect(waiting).rejects.toBe(refusal);
      expect(asked[0]).toBeLessThanOrEqual(1000); // accepted: it sleeps
      expect(asked[1]).toBeGreaterThan(1000);
      expect(limiter.snapshot().waiting).toBe(0);
    });

    it("a move within what refuse accepts keeps the caller waiting; the caller's abort still ends it with its reason", async () => {
      const limiter = learned200({ now: () => 0, sleep: sleepForever });
      limiter.acquire(0);
      const controller = new AbortController();
      const waiting = limiter.schedule(controller.signal, () => undefined);
      let settled = false;
      void waiting.then(
        () => (settled = true),
        () => (settled = true),
      );
      limiter.onRateLimited(500, 0);
      await Promise.resolve();
      await Promise.resolve();
      expect(settled).toBe(false);
      const reason = new Error('the caller gave up');
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
    });
  });

  it('rejects with what refuse returns, without sleeping, and gives the slot back', async () => {
    const sleep = jest.fn(async () => undefined);
    const limiter = learned200({ now: () => 0, sleep });
    const refusal = new Error('too long');
    await expect(limiter.schedule(undefined, (waitMs) => (waitMs > 3 ? refusal : undefined))).rejects.toBe(refusal);
    expect(sleep).not.toHaveBeenCalled();
    expect(limiter.snapshot().waiting).toBe(0);
    expect(limiter.acquire(0)).toBe(5);
  });

  it('does not give the slot back when someone reserved after it: no slot is handed out twice', async () => {
    const clock = manualClock();
    const limiter = exact({ now: clock.now, sleep: clock.sleep });
    limiter.observe({ limitRequests: 12_000 }, 0);
    const controller = new AbortController();
    const first = limiter.schedule(controller.signal); // slot 5
    expect(limiter.acquire(0)).toBe(10);
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(first).rejects.toBe(reason);
    expect(acquireMany(limiter, 0, 2)).toEqual([15, 20]);
  });

  it('gives the slot back when nobody reserved after it', async () => {
    const clock = manualClock();
    const limiter = exact({ now: clock.now, sleep: clock.sleep });
    limiter.observe({ limitRequests: 12_000 }, 0);
    const controller = new AbortController();
    const first = limiter.schedule(controller.signal);
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(first).rejects.toBe(reason);
    expect(acquireMany(limiter, 0, 2)).toEqual([5, 10]);
  });

  it('leaves the slot-set time of callers a pause does not move (slot exactly at the pause end)', async () => {
    const clock = new FakeClock();
    const limiter = exact({ now: clock.now, sleep: clock.sleep });
    limiter.observe({ limitRequests: 12_000 }, 0); // slots at 5 and 10, set at 0
    const sent: number[] = [];
    const callers = [0, 1].map(async () => {
      const slotSetAt = await limiter.schedule();
      sent.push(clock.now());
      return slotSetAt;
    });
    // At 1, the tokens run out until 5 (the token reset): the first slot ends the pause exactly.
    void clock.sleep(1).then(() => limiter.observe({ limitTokens: 1000, remainingTokens: 0, resetTokensMs: 4 }, 1));
    await clock.run(() => sent.length === 2);
    expect(sent).toEqual([5, 10]);
    expect(await Promise.all(callers)).toEqual([0, 0]);
    expect(limiter.snapshot().pausedUntilMs).toBe(5);
  });

  it('without a limit, a longer pause moves a waiting caller later and a shorter one never earlier', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ now: clock.now, sleep: clock.sleep });
    limiter.onRateLimited(100, 0);
    let sentAt: number | undefined;
    const caller = limiter.schedule().then(() => {
      sentAt = clock.now();
    });
    void clock.sleep(50).then(() => limiter.onRateLimited(300, 50)); // until 350
    void clock.sleep(60).then(() => limiter.onRateLimited(10, 60)); // until 70
    await clock.run(() => sentAt !== undefined);
    await caller;
    expect(sentAt).toBe(350);
  });
});

describe('AdaptiveRateLimiter: the clock going back', () => {
  it('treats a step back of exactly 1000 ms as callers racing, and one of 1001 ms as a jump', () => {
    const racing = exact();
    racing.observe({ limitRequests: 12_000 }, 1000);
    expect(racing.acquire(1000)).toBe(5);
    expect(racing.acquire(0)).toBe(1010); // the slot at 1010, measured from the caller's own 0
    const jumped = exact();
    jumped.observe({ limitRequests: 12_000 }, 1000);
    expect(jumped.acquire(1000)).toBe(5);
    expect(jumped.acquire(-1)).toBe(10); // the whole schedule moved back by 1001 ms
  });

  it('moves a pause back with the clock', () => {
    const limiter = new AdaptiveRateLimiter();
    limiter.onRateLimited(500, 10_000);
    expect(limiter.acquire(10_000 - HOUR_MS)).toBe(500);
    expect(limiter.snapshot().pausedUntilMs).toBe(10_500 - HOUR_MS);
  });

  it('keeps the time since the last cut across a jump', () => {
    const limiter = learned200();
    limiter.onRateLimited(0, 1000);
    limiter.acquire(1300);
    limiter.onRateLimited(0, 1300 - HOUR_MS); // 300 ms after the cut, on the new clock
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(98, 9);
  });

  it('moves a waiting caller with the clock: it still waits only what was left of its slot', async () => {
    const clock = manualClock();
    const limiter = exact({ now: clock.now, sleep: clock.sleep });
    limiter.observe({ limitRequests: 12_000 }, 0);
    const sending = limiter.schedule(); // slot 5, set at 0
    await settle();
    clock.set(-HOUR_MS); // the wall clock is set back an hour while it sleeps
    await clock.wake();
    expect(clock.sleeps).toEqual([5, 5]);
    clock.set(-HOUR_MS + 5);
    await clock.wake();
    await expect(sending).resolves.toBe(-HOUR_MS); // when its slot was set, on the new clock
  });
});

describe('AdaptiveRateLimiter: replicas', () => {
  it('takes 1/n of one second of the limit as the burst (240 per minute over 2: burst 2)', () => {
    const limiter = exact();
    limiter.setReplicas(2, 0);
    limiter.observe({ limitRequests: 240 }, 0);
    expect(limiter.snapshot()).toMatchObject({ targetRatePerSecond: 2, burst: 2, replicas: 2 });
    expect(acquireMany(limiter, 10_000, 4)).toEqual([0, 0, 500, 1000]);
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity, 2 ** 53])('ignores a replica count of %p', (replicas) => {
    const limiter = learned200();
    limiter.setReplicas(replicas, 1000);
    expect(limiter.snapshot()).toMatchObject({ ratePerSecond: 200, burst: 10, replicas: 1 });
    expect(acquireMany(limiter, 1000, 10).every((wait) => wait === 0)).toBe(true);
  });
});
