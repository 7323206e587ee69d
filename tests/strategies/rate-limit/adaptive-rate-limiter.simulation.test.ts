import { simulate, type SimulationOptions } from './simulation';

// The benchmark of issue 4, simulated on a fake clock: 1000 logical calls, 50 at a time,
// against a server token bucket of 200 req/s with a burst of 10 that advertises OpenAI's
// `x-ratelimit-limit-requests: 12000` (per minute). Targets: every call succeeds, total time
// <= 1.10 x N / rate = 5500 ms, 429s <= 5% of N = 50.

// CPU-bound (no real time passes): allow for a loaded 2-core CI machine running other suites.
jest.setTimeout(30_000);

const CALLS = 1000;
const RATE = 200;
const benchmark: Omit<SimulationOptions, 'latencyMs'> = {
  calls: CALLS,
  concurrency: 50,
  phases: [{ fromMs: 0, rps: RATE, burst: 10 }],
};

const latencies: [string, SimulationOptions['latencyMs']][] = [
  ['loopback, 1 ms each way', () => 1],
  ['loopback with jitter, 0.2-3 ms each way', (random) => 0.2 + 2.8 * random()],
  ['LAN-like jitter, 5-40 ms each way', (random) => 5 + 35 * random()],
  ['slow upstream, 10-60 ms each way', (random) => 10 + 50 * random()],
];

describe('simulation: the rate-limited goodput benchmark', () => {
  it.each(latencies)('%s: all succeed within 1.10 x N/rate with at most 5%% 429s', async (_label, latencyMs) => {
    for (const seed of [1, 2, 3]) {
      const result = await simulate({ ...benchmark, latencyMs, seed });
      expect(result.successes).toBe(CALLS);
      expect(result.totalMs).toBeLessThanOrEqual((1.1 * CALLS * 1000) / RATE);
      expect(result.rateLimited).toBeLessThanOrEqual(0.05 * CALLS);
      expect(result.waits.every((wait) => Number.isFinite(wait) && wait >= 0)).toBe(true);
    }
  });

  it('has 429s only in the first, unpaced wave (before any header arrived), with 1 ms latency', async () => {
    const result = await simulate({ ...benchmark, latencyMs: () => 1 });
    // 50 requests at t=0 meet a bucket of 10: 40 are refused. None after pacing starts.
    expect(result.rateLimited).toBe(40);
    expect(result.totalMs).toBeLessThan(5200);
    expect(result.limiter.snapshot()).toMatchObject({ ratePerSecond: 194, burst: 10 });
  });

  it('is far better than retrying on 429 with a shared cooldown alone', async () => {
    // 200 calls, not 1000: unpaced, every call spins on 429s (~40 each), and simulating
    // 48,000 refusals costs seconds of CPU on a busy CI machine for no extra information.
    const small = { ...benchmark, calls: 200, latencyMs: () => 1 };
    const paced = await simulate(small);
    const unpaced = await simulate({ ...small, pacing: false });
    expect(unpaced.successes).toBe(200);
    expect(paced.successes).toBe(200);
    expect(unpaced.rateLimited).toBeGreaterThan(10 * paced.rateLimited);
  });

  it('is deterministic: the same seed gives the same run', async () => {
    const options = { ...benchmark, latencyMs: (random: () => number) => 5 + 35 * random(), seed: 11 };
    const [first, second] = [await simulate(options), await simulate(options)];
    expect(second.totalMs).toBe(first.totalMs);
    expect(second.rateLimited).toBe(first.rateLimited);
  });
});

describe('simulation: adaptation when the server slows down mid-run', () => {
  const jitter: SimulationOptions['latencyMs'] = (random) => 5 + 35 * random();
  /** Time the calls of phase 2 need at the new rate, plus phase 1's 2 s: the best possible total. */
  const idealMs = (successesInPhase2: number, rps: number) => 2000 + (successesInPhase2 * 1000) / rps;

  it('follows a lower advertised limit (12000 -> 6000 per minute at t=2s) with almost no 429s', async () => {
    for (const seed of [1, 2, 3]) {
      const result = await simulate({
        calls: CALLS,
        concurrency: 50,
        phases: [
          { fromMs: 0, rps: 200, burst: 10 },
          { fromMs: 2000, rps: 100, burst: 10 },
        ],
        latencyMs: jitter,
        seed,
      });
      expect(result.successes).toBe(CALLS);
      expect(result.rateLimitedPerPhase[1]).toBeLessThanOrEqual(0.02 * result.successesPerPhase[1]);
      expect(result.totalMs).toBeLessThanOrEqual(1.1 * idealMs(result.successesPerPhase[1], 100));
      expect(result.limiter.snapshot().ratePerSecond).toBe(97);
    }
  });

  it('backs off when the server delivers half of what its headers say (AIMD on 429s)', async () => {
    for (const seed of [1, 2, 3]) {
      const result = await simulate({
        calls: CALLS,
        concurrency: 50,
        phases: [
          { fromMs: 0, rps: 200, burst: 10 },
          { fromMs: 2000, rps: 100, burst: 10, advertisedRps: 200 },
        ],
        latencyMs: jitter,
        seed,
      });
      expect(result.successes).toBe(CALLS);
      expect(result.rateLimitedPerPhase[1]).toBeLessThanOrEqual(0.1 * result.successesPerPhase[1]);
      expect(result.totalMs).toBeLessThanOrEqual(1.15 * idealMs(result.successesPerPhase[1], 100));
      expect(result.limiter.snapshot().ratePerSecond).toBeLessThan(150);
    }
  });
});

describe('simulation: an upstream that sends no rate-limit headers', () => {
  it('is not paced at all: every wait is 0 and nothing is learned', async () => {
    const result = await simulate({
      calls: 500,
      concurrency: 50,
      phases: [{ fromMs: 0, rps: 1e9, burst: 1e6 }],
      latencyMs: (random) => 5 + 35 * random(),
      sendRateLimitHeaders: false,
    });
    expect(result.successes).toBe(500);
    expect(result.rateLimited).toBe(0);
    expect(result.waits).toHaveLength(500);
    expect(result.waits.every((wait) => wait === 0)).toBe(true);
    expect(result.limiter.snapshot().ratePerSecond).toBeUndefined();
  });
});
