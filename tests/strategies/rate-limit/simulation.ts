// A deterministic discrete-event simulation of workers calling a rate-limited server through
// the pacing building blocks, on a fake clock: no real time passes, every run is identical.
// The server is the fault server's own token bucket and header formatting, so the client
// parses exactly what `startFaultServer({ rateLimit })` would send.
import { parseRetryAfterMs } from '../../../src/classification/retry-after';
import {
  AdaptiveRateLimiter,
  type AdaptiveRateLimiterOptions,
} from '../../../src/strategies/rate-limit/adaptive-rate-limiter';
import { KeyCooldown } from '../../../src/strategies/rate-limit/cooldown';
import { readRateLimitHeaders } from '../../../src/strategies/rate-limit/rate-limit-headers';
import type { Sleep } from '../../../src/strategies/bounded-wait';
import { rateLimitError } from '../../../src/testing/error-bodies';
import { rateLimitHeaders } from '../../../src/testing/rate-limit-headers';
import { TokenBucket } from '../../../src/testing/token-bucket';
import { mulberry32 } from '../../../src/testing/mulberry32';

/** A seeded PRNG (the fault server's mulberry32): uniform in [0, 1). */
export const seededRandom = mulberry32;

/** A fake clock with a timer queue; `run` advances it event by event. */
export class FakeClock {
  private time = 0;
  private sequence = 0;
  private readonly heap: { at: number; seq: number; fire: () => void }[] = [];

  readonly now = (): number => this.time;

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      this.push(this.time + (ms > 0 ? ms : 0), resolve);
    });

  /**
   * Fires timers in time order (FIFO among equal times), letting every promise continuation
   * run between two timers, until `done()`; throws when nothing is left to fire before that
   * (a deadlock) or after `limit` timers.
   */
  async run(done: () => boolean, limit = 1_000_000): Promise<void> {
    for (let fired = 0; ; fired++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done()) return;
      if (this.heap.length === 0) throw new Error('simulation stalled: no timer left and not done');
      if (fired >= limit) throw new Error(`simulation did not finish within ${limit} timers`);
      const next = this.pop();
      this.time = Math.max(this.time, next.at);
      next.fire();
    }
  }

  private push(at: number, fire: () => void): void {
    const heap = this.heap;
    heap.push({ at, seq: this.sequence++, fire });
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): { at: number; seq: number; fire: () => void } {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && this.less(heap[left], heap[smallest])) smallest = left;
        if (right < heap.length && this.less(heap[right], heap[smallest])) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }

  private less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}

/** From `fromMs` on, the server lets `rps` through with a bucket of `burst`, and advertises `advertisedRps`. */
export interface ServerPhase {
  fromMs: number;
  rps: number;
  burst: number;
  /** What `x-ratelimit-limit-requests` says (per minute = this x 60); default `rps`. */
  advertisedRps?: number;
}

export interface SimulationOptions {
  calls: number;
  concurrency: number;
  phases: ServerPhase[];
  /** One-way network latency of each request and each response, in ms. */
  latencyMs: (random: () => number) => number;
  seed?: number;
  /** False: the server sends no `x-ratelimit-*` headers at all (429s still carry Retry-After). */
  sendRateLimitHeaders?: boolean;
  limiter?: AdaptiveRateLimiterOptions;
  /** False: no limiter at all (only the shared cooldown), for comparison. Default true. */
  pacing?: boolean;
  /** Called after each response has been handled, for debugging a scenario. */
  trace?: (event: { atMs: number; status: number; remaining?: string; ratePerSecond?: number }) => void;
}

export interface SimulationResult {
  /** Simulated ms until the last call succeeded. */
  totalMs: number;
  successes: number;
  /** Requests the server answered with 429. */
  rateLimited: number;
  /** 429s for requests that arrived at the server at or after `fromMs` of each phase but the first. */
  rateLimitedPerPhase: number[];
  successesPerPhase: number[];
  requests: number;
  /** Every wait the limiter imposed (`schedule`'s send time minus the time it was called). */
  waits: number[];
  limiter: AdaptiveRateLimiter;
}

/**
 * Runs `calls` logical calls on `concurrency` workers. Each attempt: wait out the key's
 * cooldown, `limiter.schedule()`, travel to the server, take a token, travel back, then
 * `observe` the headers and `onSuccess`, or on a 429 extend the key's cooldown (`KeyCooldown`, as the engine's rate-limit stage does), `onRateLimited`
 * and try again — the wiring the retry engine is meant to use.
 */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const clock = new FakeClock();
  const random = seededRandom(options.seed ?? 1);
  const waits: number[] = [];
  const limiter = new AdaptiveRateLimiter({ ...options.limiter, now: clock.now, sleep: clock.sleep });
  const cooldown = new KeyCooldown();
  const server = new SimulatedServer(options.phases, clock.now, options.sendRateLimitHeaders ?? true);

  const phaseCount = options.phases.length;
  const result = {
    totalMs: 0,
    successes: 0,
    rateLimited: 0,
    rateLimitedPerPhase: new Array<number>(phaseCount).fill(0),
    successesPerPhase: new Array<number>(phaseCount).fill(0),
    requests: 0,
    waits,
    limiter,
  };
  let claimed = 0;

  const worker = async (): Promise<void> => {
    while (claimed < options.calls) {
      claimed++;
      for (;;) {
        const left = cooldown.leftMs(clock.now());
        if (left > 0) await clock.sleep(KeyCooldown.waitWithSpread(left, random));
        const reservedAt = options.pacing === false ? clock.now() : await limiter.schedule();
        waits.push(clock.now() - reservedAt);
        await clock.sleep(options.latencyMs(random));
        const response = server.handle();
        result.requests++;
        await clock.sleep(options.latencyMs(random));
        const now = clock.now();
        limiter.observe(readRateLimitHeaders(response.headers), now);
        options.trace?.({
          atMs: now,
          status: response.status,
          remaining: response.headers['x-ratelimit-remaining-requests'],
          ratePerSecond: limiter.snapshot().ratePerSecond,
        });
        if (response.status === 200) {
          limiter.onSuccess(now);
          result.successes++;
          result.successesPerPhase[response.phase]++;
          if (result.successes === options.calls) result.totalMs = now;
          break;
        }
        result.rateLimited++;
        result.rateLimitedPerPhase[response.phase]++;
        const retryAfterMs = parseRetryAfterMs(response.headers, now);
        if (retryAfterMs !== undefined) cooldown.extend(now + retryAfterMs);
        limiter.onRateLimited(retryAfterMs, now, reservedAt);
      }
    }
  };

  let finished = 0;
  const workers = Array.from({ length: options.concurrency }, () => worker().finally(() => finished++));
  await clock.run(() => finished === options.concurrency);
  await Promise.all(workers);
  return result;
}

/** The fault server's rate limiting (token bucket + OpenAI headers), phase by phase. */
class SimulatedServer {
  private phase = -1;
  private bucket: TokenBucket | undefined;

  constructor(
    private readonly phases: ServerPhase[],
    private readonly now: () => number,
    private readonly sendHeaders: boolean,
  ) {}

  handle(): { status: number; headers: Record<string, string>; phase: number } {
    const index = this.currentPhase();
    const phase = this.phases[index];
    const state = this.bucket!.take();
    const advertised = { rps: phase.advertisedRps ?? phase.rps, burst: phase.burst };
    const headers = this.sendHeaders ? rateLimitHeaders(advertised, state) : {};
    if (state.allowed) return { status: 200, headers, phase: index };
    return { status: 429, headers: { ...headers, ...rateLimitError(state.retryAfterMs).headers }, phase: index };
  }

  private currentPhase(): number {
    let index = 0;
    for (let i = 0; i < this.phases.length; i++) if (this.phases[i].fromMs <= this.now()) index = i;
    if (index !== this.phase) {
      // A new phase starts with a full bucket of its own size, as a reconfigured server would.
      this.phase = index;
      this.bucket = new TokenBucket({ rps: this.phases[index].rps, burst: this.phases[index].burst }, this.now);
    }
    return index;
  }
}
