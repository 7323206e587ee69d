import { TokenBucket, validateRateLimit } from '../../src/testing/token-bucket';

/** A bucket on a hand-driven clock: `at(ms)` moves the clock, then the call runs. */
function bucketAt(rps: number, burst: number) {
  let now = 0;
  const bucket = new TokenBucket({ rps, burst }, () => now);
  return {
    take: (at: number) => ((now = at), bucket.take()),
    peek: (at: number) => ((now = at), bucket.peek()),
  };
}

describe('TokenBucket', () => {
  test('rps 20, burst 2: two at once, the third waits for the next token', () => {
    const bucket = bucketAt(20, 2);
    expect(bucket.take(0)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0, msUntilFull: 50 });
    expect(bucket.take(0)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0, msUntilFull: 100 });
    expect(bucket.take(0)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 50, msUntilFull: 100 });
    // 10 ms later 0.2 token has come back: 40 ms to go.
    expect(bucket.take(10)).toMatchObject({ allowed: false, retryAfterMs: 40, msUntilFull: 90 });
  });

  test('after waiting the advertised time, a token is there', () => {
    const bucket = bucketAt(3, 1); // one token per 333.3 ms: the wait is rounded up
    expect(bucket.take(0).allowed).toBe(true);
    const refused = bucket.take(0);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 334 });
    expect(bucket.take(refused.retryAfterMs - 1).allowed).toBe(false);
    expect(bucket.take(refused.retryAfterMs).allowed).toBe(true);
  });

  test('refills continuously, never above burst', () => {
    const bucket = bucketAt(10, 5);
    for (let i = 0; i < 5; i++) bucket.take(0);
    expect(bucket.peek(250)).toMatchObject({ remaining: 2.5, msUntilFull: 250 });
    expect(bucket.peek(10_000)).toMatchObject({ remaining: 5, msUntilFull: 0 });
  });

  test('a refused request takes nothing', () => {
    const bucket = bucketAt(1, 1);
    bucket.take(0);
    for (let i = 0; i < 5; i++) expect(bucket.take(500).allowed).toBe(false);
    expect(bucket.take(1000).allowed).toBe(true);
  });

  test('fractional rps: one request every 2 s', () => {
    const bucket = bucketAt(0.5, 1);
    bucket.take(0);
    expect(bucket.take(0).retryAfterMs).toBe(2000);
  });

  test('a clock that goes backwards adds no tokens', () => {
    const bucket = bucketAt(10, 1);
    bucket.take(1000);
    expect(bucket.take(0).allowed).toBe(false);
  });
});

describe('validateRateLimit', () => {
  test.each([
    [{ rps: 20, burst: 2 }, undefined],
    [{ rps: 0.5, burst: 1 }, undefined],
    [{ rps: 0, burst: 1 }, /rateLimit.rps/],
    [{ rps: -1, burst: 1 }, /rateLimit.rps/],
    [{ rps: Infinity, burst: 1 }, /rateLimit.rps/],
    [{ rps: NaN, burst: 1 }, /rateLimit.rps/],
    [{ rps: 1, burst: 0 }, /rateLimit.burst/],
    [{ rps: 1, burst: 1.5 }, /rateLimit.burst/],
    [{ rps: 1 }, /rateLimit.burst/],
    [null, /rateLimit must be an object/],
  ])('%p', (input, error) => {
    if (error) expect(() => validateRateLimit(input)).toThrow(error);
    else expect(validateRateLimit(input)).toEqual(input);
  });
});
