import {
  AdaptiveRateLimiter,
  type AdaptiveRateLimiterOptions,
} from '../../../src/strategies/rate-limit/adaptive-rate-limiter';
import { FakeClock } from './simulation';
import { acquireMany, exact, learned200 } from './limiters';

const rounded = (values: number[]) => values.map((value) => Math.round(value * 1000) / 1000);

describe('AdaptiveRateLimiter: before any rate information', () => {
  it('does not pace: every acquire is 0', () => {
    const limiter = new AdaptiveRateLimiter();
    expect(acquireMany(limiter, 0, 1000).every((wait) => wait === 0)).toBe(true);
    expect(limiter.snapshot().ratePerSecond).toBeUndefined();
  });

  it('ignores responses without rate-limit headers', () => {
    const limiter = new AdaptiveRateLimiter();
    limiter.observe(undefined, 0);
    limiter.observe({}, 0);
    limiter.observe({ remainingRequests: 0 }, 0);
    limiter.onSuccess(1);
    expect(acquireMany(limiter, 1, 50).every((wait) => wait === 0)).toBe(true);
  });

  it('pauses every caller until Retry-After after a 429, without staggering (no rate to stagger by)', () => {
    const limiter = new AdaptiveRateLimiter();
    limiter.onRateLimited(300, 1000);
    expect(acquireMany(limiter, 1100, 3)).toEqual([200, 200, 200]);
    expect(limiter.acquire(1300)).toBe(0);
    expect(limiter.snapshot().ratePerSecond).toBeUndefined();
  });
});

describe('AdaptiveRateLimiter: learning the rate', () => {
  it('reads x-ratelimit-limit-requests as per minute and paces at 97% of it by default', () => {
    const limiter = new AdaptiveRateLimiter();
    limiter.observe({ limitRequests: 12_000 }, 0);
    expect(limiter.snapshot()).toMatchObject({ ratePerSecond: 194, targetRatePerSecond: 194, burst: 10 });
  });

  it('starts with an empty bucket: concurrent callers get 1/r, 2/r, 3/r, ...', () => {
    const limiter = exact();
    limiter.observe({ limitRequests: 12_000 }, 0);
    expect(rounded(acquireMany(limiter, 0, 5))).toEqual([5, 10, 15, 20, 25]);
  });

  it('allows a burst of 10 once idle, then staggers the rest one per 1/r', () => {
    const limiter = learned200();
    expect(acquireMany(limiter, 1000, 15)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 10, 15, 20, 25]);
  });

  it('keeps the burst within one second of the limit (60 per minute: burst 1, one per second)', () => {
    const limiter = exact();
    limiter.observe({ limitRequests: 60 }, 0);
    expect(limiter.snapshot().burst).toBe(1);
    expect(acquireMany(limiter, 10_000, 3)).toEqual([0, 1000, 2000]);
  });

  it('honours a smaller maxBurst', () => {
    const limiter = learned200({ maxBurst: 2 });
    expect(acquireMany(limiter, 1000, 4)).toEqual([0, 0, 5, 10]);
  });

  it('spaces callers that arrive over time by the rate, not by when they arrived', () => {
    const limiter = exact();
    limiter.observe({ limitRequests: 600 }, 0); // 10/s, burst 10
    const waits = [limiter.acquire(0), limiter.acquire(50), limiter.acquire(120)];
    expect(rounded(waits)).toEqual([100, 150, 180]);
  });

  it('follows a lower limit at once, and a higher one when at full speed', () => {
    const limiter = learned200();
    limiter.observe({ limitRequests: 6000 }, 1000);
    expect(limiter.snapshot().ratePerSecond).toBe(100);
    limiter.observe({ limitRequests: 12_000 }, 2000);
    expect(limiter.snapshot().ratePerSecond).toBe(200);
  });

  it('keeps the reduced rate when the limit rises while it recovers from a 429', () => {
    const limiter = learned200();
    limiter.onRateLimited(0, 1000);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
    limiter.observe({ limitRequests: 24_000 }, 1100);
    expect(limiter.snapshot()).toMatchObject({ targetRatePerSecond: 400 });
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
  });
});

describe('AdaptiveRateLimiter: remaining requests and tokens', () => {
  it('gives up the burst when the server has fewer requests left than the burst', () => {
    const limiter = learned200();
    limiter.observe({ limitRequests: 12_000, remainingRequests: 2 }, 1000);
    expect(acquireMany(limiter, 1000, 4)).toEqual([0, 0, 5, 10]);
  });

  it('keeps the burst while the server has plenty left', () => {
    const limiter = learned200();
    limiter.observe({ limitRequests: 12_000, remainingRequests: 11_000 }, 1000);
    expect(acquireMany(limiter, 1000, 10).every((wait) => wait === 0)).toBe(true);
  });

  it('pauses until the tokens refill to 5% of the limit when fewer are left', () => {
    const limiter = new AdaptiveRateLimiter();
    // 60000 tokens per minute = 1 per ms; 5% = 3000; 1000 left: 2000 ms to refill.
    limiter.observe({ limitTokens: 60_000, remainingTokens: 1000, resetTokensMs: 360_000 }, 0);
    expect(limiter.acquire(0)).toBe(2000);
    expect(limiter.acquire(2000)).toBe(0);
  });

  it('pauses no longer than the token reset', () => {
    const limiter = new AdaptiveRateLimiter();
    limiter.observe({ limitTokens: 60_000, remainingTokens: 0, resetTokensMs: 500 }, 0);
    expect(limiter.acquire(0)).toBe(500);
  });

  it('does not pause while tokens are plentiful (OpenAI docs example: 149984 of 150000)', () => {
    const limiter = new AdaptiveRateLimiter();
    limiter.observe(
      {
        limitRequests: 60,
        remainingRequests: 59,
        resetRequestsMs: 1000,
        limitTokens: 150_000,
        remainingTokens: 149_984,
        resetTokensMs: 360_000,
      },
      0,
    );
    expect(limiter.snapshot().pausedUntilMs).toBe(0);
  });
});

describe('AdaptiveRateLimiter: 429s and recovery', () => {
  it('cuts the rate to 70% and makes every caller wait for Retry-After, then one per new interval', () => {
    const limiter = learned200();
    limiter.onRateLimited(100, 1000);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
    const interval = 1000 / 140;
    expect(rounded(acquireMany(limiter, 1000, 3))).toEqual(rounded([100, 100 + interval, 100 + 2 * interval]));
  });

  it('waits one interval when the 429 carries no Retry-After', () => {
    const limiter = learned200();
    limiter.onRateLimited(undefined, 1000);
    expect(limiter.acquire(1000)).toBeCloseTo(1000 / 140, 9);
  });

  it('cuts once per overload: not for a request whose slot was set before the last cut', () => {
    const limiter = learned200();
    limiter.onRateLimited(0, 1000, 900);
    limiter.onRateLimited(0, 1400, 990); // slot from before the cut at 1000
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
    limiter.onRateLimited(0, 1500, 1300); // slot set after the cut: the new rate is too high too
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(98, 9);
  });

  it('cuts at most once per decreaseIntervalMs, and not in the first one after learning the limit', () => {
    const limiter = exact();
    limiter.observe({ limitRequests: 12_000 }, 0);
    limiter.onRateLimited(5, 100, 50); // unpaced requests still reaching the server
    expect(limiter.snapshot().ratePerSecond).toBe(200);
    limiter.onRateLimited(5, 300, 260);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
    limiter.onRateLimited(5, 400); // no slot time: only the interval applies
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
    limiter.onRateLimited(5, 600);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(98, 9);
  });

  it('never cuts below 5% of the learned rate', () => {
    const limiter = learned200();
    for (let t = 1000; t < 100_000; t += 1000) limiter.onRateLimited(0, t);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(10, 9);
  });

  it('recovers additively, 0.5% of the learned rate per success, up to the learned rate', () => {
    const limiter = learned200();
    limiter.onRateLimited(0, 1000);
    limiter.onSuccess(1001);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(141, 9);
    for (let i = 0; i < 100; i++) limiter.onSuccess(1002 + i);
    expect(limiter.snapshot().ratePerSecond).toBe(200);
  });

  it('does not recover while the server reports less than half a burst left', () => {
    const limiter = learned200();
    limiter.onRateLimited(0, 1000);
    limiter.observe({ remainingRequests: 4 }, 1001);
    limiter.onSuccess(1001);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(140, 9);
    limiter.observe({ remainingRequests: 5 }, 1002);
    limiter.onSuccess(1002);
    expect(limiter.snapshot().ratePerSecond).toBeCloseTo(141, 9);
  });
});

describe('AdaptiveRateLimiter.schedule', () => {
  it('resolves at once, without sleeping, when a slot is free', async () => {
    const sleep = jest.fn(async () => undefined);
    const limiter = new AdaptiveRateLimiter({ now: () => 42, sleep });
    await expect(limiter.schedule()).resolves.toBe(42);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('sleeps for the wait through the injected sleep, and resolves with when the slot was set', async () => {
    const clock = new FakeClock();
    const limiter = exact({ now: clock.now, sleep: clock.sleep });
    limiter.observe({ limitRequests: 12_000 }, 0);
    const sent: number[] = [];
    const callers = [0, 1, 2].map(async () => {
      const slotSetAt = await limiter.schedule();
      sent.push(clock.now());
      return slotSetAt;
    });
    await clock.run(() => sent.length === 3);
    expect(await Promise.all(callers)).toEqual([0, 0, 0]);
    expect(sent).toEqual([5, 10, 15]);
  });

  it('moves waiting callers behind a 429 pause, one per new interval', async () => {
    const clock = new FakeClock();
    const limiter = exact({ now: clock.now, sleep: clock.sleep });
    limiter.observe({ limitRequests: 12_000 }, 0); // slots at 5, 10, 15, 20
    const sent: number[] = [];
    const callers = [0, 1, 2, 3].map(async () => {
      await limiter.schedule();
      sent.push(clock.now());
    });
    await clock.run(() => sent.length === 1);
    // At t=5 the first caller has sent and a 429 arrives with Retry-After 50 ms. It is within
    // decreaseIntervalMs of learning the limit, so the rate stays; the pause moves the others.
    limiter.onRateLimited(50, 5);
    await clock.run(() => sent.length === 4);
    await Promise.all(callers);
    expect(sent).toEqual([5, 55, 60, 65]);
  });

  it('re-spaces waiting callers at the new rate when the limit drops', async () => {
    const clock = new FakeClock();
    const limiter = exact({ now: clock.now, sleep: clock.sleep });
    limiter.observe({ limitRequests: 12_000 }, 0);
    const sent: number[] = [];
    const callers = [0, 1, 2].map(async () => {
      await limiter.schedule();
      sent.push(clock.now());
    });
    limiter.observe({ limitRequests: 6000 }, 0); // 100/s: one per 10 ms
    await clock.run(() => sent.length === 3);
    await Promise.all(callers);
    expect(sent).toEqual([5, 15, 25]);
  });

  it('rejects at once with the reason of an aborted signal, without taking a slot', async () => {
    const limiter = learned200({ now: () => 0 });
    const reason = new Error('cancelled');
    await expect(limiter.schedule(AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(limiter.acquire(0)).toBe(5);
  });

  it('rejects with the reason when aborted while waiting, and gives the slot back', async () => {
    jest.useFakeTimers();
    try {
      const limiter = learned200({ now: () => 0 });
      const controller = new AbortController();
      const waiting = limiter.schedule(controller.signal);
      const reason = new Error('user left');
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      expect(limiter.snapshot().waiting).toBe(0);
      expect(limiter.acquire(0)).toBe(5); // the slot at 5 is free again
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('AdaptiveRateLimiter: robustness', () => {
  it('treats a NaN clock reading as the last good one', () => {
    const limiter = learned200();
    expect(limiter.acquire(Number.NaN)).toBe(5);
    expect(Number.isFinite(limiter.acquire(Number.NaN))).toBe(true);
  });

  it('shifts its schedule when the wall clock jumps back, instead of waiting out the jump', () => {
    const limiter = learned200();
    limiter.acquire(5000);
    const hourBack = 5000 - 3_600_000;
    expect(limiter.acquire(hourBack)).toBe(0);
  });

  it('schedules a small clock regression (callers racing) from the last time seen', () => {
    const limiter = learned200();
    expect(acquireMany(limiter, 1000, 10).every((wait) => wait === 0)).toBe(true);
    expect(limiter.acquire(999)).toBe(6); // the slot at 1005, measured from the caller's 999
  });

  it('ignores a request limit below one per minute, and bounds a token pause for absurd limits', () => {
    const limiter = new AdaptiveRateLimiter();
    limiter.observe({ limitRequests: 0.5 }, 0);
    expect(limiter.snapshot().ratePerSecond).toBeUndefined();
    limiter.observe({ limitTokens: Number.MAX_VALUE, remainingTokens: 0 }, 0);
    expect(limiter.acquire(0)).toBe(3000); // 5% of a minute at most
  });

  it.each<[string, AdaptiveRateLimiterOptions]>([
    ['maxBurst 0', { maxBurst: 0 }],
    ['maxBurst 1.5', { maxBurst: 1.5 }],
    ['targetUtilization 0', { targetUtilization: 0 }],
    ['targetUtilization 1.2', { targetUtilization: 1.2 }],
    ['decreaseFactor 1', { decreaseFactor: 1 }],
    ['minRateFraction NaN', { minRateFraction: Number.NaN }],
    ['recoveryPerSuccess -0.1', { recoveryPerSuccess: -0.1 }],
    ['decreaseIntervalMs -1', { decreaseIntervalMs: -1 }],
    ['lowTokensFraction 2', { lowTokensFraction: 2 }],
  ])('rejects %s', (_label, options) => {
    expect(() => new AdaptiveRateLimiter(options)).toThrow(RangeError);
  });
});

describe('AdaptiveRateLimiter: replicas sharing one limit (setReplicas)', () => {
  it('paces at 1/n of the learned rate with 1/n of the burst, told before or after the limit is learned', () => {
    const before = exact();
    before.setReplicas(4, 0);
    before.observe({ limitRequests: 12_000 }, 0);
    const after = learned200();
    after.setReplicas(4, 0);
    for (const limiter of [before, after]) {
      expect(limiter.snapshot()).toMatchObject({ ratePerSecond: 50, targetRatePerSecond: 50, burst: 2, replicas: 4 });
    }
    // Idle for a second: a burst of 2, then one per 20 ms.
    expect(acquireMany(after, 1000, 4)).toEqual([0, 0, 20, 40]);
  });

  it('speeds up again when replicas leave (at full speed), and re-spaces waiting callers when they join', () => {
    const limiter = learned200();
    limiter.setReplicas(2, 0);
    expect(limiter.snapshot().ratePerSecond).toBe(100);
    limiter.setReplicas(1, 10);
    expect(limiter.snapshot()).toMatchObject({ ratePerSecond: 200, burst: 10, replicas: 1 });
  });

  it('ignores counts that are not positive integers', () => {
    const limiter = learned200();
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) limiter.setReplicas(bad, 0);
    expect(limiter.snapshot()).toMatchObject({ ratePerSecond: 200, replicas: 1 });
  });

  it('keeps at least a burst of 1 however many replicas share a small limit', () => {
    const limiter = exact();
    limiter.setReplicas(50, 0);
    limiter.observe({ limitRequests: 600 }, 0);
    expect(limiter.snapshot()).toMatchObject({ targetRatePerSecond: 0.2, burst: 1 });
  });
});
