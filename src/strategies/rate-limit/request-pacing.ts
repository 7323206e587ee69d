import { bumpHoldEpoch } from '../../internal/hold-epoch';
import type { KeyIdentity } from '../stage';
import { AdaptiveRateLimiter } from './adaptive-rate-limiter';
import { readRateLimitHeaders, type RateLimitInfo } from './rate-limit-headers';

/**
 * One key's request pacing: the adaptive limiter, created once the upstream has told its
 * rate limit (`x-ratelimit-*` headers, or another replica through the store); undefined
 * until then, and for upstreams that never say.
 */
export class KeyPacing {
  limiter: AdaptiveRateLimiter | undefined;
  /** Processes sending to this key (from the store), applied to the limiter. */
  private replicas = 1;
  /** The rate limit last shared with (or heard from) other replicas. */
  private sharedLimit: number | undefined;

  /** The key's request limit per minute, as last told by its headers or another replica. */
  get limitPerMinute(): number | undefined {
    return this.sharedLimit;
  }

  constructor(
    private readonly owner: KeyIdentity,
    /** Called when the limit becomes known (the cold start ends: paced from now on). */
    private readonly onLimitKnown: () => void,
  ) {}

  /**
   * Learns from a response's rate-limit headers (OpenAI and Azure send them on every
   * response): the first limit seen starts pacing the key's calls.
   */
  observeResponse(headers: unknown): void {
    const info = readRateLimitHeaders(headers);
    if (info !== undefined) this.observe(info);
  }

  /**
   * Another replica learned the key's rate limit: pace with it from this process's first
   * call, instead of sending a first wave unpaced.
   */
  adoptRateLimit(limitPerMinute: number): void {
    if (!(limitPerMinute >= 1) || !Number.isFinite(limitPerMinute)) return;
    this.sharedLimit = limitPerMinute;
    this.observe({ limitRequests: limitPerMinute });
  }

  /** `count` replicas send to this key: the limiter paces at 1/count of the limit. */
  adoptReplicas(count: number): void {
    if (!Number.isSafeInteger(count) || count < 1) return;
    this.replicas = count;
    this.limiter?.setReplicas(count, Date.now());
  }

  /** Tells the store (throttled there) that this process sends to the paced key. */
  announceActive(): void {
    try {
      this.owner.store()?.announceActive?.(this.owner.key);
    } catch {
      // A store must never break a call.
    }
  }

  /** Learns from a rate-limit reading: the first limit seen starts pacing; a new one is shared. */
  private observe(info: RateLimitInfo): void {
    if (this.limiter === undefined) {
      if (info.limitRequests === undefined) return;
      this.limiter = new AdaptiveRateLimiter();
      bumpHoldEpoch();
      // Announced to the other replicas by the next paced attempt, not here: a limit heard
      // from them does not make this process one of the key's senders.
      this.limiter.setReplicas(this.replicas, Date.now());
      this.onLimitKnown();
    }
    this.limiter.observe(info, Date.now());
    const limit = info.limitRequests;
    if (limit !== undefined && limit !== this.sharedLimit) {
      this.sharedLimit = limit;
      try {
        this.owner.store()?.shareRateLimit?.(this.owner.key, limit);
      } catch {
        // A store must never break a call.
      }
    }
  }
}
