import fc from 'fast-check';
import { JITTER_MODES } from '../../src/config/defaults';
import type { RetryConfigFields } from '../../src/config/retry-config';

/** A number in [min, max]: integers and doubles both, never NaN or Infinity. */
export const numberIn = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min, max }), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));

/** Every field of a valid retry configuration, timeouts included (maxDelayMs >= baseDelayMs). */
export const validRetryConfig: fc.Arbitrary<
  Omit<RetryConfigFields, 'firstItemTimeoutMs' | 'idleTimeoutMs'> & { attemptTimeoutMs: number; totalTimeoutMs: number }
> = numberIn(100, 60_000).chain((baseDelayMs) =>
  fc.record({
    maxAttempts: fc.integer({ min: 1, max: 10 }),
    baseDelayMs: fc.constant(baseDelayMs),
    maxDelayMs: numberIn(Math.ceil(baseDelayMs), 300_000),
    exponentialBase: numberIn(1, 10),
    jitter: fc.constantFrom(...JITTER_MODES),
    respectRetryAfter: fc.boolean(),
    maxRetryAfterMs: numberIn(0, 3_600_000),
    attemptTimeoutMs: numberIn(1, 3_600_000),
    totalTimeoutMs: numberIn(1, 86_400_000),
  }),
);
