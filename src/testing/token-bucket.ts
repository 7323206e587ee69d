/**
 * A token bucket: `burst` tokens at most, refilled continuously at `rps` tokens per
 * second, one token per request. The clock is injected (milliseconds, monotonic) so the
 * arithmetic can be tested as data without waiting.
 */

export interface RateLimitOptions {
  /** Tokens added per second (> 0; fractions allowed: 0.5 = one request every 2 s). */
  rps: number;
  /** Bucket size: how many requests may arrive at once (integer >= 1). */
  burst: number;
}

export interface TokenBucketState {
  /** Whether this request got a token (always true for `peek`). */
  allowed: boolean;
  /** Tokens left after this request (fractional; OpenAI's header shows the floor). */
  remaining: number;
  /** When refused: ms until a token is available (ceil, >= 1); 0 when allowed. */
  retryAfterMs: number;
  /** Ms until the bucket is full again (ceil; 0 when full). */
  msUntilFull: number;
}

/**
 * Float slack: after waiting the advertised `retryAfterMs` a token must be there, even
 * when `tokens + wait * rps / 1000` lands a hair below 1 by rounding.
 */
const EPSILON = 1e-9;

/** Throws a RangeError naming the field when the options cannot make a bucket. */
export function validateRateLimit(options: unknown, where = 'rateLimit'): RateLimitOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where} must be an object { rps, burst }`);
  }
  const { rps, burst } = options as Record<string, unknown>;
  if (typeof rps !== 'number' || !Number.isFinite(rps) || rps <= 0) {
    throw new RangeError(`${where}.rps must be a finite number greater than 0, got ${String(rps)}`);
  }
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1) {
    throw new RangeError(`${where}.burst must be an integer of at least 1, got ${String(burst)}`);
  }
  return { rps, burst };
}

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    // Starts full: a fresh server accepts a burst at once, like a fresh API key.
    this.tokens = options.burst;
    this.updatedAt = now();
  }

  /** Takes a token if there is one. A refused request takes nothing. */
  take(): TokenBucketState {
    this.refill();
    if (this.tokens >= 1 - EPSILON) {
      this.tokens = Math.max(0, this.tokens - 1);
      return this.state(true);
    }
    return this.state(false);
  }

  /** The state without taking a token (for responses that are not rate limited). */
  peek(): TokenBucketState {
    this.refill();
    return this.state(true);
  }

  private refill(): void {
    const now = this.now();
    const elapsedMs = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.options.burst, this.tokens + (elapsedMs * this.options.rps) / 1000);
    this.updatedAt = now;
  }

  private state(allowed: boolean): TokenBucketState {
    const { rps, burst } = this.options;
    return {
      allowed,
      remaining: this.tokens,
      retryAfterMs: allowed ? 0 : Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / rps - EPSILON)),
      msUntilFull: Math.max(0, Math.ceil(((burst - this.tokens) * 1000) / rps - EPSILON)),
    };
  }
}
