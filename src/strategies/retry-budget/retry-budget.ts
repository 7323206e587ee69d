import { ResolvedRetryBudgetOptions, validateRetryBudgetOptions } from './retry-budget-options';

export type RetryKind = 'retry' | 'timeout';

/** What `withdraw` answers: the retry is paid for, or refused. */
export type RetryBudgetWithdrawal =
  | { readonly granted: true; readonly cost: number }
  | {
      readonly granted: false;
      /** True for the first refusal of an episode only: log and emit once per episode. */
      readonly episodeStart: boolean;
    };

const REFUSED_START: RetryBudgetWithdrawal = Object.freeze({ granted: false, episodeStart: true });
const REFUSED: RetryBudgetWithdrawal = Object.freeze({ granted: false, episodeStart: false });

/**
 * A retry token bucket for one upstream key, as in the AWS SDKs' "standard" retry mode
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 *
 * Retries cost tokens and successes refill the bucket, so during a long outage retries
 * stop once the bucket is empty instead of multiplying the load on a struggling upstream,
 * while a healthy upstream never runs it dry. First attempts never go through it.
 *
 * An exhaustion episode starts with the first refusal and ends when refunds let the bucket
 * pay a `retryCost` again.
 */
export class RetryBudget {
  readonly options: ResolvedRetryBudgetOptions;
  private tokens: number;
  private inEpisode = false;
  // Shared answers: a granted withdrawal allocates nothing.
  private readonly grantedRetry: RetryBudgetWithdrawal;
  private readonly grantedTimeout: RetryBudgetWithdrawal;

  /** @throws TypeError when `options` are not valid resolved options. */
  constructor(options: ResolvedRetryBudgetOptions) {
    // Once per key: keeps a hand-built options object from creating a bucket with a cost
    // above its capacity (no retry ever) or a fractional, drifting balance.
    const { value, issues } = validateRetryBudgetOptions(options);
    if (!value || options === undefined) {
      const detail = issues.length > 0 ? issues.map((issue) => issue.message).join('; ') : 'options are required';
      throw new TypeError(`RetryBudget: ${detail}`);
    }
    this.options = value;
    this.tokens = value.capacity;
    this.grantedRetry = Object.freeze({ granted: true, cost: value.retryCost });
    this.grantedTimeout = Object.freeze({ granted: true, cost: value.timeoutCost });
  }

  /** Tokens left, from 0 to `capacity`. */
  get available(): number {
    return this.tokens;
  }

  /** True from the first refusal until refunds let the bucket pay a `retryCost` again. */
  get exhausted(): boolean {
    return this.inEpisode;
  }

  /** Pays for one retry: `timeoutCost` after a timeout, `retryCost` after other failures. */
  withdraw(kind: RetryKind): RetryBudgetWithdrawal {
    const granted = kind === 'timeout' ? this.grantedTimeout : this.grantedRetry;
    const cost = kind === 'timeout' ? this.options.timeoutCost : this.options.retryCost;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return granted;
    }
    if (this.inEpisode) return REFUSED;
    this.inEpisode = true;
    return REFUSED_START;
  }

  /**
   * The bucket is shared with other replicas (through a state store) and now holds `tokens`:
   * take that as the balance. An exhausted shared bucket refuses the next retry here too
   * (starting an episode); one that can pay again ends the episode.
   */
  adopt(tokens: number): void {
    if (!Number.isFinite(tokens)) return;
    this.tokens = Math.max(0, Math.min(this.options.capacity, tokens));
    if (this.inEpisode && this.tokens >= this.options.retryCost) this.inEpisode = false;
  }

  /**
   * A call succeeded. `paid` is what its retries withdrew: refunded in full, so a call that
   * recovered leaves the bucket as it found it; a call that needed no retry (`paid` 0)
   * adds `successRefund`, slowly refilling a bucket drained by an outage. Never above `capacity`.
   */
  recordSuccess(paid: number): void {
    // `paid > 0` is false for NaN and negatives: those fall back to the plain refund.
    const refund = paid > 0 ? paid : this.options.successRefund;
    this.tokens = Math.min(this.options.capacity, this.tokens + refund);
    if (this.inEpisode && this.tokens >= this.options.retryCost) this.inEpisode = false;
  }
}
