import fc from 'fast-check';
import { AdaptiveRateLimiter } from '../../../src/strategies/rate-limit/adaptive-rate-limiter';
import { Bulkhead, type BulkheadRelease } from '../../../src/strategies/bulkhead/bulkhead';
import type { RateLimitInfo } from '../../../src/strategies/rate-limit/rate-limit-headers';

/** Any number a header, a clock or a caller could produce, garbage included. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -1000, max: 100_000 }),
  fc.constantFrom(
    0,
    -1,
    1,
    60,
    12_000,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MAX_VALUE,
  ),
);
const info: fc.Arbitrary<RateLimitInfo | undefined> = fc.option(
  fc.record(
    {
      limitRequests: anyNumber,
      remainingRequests: anyNumber,
      resetRequestsMs: anyNumber,
      limitTokens: anyNumber,
      remainingTokens: anyNumber,
      resetTokensMs: anyNumber,
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);
/** Mostly forward clock steps, sometimes backwards (small and large) or unusable. */
const clockStep = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: 0, max: 5000, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: -5_000_000, max: 0, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY) },
);
const limiterOp = fc.oneof(
  fc.record({ op: fc.constant('acquire' as const), step: clockStep }),
  fc.record({ op: fc.constant('observe' as const), step: clockStep, info }),
  fc.record({
    op: fc.constant('rateLimited' as const),
    step: clockStep,
    retryAfter: fc.option(anyNumber, { nil: undefined }),
    slotSetAt: fc.option(anyNumber, { nil: undefined }),
  }),
  fc.record({ op: fc.constant('success' as const), step: clockStep }),
);

describe('AdaptiveRateLimiter properties', () => {
  it('never returns a negative, NaN or infinite wait, whatever the headers, clock and order of calls', () => {
    fc.assert(
      fc.property(fc.array(limiterOp, { maxLength: 200 }), (ops) => {
        const limiter = new AdaptiveRateLimiter();
        let now = 1_000_000;
        for (const step of ops) {
          const t = Number.isFinite(step.step) ? (now = Math.max(0, now + step.step)) : step.step;
          if (step.op === 'acquire') {
            const wait = limiter.acquire(t);
            expect(Number.isFinite(wait)).toBe(true);
            expect(wait).toBeGreaterThanOrEqual(0);
          } else if (step.op === 'observe') limiter.observe(step.info, t);
          else if (step.op === 'rateLimited') limiter.onRateLimited(step.retryAfter, t, step.slotSetAt);
          else limiter.onSuccess(t);
          const { ratePerSecond } = limiter.snapshot();
          if (ratePerSecond !== undefined) expect(ratePerSecond).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('hands N callers arriving together distinct slots, at least 1/r apart after the burst', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 60, max: 600_000 }),
        fc.integer({ min: 1, max: 100 }),
        (limitPerMinute, callers) => {
          const limiter = new AdaptiveRateLimiter({ targetUtilization: 1 });
          limiter.observe({ limitRequests: limitPerMinute }, 0);
          const interval = 60_000 / limitPerMinute;
          const waits = Array.from({ length: callers }, () => limiter.acquire(0));
          for (let i = 1; i < waits.length; i++) {
            expect(waits[i] - waits[i - 1]).toBeGreaterThanOrEqual(interval * (1 - 1e-9));
          }
        },
      ),
    );
  });
});

describe('Bulkhead properties', () => {
  const bulkheadOp = fc.oneof(
    fc.record({ op: fc.constant('acquire' as const), withSignal: fc.boolean() }),
    fc.record({ op: fc.constant('release' as const), pick: fc.nat(), twice: fc.boolean() }),
    fc.record({ op: fc.constant('abort' as const), pick: fc.nat() }),
  );

  it('never has more than maxConcurrency active or more than queueLimit queued', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(bulkheadOp, { maxLength: 80 }),
        async (maxConcurrency, queueLimit, ops) => {
          const bulkhead = new Bulkhead({ maxConcurrency, queueLimit });
          const held: BulkheadRelease[] = [];
          const controllers: AbortController[] = [];
          let outcomes = 0;
          let started = 0;
          for (const step of ops) {
            if (step.op === 'acquire') {
              const controller = step.withSignal ? new AbortController() : undefined;
              if (controller) controllers.push(controller);
              started++;
              bulkhead.acquire(controller?.signal).then(
                (release) => {
                  held.push(release);
                  outcomes++;
                },
                () => outcomes++,
              );
            } else if (step.op === 'release' && held.length > 0) {
              const [release] = held.splice(step.pick % held.length, 1);
              release();
              if (step.twice) release();
            } else if (step.op === 'abort' && controllers.length > 0) {
              controllers[step.pick % controllers.length].abort();
            }
            await new Promise((resolve) => setImmediate(resolve));
            const { active, queued } = bulkhead.stats();
            expect(active).toBeLessThanOrEqual(maxConcurrency);
            expect(queued).toBeLessThanOrEqual(queueLimit);
            expect(active).toBe(held.length);
            // Every call is granted, rejected or still queued.
            expect(outcomes + queued).toBe(started);
          }
        },
      ),
    );
  });
});
